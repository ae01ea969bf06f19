"""The README's Integrity analytics section against the code: the types and reasons, and every threshold."""

from __future__ import annotations

import re
from pathlib import Path

from suyuan.analytics.candidates import TYPES
from suyuan.thresholds import Thresholds

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("## Integrity analytics")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return lines[start:end]


def _table(header: str) -> list[list[str]]:
    lines = _section()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def test_the_types_table_is_TYPES_in_order():
    rows = _table("| type | reasons | subject party |")
    readme = [(row[0].strip("`"), tuple(r.strip().strip("`") for r in row[1].split(","))) for row in rows]
    assert readme == list(TYPES.items()), "README types table differs from suyuan.analytics.candidates.TYPES"


def _default(value: object) -> str:
    return f"`{str(value).lower()}`" if isinstance(value, bool) else f"`{value}`"


def test_every_threshold_is_in_the_readme_with_its_default():
    rows = {row[0]: row for row in _table("| variable | default | meaning |")}
    expected = {f"`SUYUAN_{name.upper()}`": (_default(f.default), f.description)
                for name, f in Thresholds.model_fields.items()}
    missing = [f"| {var} | {default} | {text} |" for var, (default, text) in expected.items()
               if var not in rows or rows[var][1] != default]
    assert not missing, "README Integrity analytics lacks these rows (or their defaults differ):\n" + \
        "\n".join(missing)
    assert set(rows) == set(expected), f"README names settings Thresholds has not: {set(rows) - set(expected)}"
