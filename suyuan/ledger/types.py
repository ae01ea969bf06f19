"""Column types shared by every model.

`UtcDateTime` is `DateTime(timezone=True)` underneath, so the migrations' columns
(TIMESTAMP WITH TIME ZONE on PostgreSQL, text on SQLite) stay as they are. What
it adds is the same Python value on both engines: SQLite keeps no offset and hands
back naive datetimes, PostgreSQL hands back the session's zone; this type writes
UTC and reads back aware UTC, so no module fixes times up itself.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

UTC = timezone.utc

# The largest value an integer column holds on both engines (PostgreSQL bigint, SQLite INTEGER):
# a row id, seq, leaf index or tree size a client names beyond it cannot exist, and would
# overflow the driver rather than match nothing.
BIGINT_MAX = (1 << 63) - 1


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC; a naive value is refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got {value!r}")
        # SQLite would keep the wall time and drop the offset: store UTC on every engine.
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # Everything written here is UTC, so a naive value (SQLite, server defaults) is UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
