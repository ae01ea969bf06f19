"""Privacy vault (个人信息保护): personal data kept out of the ledger, sealed and erasable.

Names, phones and addresses of consumers and recipients never enter a ledger
entry. `Vault.store_person` seals them in the `people` table and returns a
`PersonRef`; events carry only its id and keyed commitment. Erasing a person
destroys the data key (crypto-shredding), so the plaintext is gone while every
ledger entry, chain and checkpoint still verifies: the ledger never held it.

Sealing, per person:

- A fresh random 256-bit data key. The canonical record (RFC 8785 JSON of the
  normalised fields) is encrypted with AES-GCM (NIST SP 800-38D) under that key,
  a random 96-bit nonce, and the person id as associated data, so a ciphertext
  copied onto another person's row does not open.
- The data key is wrapped with AES Key Wrap (RFC 3394, NIST SP 800-38F KW) under
  a key-encryption key derived from the master key. KW rather than AES-GCM for
  the wrap: KW needs no nonce, so the one long-lived master key carries no
  random-nonce budget (SP 800-38D §8.3 caps random 96-bit nonces at 2^32
  encryptions per key, and the vault may hold a record per order); KW is
  deterministic, which leaks nothing because what it wraps is always a fresh
  random key; and its integrity check makes a corrupted wrapped key fail loudly.
- The commitment is HMAC-SHA256 under a commitment key derived from the master
  key, over the canonical record (id, kind, fields) and a per-person random
  256-bit salt. Without the key, a phone number cannot be found by trying all
  ~10^10 mobile numbers; with the key but without the salt (destroyed on
  erasure), the commitment still links to nobody.

The key-encryption key, the commitment key and a short key id all come from
the master key by HKDF-SHA256 (RFC 5869) with distinct `info` strings, so no
key serves two purposes. The key id is stored with each row: a wrong master key
is then reported as such, not as tampering.

Who may read is the caller's decision (`may_read`); every read is recorded in
`people_access_log` in the caller's transaction, so there is no read without
its record. Error messages never echo a personal value back.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any, Literal

import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from sqlalchemy import Connection, Engine, insert, select, update

from suyuan.errors import ConfigError, InputError, NotFound, SuyuanError
from suyuan.keyfiles import KEY_FILE_MODE, read_key_file, write_key_file
from suyuan.trace.privacy.vault_models import Person, PersonAccess

__all__ = [
    "FIELDS",
    "INSPECTOR_ROLE",
    "KEY_FILE_MODE",
    "Erased",
    "PersonRef",
    "SealBroken",
    "Vault",
    "VaultError",
    "VaultKeyMismatch",
    "commitment_of",
    "create_master_key_file",
    "load_master_key_file",
    "may_read",
    "validate_person",
    "vault_master_key",
]

people_t = Person.__table__
access_t = PersonAccess.__table__

Kind = Literal["consumer", "recipient"]
FIELDS = ("name", "phone", "address")
MAX_CHARS = {"name": 100, "phone": 32, "address": 300}
# A parcel cannot be delivered without all three; a consumer who reviews or
# complains may give as little as one.
REQUIRED: dict[str, tuple[str, ...]] = {"recipient": FIELDS, "consumer": ()}
MAX_TEXT = 200  # reader ids, purposes, `by`
INSPECTOR_ROLE = "inspector"
COMMITMENT_SCHEME = "hmac-sha256"
MASTER_KEY_BYTES = 32
KEY_FILE_NAME = "vault.key"

_HKDF_INFO_KEK = b"suyuan/vault/v1/key-encryption-key"
_HKDF_INFO_COMMIT = b"suyuan/vault/v1/commitment-key"
_HKDF_INFO_KEY_ID = b"suyuan/vault/v1/key-id"


# --- errors ------------------------------------------------------------------


class Erased(NotFound):
    """The person existed but was erased; their data is gone for good (404)."""

    def __init__(self, person_id: str, erased_at: datetime):
        self.person_id = person_id
        self.erased_at = erased_at
        super().__init__(f"person {person_id} was erased on {_iso(erased_at)}")


class VaultError(SuyuanError):
    """A sealed record could not be opened; a server-side fault, never the client's."""


