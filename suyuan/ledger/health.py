"""What operators ask of a running ledger: does the database answer, is the schema current, how far behind is the log.

Read-only and cheap (a few indexed queries), so `/readyz`, the readiness gate
and `/metrics` can ask on every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, func, select

from suyuan.ledger.models import Checkpoint, Entry, QueueItem
from suyuan.ledger.schema import current_revision, head_revision

queue_t = QueueItem.__table__
entries_t = Entry.__table__
checkpoints_t = Checkpoint.__table__


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True)
class LogLag:
    """How far the sequencer is behind: entries recorded but not yet leaves of the log."""

    queued: int
    oldest_age_seconds: float  # how long the oldest queued entry has waited; 0 when none waits
    checkpoint_size: int | None  # the latest signed checkpoint's tree size; None before the first


class SchemaProbe:
    """The database's schema revision against the migrations' head (read once: it is fixed per install)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.head = head_revision(engine)

    def state(self) -> SchemaState:
        return SchemaState(current_revision(self.engine), self.head)


def log_lag(engine: Engine) -> LogLag:
    with engine.connect().execution_options(readonly=True) as conn:
        queued = conn.execute(select(func.count()).select_from(queue_t)).scalar() or 0
        oldest = None
        if queued:
            oldest = conn.execute(
                select(entries_t.c.recorded).join(queue_t, queue_t.c.entry_id == entries_t.c.id)
                .order_by(queue_t.c.id).limit(1)
            ).scalar()
        size = conn.execute(select(func.max(checkpoints_t.c.size))).scalar()
    age = max(0.0, (datetime.now(timezone.utc) - oldest).total_seconds()) if oldest is not None else 0.0
    return LogLag(queued, age, size)
