"""The world's truth: who is honest, who committed which fraud and how, and which keys are bad.

The file (JSON) that scores the detectors: `params`, `parties` (id -> name,
role, fraud kinds), `guilty` (type, party, reasons), `keys` (cloned codes
and unsafe batches with their reason; an unsafe batch names its shop too)
and `counts` (orders, ledger events written, consumer checks, people,
seconds).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suyuan.demo.world.params import KINDS

if TYPE_CHECKING:
    from suyuan.demo.world.state import World
    from suyuan.demo.world.writer import Written


def truth_of(w: World, written: Written, seconds: float) -> dict[str, Any]:
    parties: dict[str, dict[str, Any]] = {}
    for party_id, role in w.cast.roles.items():
        parties[party_id] = {"name": "", "role": role, "fraud": []}
    names = {p.id: p.name for p in [*w.cast.producers, *w.cast.couriers, *w.cast.inspectors, w.cast.platform]}
    names |= {m.party.id: m.party.name for m in w.cast.merchants}
    for party_id, entry in parties.items():
        entry["name"] = names[party_id]
    guilty = []
    for table, ids in ((w.roster.merchants, [m.party.id for m in w.cast.merchants]),
                       (w.roster.couriers, [c.id for c in w.cast.couriers])):
        for index in sorted(table):
            for kind in KINDS:
                reasons = table[index].get(kind) or _implied(table[index], kind)
                if reasons:
                    guilty.append({"type": kind, "party": ids[index], "reasons": sorted(reasons)})
                    parties[ids[index]]["fraud"].append(kind)
    keys: list[dict[str, Any]] = [{"type": "cloned_code", "key": k, "reason": r} for k, r in w.clone_keys]
    keys += [{"type": "unsafe_goods", "key": b.key, "party": m.party.id, "reason": r} for b, m, r in w.bad_batches]
    counts = {"orders": w.orders, "events": written.events, "checks": written.checks, "people": written.people,
              "left_out": written.left_out, "seconds": round(seconds, 1), "by_type": dict(sorted(written.by_type.items())),
              "flags": dict(sorted(written.flags.items()))}
    return {"params": w.params.as_dict() | {"start": w.tl.start.isoformat(), "end": w.tl.end.isoformat()},
            "parties": parties, "guilty": guilty, "keys": keys, "counts": counts}


def _implied(kinds: dict[str, list[str]], kind: str) -> list[str]:
    """Guilt a fraud implies without another pattern: an empty parcel is shipped for a fake order, so every
    empty-parcel shop is brushing too (the issue's "orders whose courier leg is empty_parcel")."""
    if kind == "brushing" and kinds.get("empty_parcel"):
        return ["fake_courier_leg"]
    return []


def write_truth(truth: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