class SealBroken(VaultError):
    """A sealed column failed authentication: it was altered or corrupted in the database."""

    def __init__(self, person_id: str, part: str):
        self.person_id = person_id
        self.part = part
        super().__init__(
            f"person {person_id}: the sealed {part} failed authentication, so it was "
            "altered or corrupted in the database and the record cannot be opened"
        )


class VaultKeyMismatch(VaultError, ConfigError):
    """The record was sealed under a different master key than the one configured."""

    def __init__(self, person_id: str, expected: str, got: str):
        self.person_id = person_id
        self.expected = expected
        self.got = got
        super().__init__(
            f"person {person_id} was sealed under vault key id {expected}, got key id "
            f"{got}: configure SUYUAN_VAULT_KEY (or <data_dir>/{KEY_FILE_NAME}) with the "
            "master key that sealed it"
        )


# --- values ------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRef:
    """What a ledger entry may hold about a person: an opaque id and a commitment."""

    id: str
    commitment: str


@dataclass(frozen=True)
class _Keys:
    kek: bytes
    commit: bytes
    key_id: str


def _derive(master_key: bytes) -> _Keys:
    def hkdf(info: bytes, length: int) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
            master_key
        )

    return _Keys(
        kek=hkdf(_HKDF_INFO_KEK, 32),
        commit=hkdf(_HKDF_INFO_COMMIT, 32),
        key_id=hkdf(_HKDF_INFO_KEY_ID, 8).hex(),
    )


# --- validation --------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_PHONE_JUNK = re.compile(r"[\s()（）.]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_PARTS = re.compile(r"(?P<main>[\d-]+?)(?:(?:转|ext\.?|x|#)(?P<ext>\d{1,6}))?", re.I)
_PHONE_RULE = (
    "expected a mainland China mobile number (11 digits starting 13 to 19) or a "
    "landline number (area code starting 0, then 7 or 8 digits, optional extension)"
)


def validate_person(fields: Mapping[str, Any], *, kind: str) -> dict[str, str]:
    """Check and normalise a person's fields; InputError names the first bad field.

    Normalising makes the commitment stable under harmless spelling differences:
    Unicode NFC, trimmed and single-spaced text, phones as `13800138000` or
    `010-12345678[-ext]`.
    """
    if kind not in REQUIRED:
        raise InputError(
            f"Kind {kind!r} is not a person kind: use 'consumer' or 'recipient'.", "kind"
        )
    if not isinstance(fields, Mapping):
        raise InputError(
            f"Person fields must be an object with name, phone and address, got "
            f"{type(fields).__name__}.",
            None,
        )
    for name in fields:
        if name not in FIELDS:
            raise InputError(
                f"Unknown field {str(name)[:40]!r}: a person has only name, phone and address.",
                str(name)[:40],
            )
    for name in REQUIRED[kind]:
        if name not in fields:
            raise InputError(
                f"Field {name!r} is missing: a {kind} needs name, phone and address.", name
            )
    if not fields:
        raise InputError(f"A {kind} needs at least one of name, phone and address.", None)
    clean: dict[str, str] = {}
    for name in FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if not isinstance(value, str):
            raise InputError(
                f"Field {name!r} must be a string, got {type(value).__name__}.", name
            )
        limit = MAX_CHARS[name]
        if len(value) > limit:
            raise InputError(
                f"Field {name!r} is {len(value)} characters long: expected at most {limit}.",
                name,
            )
        clean[name] = _normalize_phone(value) if name == "phone" else _normalize_text(name, value)
    return clean


def _normalize_text(name: str, value: str) -> str:
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if _CONTROL.search(text):
        raise InputError(f"Field {name!r} contains a control character: remove it.", name)
    if not text:
        raise InputError(f"Field {name!r} is empty: give a value or leave the field out.", name)
    return text


