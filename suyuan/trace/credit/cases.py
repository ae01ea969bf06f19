"""Cases: a complaint or a repair request, found by its entry hash and decided once.

`case_of` finds the case a decision names and checks it is about the party
whose chain the decision goes on (422 naming the field otherwise); the
caller refuses a case already decided with its own rule code.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select

from suyuan.errors import InputError, NotFound


def _digest(entry: str) -> bytes:
    try:
        return bytes.fromhex(entry)
    except ValueError:
        return b""


def case_of(conn: Connection, table: Table, party_id: str, entry: str, field: str, what: str) -> Any:
    """The row of `table` whose entry is `entry` (hex), about `party_id`; InputError naming `field` otherwise."""
    row = conn.execute(select(table).where(table.c.entry_hash == _digest(entry))).first()
    if row is None or row.party_id != party_id:
        whose = f"no {what}" if row is None else f"a {what} of party {row.party_id}"
        raise InputError(f"Invalid {field}: expected the hash of a {what} of party {party_id}, got {whose}.",
                         field=field)
    return row


def party_of(conn: Connection, table: Table, entry: str, what: str) -> str:
    """The party of the case whose entry is `entry` (hex); NotFound otherwise."""
    found = conn.execute(select(table.c.party_id).where(table.c.entry_hash == _digest(entry))).scalar()
    if found is None:
        raise NotFound(f"No {what} has entry {entry[:64]}.")
    return found
