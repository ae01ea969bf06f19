"""Scoring findings against a synthetic world's truth (`suyuan.demo.world`): precision, recall, honest share.

Counted as issue 10 says: over (type, subject party) pairs for the party types
and over (type, first subject key) pairs for `cloned_code` and `unsafe_goods`.
An honest merchant or courier is one the truth lists with no fraud; its share
with any finding at all is the false-alarm rate the acceptance bounds at 1%.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

KEY_TYPES = ("cloned_code", "unsafe_goods")
PARTY_TYPES = ("empty_parcel", "fake_logistics", "brushing", "fake_review")
GOALS = {"precision": 0.9, "recall": 0.8, "honest_with_findings": 0.01}


@dataclass(frozen=True)
class TypeScore:
    type: str
    found: int
    true: int
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else (1.0 if not self.true else 0.0)

    @property
    def recall(self) -> float:
        return self.hits / self.true if self.true else 1.0

    @property
    def met(self) -> bool:
        return self.precision >= GOALS["precision"] and self.recall >= GOALS["recall"]


def _pair(f: Any) -> tuple[str, str | None]:
    if f.type in KEY_TYPES:
        return f.type, (f.subject_keys[0] if f.subject_keys else None)
    return f.type, f.subject_party


def truth_pairs(truth: dict[str, Any]) -> set[tuple[str, str]]:
    pairs = {(g["type"], g["party"]) for g in truth["guilty"] if g["type"] in PARTY_TYPES}
    return pairs | {(k["type"], k["key"]) for k in truth["keys"] if k["type"] in KEY_TYPES}


def score(truth: dict[str, Any], findings: Iterable[Any]) -> tuple[list[TypeScore], float, list[str]]:
    """Per type scores, the share of honest merchants and couriers with any finding, and those parties."""
    findings = list(findings)
    found, true = {_pair(f) for f in findings}, truth_pairs(truth)
    scores = []
    for kind in (*PARTY_TYPES, *KEY_TYPES):
        f = {p for p in found if p[0] == kind}
        t = {p for p in true if p[0] == kind}
        scores.append(TypeScore(kind, len(f), len(t), len(f & t)))
    honest = {pid for pid, p in truth["parties"].items() if p["role"] in ("merchant", "courier") and not p["fraud"]}
    flagged = sorted(honest & {f.subject_party for f in findings})
    return scores, (len(flagged) / len(honest) if honest else 0.0), flagged


def table(scores: list[TypeScore], honest_share: float) -> str:
    """The README's table: one row per type, then the honest parties' share."""
    rows = ["| type | findings | truth | precision | recall | goal met |", "|---|---|---|---|---|---|"]
    for s in scores:
        rows.append(f"| `{s.type}` | {s.found} | {s.true} | {s.precision:.3f} | {s.recall:.3f} | "
                    f"{'yes' if s.met else 'no'} |")
    rows.append(f"| honest merchants and couriers with any finding | | | | {honest_share:.2%} | "
                f"{'yes' if honest_share <= GOALS['honest_with_findings'] else 'no'} |")
    return "\n".join(rows)
