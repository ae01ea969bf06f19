"""Where the world's parties are: cities with their GB/T 2260 codes, hubs and coordinates, and how long
parcels plausibly take between them.

The delivery minimum between two cities grows with their great-circle distance
(`min_minutes`): a courier van in the same city, a truck or a plane beyond.
`delivery_minimums` turns it into the per-province-pair setting the rules use
(`Settings.min_delivery_minutes_by_pair`), so the world's soft flags mean what
its truth means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    code: str  # GB/T 2260 district or prefecture code: delivery regions
    name: str
    lat: float
    lon: float
    weight: int  # how many shoppers live there, relatively

    @property
    def province(self) -> str:
        return self.code[:2]

    @property
    def hub(self) -> str:
        return f"{self.name}转运中心"

    @property
    def prefecture(self) -> str:
        return self.code[:4] + "00"


CITIES = (
    City("320707", "连云港", 34.60, 119.22, 3), City("320106", "南京", 32.06, 118.78, 6),
    City("320508", "苏州", 31.30, 120.62, 6), City("320722", "东海", 34.54, 118.77, 1),
    City("310115", "上海", 31.22, 121.54, 12), City("330106", "杭州", 30.27, 120.15, 7),
    City("330203", "宁波", 29.87, 121.55, 3), City("340104", "合肥", 31.82, 117.23, 3),
    City("370202", "青岛", 36.07, 120.38, 3), City("110105", "北京", 39.92, 116.44, 10),
    City("440305", "深圳", 22.54, 114.06, 8), City("440106", "广州", 23.13, 113.32, 7),
    City("510107", "成都", 30.66, 104.07, 5), City("420106", "武汉", 30.55, 114.31, 4),
    City("610113", "西安", 34.23, 108.95, 3), City("500103", "重庆", 29.56, 106.55, 4),
    City("210202", "大连", 38.92, 121.64, 2), City("350203", "厦门", 24.48, 118.09, 2),
    City("530102", "昆明", 25.04, 102.71, 2), City("230103", "哈尔滨", 45.76, 126.65, 2),
)  # fmt: skip
WAREHOUSE_CITIES = ("320707", "320106", "320508", "320722", "310115", "330106", "440305", "440106", "370202")
BY_CODE = {c.code: c for c in CITIES}
# A second district in some cities: an honest locker or neighbour's door a few streets away.
NEARBY = {"310115": "310104", "320106": "320104", "330106": "330105", "110105": "110108", "440305": "440304"}


def km(a: City, b: City) -> float:
    """Great-circle distance."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


def min_minutes(a: City, b: City) -> int:
    """The fastest plausible dispatch-to-delivery time: 30 min in town, else 2 h plus an hour per 100 km
    (sorting, flights and the last mile), capped at 20 h."""
    if a.code == b.code:
        return 30
    return int(min(20 * 60, 120 + km(a, b) * 0.6))


def honest_hours(a: City, b: City) -> float:
    """A typical honest dispatch-to-delivery time (before jitter): road freight at about 45 km/h plus
    handling; same city a few hours."""
    if a.code == b.code:
        return 3.0
    return 8 + km(a, b) / 45


def delivery_minimums() -> tuple[int, dict[str, int]]:
    """`min_delivery_minutes` and `min_delivery_minutes_by_pair` for the world's settings."""
    pairs: dict[str, int] = {}
    for a in CITIES:
        for b in CITIES:
            pair = f"{a.province}-{b.province}"
            m = 30 if a.province == b.province else min_minutes(a, b)
            pairs[pair] = min(pairs.get(pair, m), m)
    return 30, pairs


def far_pairs(min_km: float = 800) -> list[tuple[City, City]]:
    """City pairs in different provinces at least `min_km` apart."""
    return [(a, b) for a in CITIES for b in CITIES if a.province != b.province and km(a, b) >= min_km]
