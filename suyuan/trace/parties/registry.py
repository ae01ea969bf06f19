"""Parties (主体): real-name registration, roles, status, licences and API keys.

Organisations are identified by their Unified Social Credit Code (统一社会信用代码,
GB 32100-2015), whose check character is verified with python-stdnum's
`cn.uscc`. API keys are random (`secrets`), shown once, and stored only as
SHA-256 digests: a key has 256 bits of entropy, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Connection, Engine, literal, select, update
from sqlalchemy.exc import IntegrityError
from stdnum import exceptions as stdnum_errors
from stdnum import ean as stdnum_ean
from stdnum.cn import uscc as stdnum_uscc

from suyuan.errors import Conflict, InputError, NotFound, RuleViolation, Unauthorized
from suyuan.trace.parties.models import ApiKey, Party

parties_t = Party.__table__
api_keys_t = ApiKey.__table__

ROLES = ("producer", "merchant", "platform", "courier", "inspector", "admin", "hotline")
KINDS = ("organisation", "individual")
STATUSES = ("active", "suspended")
API_KEY_PREFIX = "sy_"


class Licence(BaseModel):
    """A licence shown publicly, e.g. a food business licence (食品经营许可证)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    type: str = Field(min_length=1, max_length=100, description="e.g. food_business")
    number: str = Field(min_length=1, max_length=64)
    valid_from: date | None = None
    valid_to: date | None = None

    @model_validator(mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        # JSON has no dates: accept ISO strings in strict mode.
        if isinstance(value, dict):
            value = dict(value)
            for name in ("valid_from", "valid_to"):
                if isinstance(value.get(name), str):
                    try:
                        value[name] = date.fromisoformat(value[name])
                    except ValueError:
                        raise ValueError(
                            f"{name} expected a date like 2027-12-31, got {value[name]!r}"
                        ) from None
        return value

    @model_validator(mode="after")
    def _order(self) -> "Licence":
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(
                f"valid_to expected on or after valid_from {self.valid_from}, got {self.valid_to}"
            )
        return self


@dataclass(frozen=True)
class PartyView:
    """A party as the rules and the API see it."""

    id: str
    kind: str
    name: str
    uscc: str | None
    roles: tuple[str, ...]
    status: str
    licences: tuple[dict[str, Any], ...]
    gln: str | None = None  # GS1 party GLN: names the party's own chain, 417/<gln> (suyuan.trace.credit)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "name": self.name, "uscc": self.uscc,
            "roles": list(self.roles), "status": self.status, "licences": list(self.licences),
            "gln": self.gln,
        }  # fmt: skip


def _view(row) -> PartyView:  # noqa: ANN001
    return PartyView(
        id=row.id, kind=row.kind, name=row.name, uscc=row.uscc,
        roles=tuple(r for r in row.roles.split(",") if r), status=row.status,
        licences=tuple(row.licences or ()), gln=row.gln,
    )  # fmt: skip


def view_of(row) -> PartyView:  # noqa: ANN001
    """A party row (any select of the parties table's columns) as the rules and the API see it."""
    return _view(row)


# --- validation ----------------------------------------------------------------


def check_uscc(value: str) -> str:
    """Return the compact USCC if valid (GB 32100-2015 §4), else raise InputError naming the check character."""
    if not isinstance(value, str):
        raise InputError("Invalid uscc: expected an 18-character string.", field="uscc")
    compact = stdnum_uscc.compact(value)
    try:
        return stdnum_uscc.validate(compact)
    except stdnum_errors.InvalidChecksum:
        expected = stdnum_uscc.calc_check_digit(compact[:-1])
        raise InputError(
            f"Invalid uscc check character for {compact!r}: expected {expected}, got {compact[-1]}.",
            field="uscc",
        ) from None
    except stdnum_errors.ValidationError as exc:
        raise InputError(
            f"Invalid uscc {compact!r}: expected 18 characters of digits and capitals "
            f"(GB 32100-2015), {exc.message[0].lower()}{exc.message[1:].rstrip('.')}.",
            field="uscc",
        ) from None


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    roles = tuple(roles)
    if not roles:
        raise InputError(f"Missing roles: expected at least one of {', '.join(ROLES)}.", field="roles")
    for role in roles:
        if role not in ROLES:
            raise InputError(
                f"Invalid role {role!r}: expected one of {', '.join(ROLES)}.", field="roles"
            )
    return tuple(sorted(set(roles)))


