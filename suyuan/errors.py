"""One root error for the project, with typed children that carry their data.

Messages read "expected A, got B" where there is an expectation. The API maps
each class to an HTTP status in one place (`suyuan.api.errors`); the CLI
catches `SuyuanError` once and prints it.
"""

from __future__ import annotations

import base64


class SuyuanError(Exception):
    """Root of every error suyuan raises on purpose."""


# --- verification (pure; used by offline verifiers) -------------------------


class VerificationError(SuyuanError):
    """A proof, signature, note or chain did not verify."""


class ProofError(VerificationError):
    """A Merkle proof is malformed for its parameters (wrong size, bad index)."""


class RootMismatchError(VerificationError):
    """A proof was well formed but led to a different root."""

    def __init__(self, expected: bytes, calculated: bytes):
        self.expected = expected
        self.calculated = calculated
        super().__init__(
            f"root mismatch: expected {expected.hex()}, calculated {calculated.hex()}"
        )


class NoteError(VerificationError):
    """A signed note, checkpoint, verifier key or receipt is malformed or unsigned."""


class ChainBroken(VerificationError):
    """An entry of a key's hash chain does not link to its predecessor."""

    def __init__(self, key: str, seq: int, expected: str, got: str, what: str = "prev"):
        self.key = key
        self.seq = seq
        self.expected = expected
        self.got = got
        self.what = what
        super().__init__(
            f"chain {key!r} broken at seq {seq}: {what} expected {expected}, got {got}"
        )


# --- input and state (mapped to 4xx) ----------------------------------------


class InputError(SuyuanError):
    """The client sent something malformed; nothing was written (422)."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(message)


class TimeFormatError(InputError, ValueError):
    """A time that is not an RFC 3339 date-time with an offset (422).

    Also a `ValueError`, as the standard library's parsers raise, so a reader
    that tolerates a bad time can catch either.
    """

    def __init__(self, value: object, field: str | None = "time"):
        self.value = value
        shown = value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value
        super().__init__(f"Invalid {field or 'time'}: expected an RFC 3339 timestamp with offset like "
                         f"2026-11-27T08:00:00Z, got {shown!r}.", field=field)


class BadRequest(InputError):
    """A request that breaks the standard it follows (400): an EPCIS query parameter, a malformed document."""


class SchemaViolation(BadRequest):
    """A document breaks the JSON schema of the standard it claims to follow (400): `field` is a JSON pointer."""


class TooLarge(InputError):
    """A request over one of the server's limits (413): a document with too many events."""


class NotAcceptable(InputError):
    """A request for a version or format the server does not speak (406), e.g. `GS1-EPCIS-Version: 1.2`."""


class UnsupportedMediaType(InputError):
    """A body of a media type the endpoint does not take (415)."""


class NotFound(SuyuanError):
    """The thing asked for does not exist (404)."""


class Conflict(SuyuanError):
    """The request contradicts what is already recorded (409)."""


class Unauthorized(SuyuanError):
    """No credentials, or credentials that match no active key (401)."""

    def __init__(self, message: str, field: str | None = "authorization"):
        self.field = field
        super().__init__(message)


class Forbidden(SuyuanError):
    """The caller is known but may not do this: wrong role, not the owner, suspended (403).

    `rule`: a stable code when a rule of the record refuses it (a party on the dishonesty list).
    """

    def __init__(self, message: str, field: str | None = None, rule: str | None = None):
        self.field = field
        self.rule = rule
        super().__init__(message)


class RuleViolation(SuyuanError):
    """A well-formed event that the recorded state does not allow (409).

    409 rather than 422: the request itself is valid; it conflicts with what
    the ledger already says (an item not listed, a batch recalled). `rule` is
    a stable code clients can branch on.
    """

    def __init__(self, message: str, rule: str, field: str | None = None):
        self.rule = rule
        self.field = field
        super().__init__(message)


class Unavailable(SuyuanError):
    """The server cannot answer now but will soon: the database is unreachable or the schema not current (503).

    `retry_after` is the seconds a client should wait, sent as `Retry-After`.
    """

    def __init__(self, message: str, retry_after: int = 1):
        self.retry_after = retry_after
        self.field = None
        super().__init__(message)


class LogForkRefused(SuyuanError):
    """The log will not sign: its database does not extend the checkpoint it published last (a restore).

    `published` is the remembered checkpoint (origin, size, root); `origin`, `size` and `root` say
    what the database holds instead (the root at the published size, or at its own smaller size).
    """

    def __init__(self, published, origin: str, size: int, root: bytes | None):  # noqa: ANN001
        self.published, self.origin, self.size, self.root = published, origin, size, root
        shown = base64.b64encode(root).decode() if root else "none"
        if published.origin != origin:
            got = f"the log {origin!r}"
        elif size < published.size:
            got = f"a tree of size {size} with root {shown}"
        else:
            got = f"root {shown} at size {size}"
        super().__init__(
            f"The log refuses to sign a checkpoint that would fork it: it last published {published.origin} "
            f"{published.describe()}, so expected a tree extending that, got {got} in the database; restore "
            "a newer backup, or run `suyuan log recover` to accept this database's log (see README, Backups).")


class ConfigError(SuyuanError):
    """Settings or the data directory are unusable."""


class NotInitialised(ConfigError):
    """The database has no suyuan schema, or an older one: `suyuan init` or `suyuan db upgrade`."""
