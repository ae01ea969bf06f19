"""One handler per event type: it checks the event's rules against the recorded state and writes
the new state, inside capture's transaction (`suyuan.trace.events.capture`), before the entry is
appended. Grouped by who records them: goods (producer, seller), logistics, consumer, inspection.
"""

from __future__ import annotations

from typing import Callable

from suyuan.trace.events import payloads as ev
from suyuan.trace.events.context import Ctx
from suyuan.trace.events.handlers import consumer, credit, epcis, findings, goods, inspection, logistics

HANDLERS: dict[str, Callable[[Ctx], None]] = {
    "register": goods.register, "assign": goods.assign, "list": goods.list_, "sell": goods.sell,
    "pack": logistics.pack, "unpack": logistics.unpack, "dispatch": logistics.dispatch,
    "transit": logistics.transit, "deliver": logistics.deliver, "return": logistics.return_,
    "review": consumer.review, "complain": consumer.complain,
    "inspect": inspection.inspect, "recall": inspection.recall, "recall_lifted": inspection.recall_lifted,
    "hide_review": inspection.hide_review, "epcis": epcis.epcis, "finding_decided": findings.finding_decided,
    **{name: getattr(credit, name) for name in (
        "pledge", "pledge_breach", "complaint_filed", "complaint_resolved", "warning", "dishonest_listed",
        "dishonest_delisted", "repair_requested", "repair_decided")},
}  # fmt: skip
assert set(HANDLERS) == set(ev.EVENT_TYPES)
