"""Where China's provinces are: the capital of each GB/T 2260 province, and how far apart two regions are.

A region code's first two digits name its province (GB/T 2260). Distances
are great-circle kilometres between the provinces' capitals: coarse (a
border town is far from its capital) but enough to say that a serial seen in
Harbin and in Guangzhou within an hour was two things, not one traveller.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

# Province code -> (latitude, longitude) of its capital.
CAPITALS: dict[str, tuple[float, float]] = {
    "11": (39.90, 116.40), "12": (39.13, 117.20), "13": (38.04, 114.51), "14": (37.87, 112.55),
    "15": (40.84, 111.75), "21": (41.80, 123.43), "22": (43.82, 125.32), "23": (45.80, 126.53),
    "31": (31.23, 121.47), "32": (32.06, 118.80), "33": (30.27, 120.16), "34": (31.82, 117.23),
    "35": (26.07, 119.30), "36": (28.68, 115.86), "37": (36.65, 117.12), "41": (34.75, 113.62),
    "42": (30.59, 114.31), "43": (28.23, 112.94), "44": (23.13, 113.26), "45": (22.82, 108.32),
    "46": (20.04, 110.20), "50": (29.56, 106.55), "51": (30.57, 104.07), "52": (26.65, 106.63),
    "53": (25.04, 102.71), "54": (29.65, 91.14), "61": (34.34, 108.94), "62": (36.06, 103.83),
    "63": (36.62, 101.78), "64": (38.49, 106.23), "65": (43.83, 87.62), "71": (25.03, 121.57),
    "81": (22.32, 114.17), "82": (22.20, 113.54),
}
EARTH_KM = 6371.0


def province(region: str | None) -> str | None:
    """The province (first two digits) of a region code; None when it names no known province."""
    if not isinstance(region, str) or region[:2] not in CAPITALS:
        return None
    return region[:2]


def distance_km(a: str | None, b: str | None) -> float | None:
    """Kilometres between the capitals of the provinces of two region codes; 0 within one; None if unknown."""
    pa, pb = province(a), province(b)
    if pa is None or pb is None:
        return None
    if pa == pb:
        return 0.0
    (lat1, lon1), (lat2, lon2) = CAPITALS[pa], CAPITALS[pb]
    # The haversine formula.
    h = sin(radians(lat2 - lat1) / 2) ** 2 \
        + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * asin(sqrt(h))
