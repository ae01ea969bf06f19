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

The master key and the keys derived from it are in `privacy.keys`; the fields
are checked and normalised by `privacy.fields` before sealing.

Who may read is the caller's decision (`may_read`); every read is recorded in
`people_access_log` in the caller's transaction, so there is no read without
its record. Error messages never echo a personal value back.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Literal

import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from sqlalchemy import Connection, Engine, insert, select, update

from suyuan.errors import ConfigError, InputError, NotFound, SuyuanError
from suyuan.timestamps import format_time
# The master key's names stay importable from here: the vault is the privacy room's face.
from suyuan.trace.privacy.fields import CONTROL, FIELDS, validate_person
from suyuan.trace.privacy.keys import (
    KEY_FILE_MODE,
    KEY_FILE_NAME,
    MASTER_KEY_BYTES,
    create_master_key_file,
    derive_keys,
    load_master_key_file,
    vault_master_key,
)
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
MAX_TEXT = 200  # reader ids, purposes, `by`
INSPECTOR_ROLE = "inspector"
COMMITMENT_SCHEME = "hmac-sha256"


# --- errors ------------------------------------------------------------------


class Erased(NotFound):
    """The person existed but was erased; their data is gone for good (404)."""

    def __init__(self, person_id: str, erased_at: datetime):
        self.person_id = person_id
        self.erased_at = erased_at
        super().__init__(f"person {person_id} was erased on {format_time(erased_at)}")


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


# --- argument checks ---------------------------------------------------------


def _check_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"Field {name!r} must be a non-empty string.", name)
    if len(value) > MAX_TEXT:
        raise InputError(
            f"Field {name!r} is {len(value)} characters long: expected at most {MAX_TEXT}.",
            name,
        )
    if CONTROL.search(value):
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
        self._keys = derive_keys(master_key)

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
            return row.erased
        now = datetime.now(UTC)
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
        self._record(conn, pid, reader, "read", purpose, datetime.now(UTC))
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
            raise Erased(pid, row.erased)
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