def _normalize_phone(value: str) -> str:
    s = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", value))
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix):].lstrip("-")
            # The trunk 0 is dropped after the country code; put it back for landlines.
            if not _MOBILE.fullmatch(s.replace("-", "")):
                s = "0" + s
            break
    if _MOBILE.fullmatch(s.replace("-", "")) and s.count("-") <= 2:
        return s.replace("-", "")
    m = _PHONE_PARTS.fullmatch(s)
    if m is None:
        raise InputError(f"Field 'phone' is not a phone number: {_PHONE_RULE}.", "phone")
    parts = m["main"].split("-")
    ext = m["ext"]
    if len(parts) == 3 and ext is None:
        parts, ext = parts[:2], parts[2]
    if len(parts) == 1:
        digits = parts[0]
        # Beijing (010) and the 02x cities have 3-digit area codes, the rest 4 digits.
        cut = 3 if digits.startswith(("010", "02")) else 4
        parts = [digits[:cut], digits[cut:]]
    bad_ext = ext is not None and re.fullmatch(r"\d{1,6}", ext) is None
    if len(parts) != 2 or bad_ext or not _landline_ok(parts[0], parts[1]):
        raise InputError(f"Field 'phone' is not a phone number: {_PHONE_RULE}.", "phone")
    return f"{parts[0]}-{parts[1]}" + (f"-{ext}" if ext else "")


def _landline_ok(area: str, number: str) -> bool:
    if area in ("010",) or re.fullmatch(r"02\d", area):
        return re.fullmatch(r"[1-9]\d{7}", number) is not None
    return (
        re.fullmatch(r"0[3-9]\d{2}", area) is not None
        and re.fullmatch(r"[1-9]\d{6,7}", number) is not None
    )


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"Field {name!r} must be a non-empty string.", name)
    if len(value) > MAX_TEXT:
        raise InputError(
            f"Field {name!r} is {len(value)} characters long: expected at most {MAX_TEXT}.",
            name,
        )
    if _CONTROL.search(value):
        raise InputError(f"Field {name!r} contains a control character: remove it.", name)
    return value.strip()


def _check_person_id(person_id: Any) -> str:
    try:
        return str(uuid.UUID(str(person_id)))
    except ValueError:
        raise InputError(
            f"Person id {str(person_id)[:40]!r} is not a UUID: use the id store_person returned.",
            "person_id",
        ) from None


# --- commitments and access policy (pure) --------------------------------------


def commitment_of(
    commit_key: bytes, person_id: str, kind: str, fields: Mapping[str, str], salt: bytes
) -> str:
    """`hmac-sha256:<hex>` of RFC 8785 JSON {v, id, kind, fields, salt} under `commit_key`.

    Requires `fields` already normalised by `validate_person`.
    """
    record = {
        "v": 1,
        "id": person_id,
        "kind": kind,
        "fields": dict(fields),
        "salt": base64.b64encode(salt).decode("ascii"),
    }
    mac = hmac.new(commit_key, rfc8785.dumps(record), sha256).hexdigest()
    return f"{COMMITMENT_SCHEME}:{mac}"


def may_read(reader_roles: set[str], reader_id: str, order_parties: set[str]) -> bool:
    """Whether a party may read the people of one order: inspectors always, else its parties."""
    if INSPECTOR_ROLE in reader_roles:
        return True
    return bool(reader_id) and reader_id in order_parties


# --- the vault ----------------------------------------------------------------


