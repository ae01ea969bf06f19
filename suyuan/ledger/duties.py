"""Background duties that one process of several takes: a PostgreSQL advisory lock held for its life.

`suyuan serve --workers N` runs N identical processes. The sequencer stays
single by its own transaction-scoped advisory lock (`suyuan.ledger.sequencer`);
a duty that runs all the time, like the incremental analysis (which reads the
whole ledger when it starts), is taken by the first process to hold its
session-level lock, on a connection kept open for it. When that process
ends, PostgreSQL releases the lock with the connection, and the worker
started in its place takes it. Advisory locks belong to one database, so
several ledgers on one server never share a duty. SQLite serves one process
(`serve` refuses more), so there the duty is always held.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

ANALYSIS = 0x5359_414E  # "SYAN": the incremental analysis of `serve`


class Duty:
    """A held duty; `release` gives it up (the lock goes with the connection too)."""

    def __init__(self, conn: Connection | None, lock: int) -> None:
        self._conn, self.lock = conn, lock

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(select(func.pg_advisory_unlock(self.lock)))
            self._conn.commit()
        finally:
            self._conn.close()
            self._conn = None


def take(engine: Engine, lock: int) -> Duty | None:
    """The duty if no other process holds it, else None."""
    if engine.dialect.name != "postgresql":
        return Duty(None, lock)
    conn = engine.connect()
    try:
        held = bool(conn.execute(select(func.pg_try_advisory_lock(lock))).scalar())
        conn.commit()
    except Exception:
        conn.close()
        raise
    if not held:
        conn.close()
        return None
    return Duty(conn, lock)
