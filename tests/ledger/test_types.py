"""`UtcDateTime`: the same aware UTC datetime back from SQLite and PostgreSQL.

SQLite keeps no offset and PostgreSQL answers in the session's zone; before this
type each module fixed naive values up itself. Run on both engines, on a schema
built by the migrations.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError

from suyuan.ledger.models import Chain
from suyuan.trace.parties.models import Party

chains_t = Chain.__table__
CHINA = timezone(timedelta(hours=8))


def test_a_time_written_with_an_offset_reads_back_as_the_same_instant_in_utc(engine):
    written = datetime(2026, 11, 27, 16, 30, 5, 123456, tzinfo=CHINA)
    with engine.begin() as conn:
        conn.execute(insert(chains_t).values(key="01/06901234567892/21/T1", created=written))
    with engine.connect() as conn:
        back = conn.execute(select(chains_t.c.created).where(chains_t.c.key == "01/06901234567892/21/T1")).scalar_one()
    assert back == written
    assert back.utcoffset() == timedelta(0) and back.tzinfo is UTC
    assert back.hour == 8  # stored as UTC, not as the wall time of the offset it came with


def test_a_server_default_time_reads_back_aware(engine):
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    with engine.begin() as conn:
        conn.execute(insert(chains_t).values(key="01/06901234567892/21/T2"))
    with engine.connect() as conn:
        back = conn.execute(select(chains_t.c.created).where(chains_t.c.key == "01/06901234567892/21/T2")).scalar_one()
    assert back.tzinfo is UTC
    assert before <= back <= datetime.now(UTC) + timedelta(seconds=1)


def test_comparisons_in_sql_use_utc_on_both_engines(engine):
    with engine.begin() as conn:
        conn.execute(insert(chains_t).values(key="01/06901234567892/21/T3",
                                             created=datetime(2026, 11, 27, 8, 0, tzinfo=UTC)))
        # 15:59 in China is 07:59 UTC: earlier, although its wall time is later.
        earlier = datetime(2026, 11, 27, 15, 59, tzinfo=CHINA)
        later = datetime(2026, 11, 27, 16, 1, tzinfo=CHINA)
        newer = conn.execute(select(chains_t.c.key).where(chains_t.c.created > earlier)).scalars().all()
        older = conn.execute(select(chains_t.c.key).where(chains_t.c.created < later)).scalars().all()
    assert "01/06901234567892/21/T3" in newer and "01/06901234567892/21/T3" in older


def test_a_naive_time_is_refused_and_nothing_is_written(engine):
    with pytest.raises(StatementError, match="expected an aware datetime, got datetime.datetime"):
        with engine.begin() as conn:
            conn.execute(insert(chains_t).values(key="01/06901234567892/21/T4", created=datetime(2026, 11, 27, 8, 0)))
    with engine.connect() as conn:
        assert conn.execute(select(chains_t.c.key).where(chains_t.c.key == "01/06901234567892/21/T4")).first() is None


def test_every_time_column_of_every_model_is_utc_aware():
    from suyuan.ledger.types import UtcDateTime
    from suyuan.tables import metadata

    plain = [f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns
             if c.type.python_type is datetime and not isinstance(c.type, UtcDateTime)]
    assert plain == []
    assert isinstance(Party.__table__.c.created.type, UtcDateTime)
