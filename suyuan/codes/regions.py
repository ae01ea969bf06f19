"""GB/T 2260 administrative region codes: names, and coarsening for privacy.

Names come from python-stdnum's copy of the code table (`stdnum/cn/loc.dat`),
so suyuan carries no region list of its own.
"""

from __future__ import annotations

import re
from functools import lru_cache

REGION = re.compile(r"^[1-8]\d{5}$")
_HISTORY = re.compile(r"^\[[^\]]*\]")  # "[1983-]东海县": validity years in the table


def is_region(code: str | None) -> bool:
    return isinstance(code, str) and bool(REGION.match(code))


def coarse(code: str | None) -> str | None:
    """The prefecture-level code of a region (GB/T 2260 digits 1-4, then 00); None if invalid.

    A district says where someone lives; a prefecture-level city does not.
    """
    if not is_region(code):
        return None
    return code[:4] + "00"


@lru_cache(maxsize=4096)
def name(code: str | None) -> str:
    """Chinese name of a region code, e.g. '江苏省连云港市'; the code itself when unknown."""
    if not is_region(code):
        return code or ""
    try:
        from stdnum import numdb

        info = numdb.get("cn/loc").info(code)
    except Exception:  # noqa: BLE001 - a name is decoration; the code is the data
        return code
    province = info[0][1].get("province", "") if info else ""
    county = info[1][1].get("county", "") if len(info) > 1 else ""
    county = _HISTORY.sub("", county)
    if not province:
        return code
    if not county or county == province or county in ("市辖区", "县"):
        return province
    return province + county
