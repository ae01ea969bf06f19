"""Database failures as suyuan's typed errors, so no client ever sees a 500 for one.

A unique or foreign-key constraint a request broke (two requests racing past
the checks made before writing) is a 409; a value the database cannot hold is
a 422; an unreachable database, a lost connection, a full pool or a
transaction the database gave up on (deadlock, serialisation) is a 503 the
client may retry. `suyuan.api.errors` installs a handler for each of
`DATABASE_ERRORS`; the checks before writing stay the first line, with
sentences of their own.
"""

from __future__ import annotations

import re

from sqlalchemy import exc as sa

from suyuan.errors import InputError, RuleViolation, SuyuanError, Unavailable

DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa.IntegrityError, sa.DataError, sa.OperationalError, sa.InterfaceError, sa.TimeoutError,
    sa.DisconnectionError, sa.ResourceClosedError,
)

CONSTRAINT_RULE = "already_recorded"  # the rule code of a 409 the database itself raised
RETRY_AFTER = 1  # seconds: a database that dropped a connection is usually back within one


def constraint_of(exc: sa.DBAPIError) -> str:
    """The name of the constraint a statement broke: PostgreSQL's diagnostics, SQLite's message."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    found = re.search(r"constraint failed: ([\w., ]+)", str(exc.orig))
    return found.group(1).strip() if found else "a constraint"


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0].rstrip(".")[:200] if text else type(orig).__name__


def as_suyuan_error(exc: Exception) -> SuyuanError:
    """The typed error a database failure means to a client (see the module docstring)."""
    if isinstance(exc, sa.IntegrityError):
        return RuleViolation(f"The request conflicts with what is recorded: expected a value no other row "
                             f"holds for {constraint_of(exc)}, got one already recorded; nothing was written.",
                             rule=CONSTRAINT_RULE)
    if isinstance(exc, sa.DataError):
        return InputError(f"Invalid value: expected one the database can store, got one it refused "
                          f"({_first_line(exc)}); nothing was written.")
    # The driver's words stay in the server's log: they name hosts and ports.
    return Unavailable(f"The database is not answering right now: retry in {RETRY_AFTER} s.",
                       retry_after=RETRY_AFTER)