def check_licences(licences: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for i, raw in enumerate(licences):
        try:
            lic = Licence.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise InputError(
                f"Invalid licences.{i}{'.' + where if where else ''}: {err['msg'].rstrip('.')}.",
                field=f"licences.{i}",
            ) from None
        out.append(lic.model_dump(mode="json", exclude_none=True))
    return out


def check_gln(value: str) -> str:
    """A party GLN (13 digits, GS1 check digit); the restricted-circulation prefixes 020-029 are suyuan's
    own party keys (`suyuan.trace.credit.chainkey`), never a registered GLN."""
    if not isinstance(value, str) or not value.isdigit() or len(value) != 13:
        raise InputError(f"Invalid gln: expected 13 digits, got {str(value)[:20]!r}.", field="gln")
    if value.startswith("02"):
        raise InputError(f"Invalid gln {value}: expected a GS1-assigned GLN, got one in the restricted "
                         "circulation range 020-029, which suyuan uses for parties without a GLN.", field="gln")
    check = stdnum_ean.calc_check_digit(value[:12])
    if check != value[12]:
        raise InputError(f"Invalid gln check digit for {value}: expected {check}, got {value[12]}.", field="gln")
    return value


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InputError("Invalid name: expected 1-200 characters.", field="name")
    return name.strip()


# --- API keys --------------------------------------------------------------------


def key_digest(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def _new_key(conn: Connection, party_id: str) -> str:
    api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    conn.execute(api_keys_t.insert().values(party_id=party_id, digest=key_digest(api_key)))
    return api_key


def issue_api_key(engine: Engine, party_id: str, *, revoke_others: bool = False) -> str:
    """Issue a new API key for the party (shown once); optionally revoke the old ones."""
    with engine.begin() as conn:
        _get(conn, party_id)
        if revoke_others:
            conn.execute(
                update(api_keys_t)
                .where(api_keys_t.c.party_id == party_id, api_keys_t.c.revoked.is_(None))
                .values(revoked=datetime.now(timezone.utc))
            )
        return _new_key(conn, party_id)


def authenticate(conn: Connection, api_key: str | None) -> PartyView:
    """The party holding `api_key`; Unauthorized when the key is missing, unknown or revoked."""
    if not api_key:
        raise Unauthorized(
            "Missing credentials: expected an 'Authorization: Bearer <API key>' header."
        )
    row = conn.execute(
        select(parties_t)
        .join(api_keys_t, api_keys_t.c.party_id == parties_t.c.id)
        .where(api_keys_t.c.digest == key_digest(api_key), api_keys_t.c.revoked.is_(None))
    ).first()
    if row is None:
        raise Unauthorized("Invalid API key: expected a current key issued by an admin.")
    return _view(row)


# --- parties ---------------------------------------------------------------------


def _get(conn: Connection, party_id: str) -> PartyView:
    row = conn.execute(select(parties_t).where(parties_t.c.id == party_id)).first()
    if row is None:
        raise NotFound(f"No party has id {party_id!r}.")
    return _view(row)


def get_party(engine: Engine, party_id: str) -> PartyView:
    with engine.connect() as conn:
        return _get(conn, party_id)


def get_party_in(conn: Connection, party_id: str) -> PartyView:
    return _get(conn, party_id)


def list_parties(engine: Engine, role: str | None = None) -> list[PartyView]:
    with engine.connect() as conn:
        rows = conn.execute(select(parties_t).order_by(parties_t.c.created, parties_t.c.id)).all()
    views = [_view(r) for r in rows]
    return [v for v in views if role is None or role in v.roles]


def parties_page(engine: Engine, role: str | None = None, *, after: str | None = None,
                 limit: int = 1000) -> tuple[list[PartyView], str | None]:
    """One page of parties by id, ascending, and the `next` id to page `after` (None on the last page)."""
    query = select(parties_t).order_by(parties_t.c.id).limit(limit + 1)
    if after is not None:
        query = query.where(parties_t.c.id > after)
    if role is not None:  # roles are stored comma-separated
        query = query.where((literal(",") + parties_t.c.roles + literal(",")).like(f"%,{role},%"))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    views = [_view(r) for r in rows[:limit]]
    return views, views[-1].id if len(rows) > limit else None


def create_party(
    engine: Engine,
    *,
    name: str,
    roles: Iterable[str],
    kind: str = "organisation",
    uscc: str | None = None,
    licences: Iterable[Any] = (),
    gln: str | None = None,
) -> tuple[PartyView, str]:
    """Register a party and issue its first API key: `(party, api_key)`; the key is shown once."""
    if kind not in KINDS:
        raise InputError(f"Invalid kind {kind!r}: expected one of {', '.join(KINDS)}.", field="kind")
    name = _check_name(name)
    roles = check_roles(roles)
    if uscc is not None:
        if kind != "organisation":
            raise InputError("Invalid uscc: expected none for an individual.", field="uscc")
        uscc = check_uscc(uscc)
    lic = check_licences(licences)
    gln = check_gln(gln) if gln is not None else None
    party_id = str(uuid.uuid4())
    with _uscc_race(uscc), engine.begin() as conn:
        _check_uscc_free(conn, uscc, party_id)
        if gln and conn.execute(select(parties_t.c.id).where(parties_t.c.gln == gln)).first():
            raise Conflict(f"GLN {gln} is already registered; update that party instead.")
        conn.execute(parties_t.insert().values(
            id=party_id, kind=kind, name=name, uscc=uscc, roles=",".join(roles),
            status="active", licences=lic, gln=gln,
        ))  # fmt: skip
        api_key = _new_key(conn, party_id)
        return _get(conn, party_id), api_key


USCC_RULE = "uscc_registered"


def _check_uscc_free(conn: Connection, uscc: str | None, party_id: str) -> None:
    """Refuse a USCC another party holds, before anything is written (a USCC names one party)."""
    if not uscc:
        return
    holder = conn.execute(select(parties_t.c.id).where(parties_t.c.uscc == uscc)).scalar()
    if holder is not None and holder != party_id:
        raise RuleViolation(f"USCC {uscc} is already registered: expected a code no other party holds, got "
                            f"the code of party {holder}; update that party instead.", rule=USCC_RULE,
                            field="uscc")


@contextmanager
def _uscc_race(uscc: str | None) -> Iterator[None]:
    """Turn the unique index's refusal into the same 409, for two requests racing past the check."""
    try:
        yield
    except IntegrityError as exc:
        if not uscc:
            raise
        raise RuleViolation(f"USCC {uscc} is already registered: expected a code no other party holds, "
                            "got one registered meanwhile.", rule=USCC_RULE, field="uscc") from exc


def update_party(
    engine: Engine,
    party_id: str,
    *,
    name: str | None = None,
    roles: Iterable[str] | None = None,
    uscc: str | None = None,
    licences: Iterable[Any] | None = None,
    status: str | None = None,
    gln: str | None = None,
) -> PartyView:
    """Change a party's record; `status="suspended"` stops it writing at once."""
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _check_name(name)
    if roles is not None:
        values["roles"] = ",".join(check_roles(roles))
    if uscc is not None:
        values["uscc"] = check_uscc(uscc)
    if licences is not None:
        values["licences"] = check_licences(licences)
    if gln is not None:
        values["gln"] = check_gln(gln)
    if status is not None:
        if status not in STATUSES:
            raise InputError(
                f"Invalid status {status!r}: expected one of {', '.join(STATUSES)}.", field="status"
            )
        values["status"] = status
    with _uscc_race(values.get("uscc")), engine.begin() as conn:
        current = _get(conn, party_id)
        if "uscc" in values and current.kind != "organisation":
            raise InputError("Invalid uscc: expected none for an individual.", field="uscc")
        _check_uscc_free(conn, values.get("uscc"), party_id)
        if values:
            values["updated"] = datetime.now(timezone.utc)
            conn.execute(update(parties_t).where(parties_t.c.id == party_id).values(**values))
        return _get(conn, party_id)


def suspend_party(engine: Engine, party_id: str) -> PartyView:
    return update_party(engine, party_id, status="suspended")


def bootstrap_admin(engine: Engine, name: str = "suyuan admin") -> tuple[PartyView, str] | None:
    """Create the first admin for `suyuan init`; None when an admin already exists."""
    if list_parties(engine, role="admin"):
        return None
    return create_party(engine, name=name, roles=["admin"])