class Vault:
    """Seals, opens and erases person records. Methods take the caller's
    connection, so the vault write and the ledger event that references it (or a
    read and its access-log row) commit or roll back together."""

    def __init__(self, engine: Engine, master_key: bytes):
        if not isinstance(master_key, bytes) or len(master_key) != MASTER_KEY_BYTES:
            got = len(master_key) if isinstance(master_key, bytes) else type(master_key).__name__
            raise ConfigError(f"vault master key: expected {MASTER_KEY_BYTES} bytes, got {got}")
        self.engine = engine
        self._keys = _derive(master_key)

    def __repr__(self) -> str:
        return f"Vault(key_id={self.key_id})"

    @property
    def key_id(self) -> str:
        """A public identifier of the master key (HKDF output, reveals nothing of the key)."""
        return self._keys.key_id

    # --- writing ---------------------------------------------------------------

    def store_person(
        self, conn: Connection, fields: Mapping[str, Any], *, kind: Kind
    ) -> PersonRef:
        """Seal a person's fields; InputError (nothing written) if they are malformed."""
        clean = validate_person(fields, kind=kind)
        person_id = str(uuid.uuid4())
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = AESGCM(data_key).encrypt(nonce, rfc8785.dumps(clean), person_id.encode())
        salt = os.urandom(32)
        ref = PersonRef(person_id, commitment_of(self._keys.commit, person_id, kind, clean, salt))
        conn.execute(
            insert(people_t).values(
                id=person_id,
                kind=kind,
                commitment=ref.commitment,
                kek_id=self.key_id,
                wrapped_key=aes_key_wrap(self._keys.kek, data_key),
                nonce=nonce,
                ciphertext=ciphertext,
                salt=salt,
            )
        )
        return ref

    def erase_person(
        self, conn: Connection, person_id: str, *, by: str, purpose: str = "erasure"
    ) -> datetime:
        """Destroy the person's wrapped data key, ciphertext and salt; return when.

        Idempotent: erasing an erased person returns the first erasure's time and
        records nothing new. NotFound if the person never existed.
        """
        pid = _check_person_id(person_id)
        by = _check_text("by", by)
        purpose = _check_text("purpose", purpose)
        row = conn.execute(
            select(people_t.c.erased).where(people_t.c.id == pid).with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFound(f"person {pid} does not exist in the vault")
        if row.erased is not None:
            return _utc(row.erased)
        now = _now()
        conn.execute(
            update(people_t)
            .where(people_t.c.id == pid, people_t.c.erased.is_(None))
            .values(
                wrapped_key=None, nonce=None, ciphertext=None, salt=None, erased=now, erased_by=by
            )
        )
        self._record(conn, pid, by, "erase", purpose, now)
        return now

    # --- reading ---------------------------------------------------------------

    def read_person(
        self, conn: Connection, person_id: str, *, reader: str, purpose: str
    ) -> dict[str, str]:
        """Open a person's record and record the read (reader, time, purpose).

        The caller has checked `may_read` and must commit before handing the data
        out. NotFound if unknown, Erased if erased, VaultError if it cannot be opened.
        """
        pid = _check_person_id(person_id)
        reader = _check_text("reader", reader)
        purpose = _check_text("purpose", purpose)
        row = self._row(conn, pid)
        self._record(conn, pid, reader, "read", purpose, _now())
        return self._open(row)

    def commitment(self, conn: Connection, person_id: str) -> str:
        """The stored commitment of a person, erased or not."""
        pid = _check_person_id(person_id)
        value = conn.execute(
            select(people_t.c.commitment).where(people_t.c.id == pid)
        ).scalar_one_or_none()
        if value is None:
            raise NotFound(f"person {pid} does not exist in the vault")
        return value

    def verify_commitment(
        self,
        conn: Connection,
        person_id: str,
        fields: Mapping[str, Any],
        commitment: str | None = None,
    ) -> bool:
        """Whether `fields` are the person's, checked against `commitment` (as found
        in a ledger entry) or, if None, the stored one. Needs the salt, so an erased
        person raises Erased: after erasure nobody can link the entry to a person.
        """
        pid = _check_person_id(person_id)
        row = self._row(conn, pid)
        clean = validate_person(fields, kind=row.kind)
        expected = commitment_of(self._keys.commit, pid, row.kind, clean, row.salt)
        claimed = row.commitment if commitment is None else commitment
        return (
            isinstance(claimed, str)
            and hmac.compare_digest(expected.encode(), claimed.encode())
            and hmac.compare_digest(expected.encode(), row.commitment.encode())
        )

    # --- internals -------------------------------------------------------------

    def _row(self, conn: Connection, pid: str):  # noqa: ANN202
        row = conn.execute(select(people_t).where(people_t.c.id == pid)).one_or_none()
        if row is None:
            raise NotFound(f"person {pid} does not exist in the vault")
        if row.erased is not None:
            raise Erased(pid, _utc(row.erased))
        return row

    def _open(self, row) -> dict[str, str]:  # noqa: ANN001
        if row.kek_id != self.key_id:
            raise VaultKeyMismatch(row.id, row.kek_id, self.key_id)
        try:
            data_key = aes_key_unwrap(self._keys.kek, row.wrapped_key)
        except (InvalidUnwrap, ValueError):
            raise SealBroken(row.id, "wrapped data key") from None
        try:
            plain = AESGCM(data_key).decrypt(row.nonce, row.ciphertext, row.id.encode())
        except (InvalidTag, ValueError):
            raise SealBroken(row.id, "ciphertext") from None
        fields = json.loads(plain)
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            # Authenticated but not what store_person writes: a bug, not tampering.
            raise VaultError(f"person {row.id}: the opened record is not a field object")
        return fields

    @staticmethod
    def _record(
        conn: Connection, pid: str, who: str, action: str, purpose: str, at: datetime
    ) -> None:
        conn.execute(
            insert(access_t).values(
                person_id=pid, reader=who, action=action, purpose=purpose, at=at
            )
        )


# --- the master key ------------------------------------------------------------


def vault_master_key(settings: Any) -> bytes:
    """The vault master key: `settings.vault_key` (base64 of 32 bytes) if set, else
    `<data_dir>/vault.key`, created on first use with mode 0600.

    Losing this key loses every sealed record; back it up apart from the database.
    """
    value = getattr(settings, "vault_key", None)
    if value is not None:
        if hasattr(value, "get_secret_value"):  # pydantic SecretStr
            value = value.get_secret_value()
        return _decode_master_key(value, "SUYUAN_VAULT_KEY")
    path = Path(settings.data_dir) / KEY_FILE_NAME
    if path.exists():
        return load_master_key_file(path)
    try:
        return create_master_key_file(path)
    except FileExistsError:  # another worker made it first
        return load_master_key_file(path)


def _decode_master_key(text: Any, source: str) -> bytes:
    hint = (
        "expected 32 random bytes in base64, e.g. from "
        "`python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'`"
    )
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if not isinstance(text, str):
        raise ConfigError(f"{source} is a {type(text).__name__}: {hint}")
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ConfigError(f"{source} is not base64: {hint}") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ConfigError(f"{source} decodes to {len(key)} bytes: {hint}")
    return key


def create_master_key_file(path: Path) -> bytes:
    """Generate a master key and write it to `path` (base64, mode 0600).

    An existing key is never overwritten (FileExistsError: a concurrent
    worker made it first; read that one).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise ConfigError(f"cannot create directory {path.parent}: {e.strerror}") from e
    key = os.urandom(MASTER_KEY_BYTES)
    write_key_file(path, base64.b64encode(key) + b"\n", "vault key file")
    return key


def load_master_key_file(path: Path) -> bytes:
    """Read the master key from `path`; ConfigError if missing, exposed (not 0600) or malformed."""
    text = read_key_file(path, "vault key file", "set SUYUAN_VAULT_KEY", limit=1024)
    return _decode_master_key(text, f"vault key file {path}")


# --- time ----------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes; the vault only ever writes UTC.
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _iso(dt: datetime) -> str:
    return _utc(dt).isoformat(timespec="seconds").replace("+00:00", "Z")
