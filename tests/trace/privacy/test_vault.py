"""Privacy vault: sealing, reading with an access record, erasure, commitments, keys.

Database tests run on SQLite and PostgreSQL through the `engine` fixture, on a
schema built by `alembic upgrade head`.
"""

from __future__ import annotations

import base64
import os
import stat
import uuid
from types import SimpleNamespace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import MetaData, Table, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from suyuan.errors import ConfigError, InputError, NotFound
from suyuan.ledger.audit import audit
from suyuan.ledger.ledger import Ledger
from suyuan.trace.privacy.vault import Erased, PersonRef, SealBroken, Vault, VaultError, VaultKeyMismatch, commitment_of, may_read, validate_person, vault_master_key
from suyuan.trace.privacy.vault_models import Person, PersonAccess
from tests.ledger.helpers import item_key, statement

ORIGIN = "test.suyuan.example/log"
ALICE = {"name": "张三丰", "phone": "13912345678", "address": "浙江省杭州市西湖区文三路 477 号"}
BOB = {"name": "李四", "phone": "021-66668888", "address": "上海市徐汇区漕溪北路 88 号"}
VAULT_TABLES = {"people", "people_access_log"}
people_t = Person.__table__
access_t = PersonAccess.__table__


@pytest.fixture
def master_key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def vault(engine, master_key) -> Vault:
    return Vault(engine, master_key)


def _store(vault: Vault, fields=ALICE, kind="recipient") -> PersonRef:  # noqa: ANN001
    with vault.engine.begin() as conn:
        return vault.store_person(conn, fields, kind=kind)


def _read(vault: Vault, ref: PersonRef, reader="party-merchant-1", purpose="shipping label"):  # noqa: ANN001, ANN202
    with vault.engine.begin() as conn:
        return vault.read_person(conn, ref.id, reader=reader, purpose=purpose)


def _all_values(engine) -> list[tuple[str, str, bytes]]:  # noqa: ANN001
    """Every non-null value of every column of every table, as bytes."""
    found = []
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in row._mapping.items():
                    if value is None:
                        continue
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
                    found.append((table.name, column, raw))
    return found


def _plaintexts(fields: dict[str, str]) -> list[bytes]:
    needles = []
    for value in fields.values():
        needles.append(value.encode("utf-8"))
        needles.append(value.encode("utf-16-le"))
    needles.append(fields["phone"].replace("-", "").encode())
    needles.append(fields["name"][:2].encode("utf-8"))
    return needles


def _set(engine, person_id: str, **values) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(update(people_t).where(people_t.c.id == person_id).values(**values))


# --- round trip and storage -----------------------------------------------------


def test_round_trip(vault):
    ref = _store(vault)
    assert uuid.UUID(ref.id)
    assert ref.commitment.startswith("hmac-sha256:") and len(ref.commitment) == 12 + 64
    assert _read(vault, ref) == ALICE


def test_fields_are_normalised_before_sealing(vault):
    ref = _store(vault, {"name": "  王 \t五 ", "phone": "+86 139-1234-5678"}, kind="consumer")
    assert _read(vault, ref) == {"name": "王 五", "phone": "13912345678"}


def test_no_table_holds_the_plaintext(vault):
    refs = [_store(vault, ALICE), _store(vault, BOB)]
    for ref in refs:
        _read(vault, ref)
    values = _all_values(vault.engine)
    assert any(table == "people" and column == "ciphertext" for table, column, _ in values)
    leaks = [
        (table, column)
        for needle in _plaintexts(ALICE) + _plaintexts(BOB)
        for table, column, raw in values
        if needle in raw
    ]
    assert leaks == []


def test_the_ledger_holds_only_the_commitment_and_still_audits_after_erasure(vault, log_signer):
    ledger = Ledger(vault.engine, ORIGIN, log_signer)
    ref = _store(vault)
    ledger.append(statement(item_key(1), "deliver", recipient=ref.id, commitment=ref.commitment))
    ledger.integrate()
    with vault.engine.begin() as conn:
        vault.erase_person(conn, ref.id, by="party-platform-1")
    for needle in _plaintexts(ALICE):
        assert all(needle not in raw for _, _, raw in _all_values(vault.engine))
    report = audit(vault.engine, ledger.verifier_key, ORIGIN)
    assert (report.entries, report.tree_size) == (1, 1)
    assert ref.commitment in ledger.chain(item_key(1))[0].entry["statement"]["data"]["commitment"]


# --- commitments ----------------------------------------------------------------


def test_commitment_differs_per_person_for_the_same_fields(vault):
    a, b = _store(vault), _store(vault)
    assert a.commitment != b.commitment


def test_commitment_is_a_function_of_key_record_and_salt():
    key, salt, pid = os.urandom(32), os.urandom(32), str(uuid.uuid4())
    fields = validate_person(ALICE, kind="recipient")
    one = commitment_of(key, pid, "recipient", fields, salt)
    assert one == commitment_of(key, pid, "recipient", dict(fields), salt)
    assert one != commitment_of(key, pid, "recipient", fields, os.urandom(32))
    assert one != commitment_of(os.urandom(32), pid, "recipient", fields, salt)
    assert one != commitment_of(key, str(uuid.uuid4()), "recipient", fields, salt)
    assert one != commitment_of(key, pid, "recipient", {**fields, "phone": "13912345679"}, salt)


def test_verify_commitment(vault, master_key):
    ref, other = _store(vault), _store(vault, BOB)
    with vault.engine.begin() as conn:
        assert vault.verify_commitment(conn, ref.id, ALICE)
        assert vault.verify_commitment(conn, ref.id, ALICE, ref.commitment)
        spelled = {**ALICE, "phone": "+86 139 1234 5678", "name": " 张三丰 "}
        assert vault.verify_commitment(conn, ref.id, spelled, ref.commitment)
        assert not vault.verify_commitment(conn, ref.id, {**ALICE, "phone": "13912345679"})
        assert not vault.verify_commitment(conn, ref.id, ALICE, other.commitment)
        assert not vault.verify_commitment(conn, ref.id, ALICE, "hmac-sha256:00")
        assert vault.commitment(conn, ref.id) == ref.commitment
        # The same master key in another Vault object gives the same answer.
        assert Vault(vault.engine, master_key).verify_commitment(conn, ref.id, ALICE)


# --- reads and the access log ---------------------------------------------------


def test_each_read_writes_an_access_log_row(vault):
    ref = _store(vault)
    _read(vault, ref, reader="party-courier-9", purpose="deliver parcel 00/069012345000000017")
    _read(vault, ref, reader="party-inspector-2", purpose="complaint 42 investigation")
    with vault.engine.connect() as conn:
        rows = conn.execute(
            select(access_t).where(access_t.c.person_id == ref.id).order_by(access_t.c.id)
        ).all()
    assert [(r.reader, r.action, r.purpose) for r in rows] == [
        ("party-courier-9", "read", "deliver parcel 00/069012345000000017"),
        ("party-inspector-2", "read", "complaint 42 investigation"),
    ]
    assert all(r.at is not None for r in rows)


def test_a_read_rolled_back_leaves_no_record_and_a_refused_read_writes_nothing(vault):
    ref = _store(vault)
    with pytest.raises(RuntimeError), vault.engine.begin() as conn:
        vault.read_person(conn, ref.id, reader="party-1", purpose="label")
        raise RuntimeError("the caller failed before handing the data out")
    with pytest.raises(InputError, match="'purpose'"), vault.engine.begin() as conn:
        vault.read_person(conn, ref.id, reader="party-1", purpose=" ")
    with vault.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(access_t)).scalar_one() == 0


def test_unknown_person_is_not_found(vault):
    missing = str(uuid.uuid4())
    with vault.engine.begin() as conn:
        with pytest.raises(NotFound, match=f"person {missing} does not exist"):
            vault.read_person(conn, missing, reader="p", purpose="x")
        with pytest.raises(NotFound):
            vault.erase_person(conn, missing, by="p")
        with pytest.raises(InputError, match="is not a UUID") as e:
            vault.read_person(conn, "../etc", reader="p", purpose="x")
    assert e.value.field == "person_id"


# --- erasure ---------------------------------------------------------------------


def test_erasure_destroys_key_and_ciphertext_and_reads_raise_erased(vault):
    ref, kept = _store(vault), _store(vault, BOB)
    with vault.engine.begin() as conn:
        when = vault.erase_person(conn, ref.id, by="party-platform-1")
    with vault.engine.begin() as conn:
        with pytest.raises(Erased, match=rf"^person {ref.id} was erased on \d{{4}}-") as e:
            vault.read_person(conn, ref.id, reader="party-inspector-2", purpose="audit")
        with pytest.raises(Erased):
            vault.verify_commitment(conn, ref.id, ALICE)
        # Erasing again is a no-op that reports the first erasure.
        assert vault.erase_person(conn, ref.id, by="someone-else") == e.value.erased_at
    assert isinstance(e.value, NotFound)
    assert abs((e.value.erased_at - when).total_seconds()) < 1
    with vault.engine.connect() as conn:
        row = conn.execute(select(people_t).where(people_t.c.id == ref.id)).one()
        log = conn.execute(select(access_t).where(access_t.c.action == "erase")).all()
    assert (row.wrapped_key, row.nonce, row.ciphertext, row.salt) == (None, None, None, None)
    assert row.erased_by == "party-platform-1" and row.commitment == ref.commitment
    assert [(r.person_id, r.reader) for r in log] == [(ref.id, "party-platform-1")]
    assert _read(vault, kept) == BOB


def test_a_row_cannot_be_half_erased(vault):
    ref = _store(vault)
    with pytest.raises(IntegrityError):
        _set(vault.engine, ref.id, wrapped_key=None)
    with pytest.raises(IntegrityError):
        _set(vault.engine, ref.id, erased=text("CURRENT_TIMESTAMP"))
    assert _read(vault, ref) == ALICE


# --- tampering and the wrong key ------------------------------------------------


def _flip(data: bytes, at: int = 0) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


def _row(engine, person_id: str):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return conn.execute(select(people_t).where(people_t.c.id == person_id)).one()


@pytest.mark.parametrize(
    ("column", "part"),
    [("ciphertext", "ciphertext"), ("nonce", "ciphertext"), ("wrapped_key", "wrapped data key")],
)
def test_tampered_seal_is_a_clear_error(vault, column, part):
    ref = _store(vault)
    row = _row(vault.engine, ref.id)
    _set(vault.engine, ref.id, **{column: _flip(bytes(getattr(row, column)), 3)})
    with pytest.raises(SealBroken, match=f"person {ref.id}: the sealed {part} failed") as e:
        _read(vault, ref)
    assert (e.value.person_id, e.value.part) == (ref.id, part)


def test_ciphertext_moved_to_another_person_does_not_open(vault):
    a, b = _store(vault), _store(vault, BOB)
    row = _row(vault.engine, b.id)
    _set(vault.engine, a.id, wrapped_key=row.wrapped_key, nonce=row.nonce, ciphertext=row.ciphertext)
    with pytest.raises(SealBroken, match="sealed ciphertext"):
        _read(vault, a)


def test_wrong_master_key_is_a_clear_error(vault):
    ref = _store(vault)
    wrong = Vault(vault.engine, os.urandom(32))
    expected = f"sealed under vault key id {vault.key_id}, got key id {wrong.key_id}"
    with pytest.raises(VaultKeyMismatch, match=expected) as e:
        _read(wrong, ref)
    assert isinstance(e.value, ConfigError) and isinstance(e.value, VaultError)
    # Even with the key id forged to match, the wrapped key does not unwrap.
    _set(vault.engine, ref.id, kek_id=wrong.key_id)
    with pytest.raises(SealBroken, match="wrapped data key"):
        _read(wrong, ref)


# --- input validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "kind", "field", "message"),
    [
        ({**ALICE, "email": "a@b.cn"}, "recipient", "email", "Unknown field 'email': a person has only name, phone and address."),
        ({"name": "张三", "phone": "13912345678"}, "recipient", "address", "Field 'address' is missing: a recipient needs name, phone and address."),
        ({**ALICE, "address": "路" * 301}, "recipient", "address", "Field 'address' is 301 characters long: expected at most 300."),
        ({**ALICE, "name": "张" * 101}, "recipient", "name", "Field 'name' is 101 characters long: expected at most 100."),
        ({**ALICE, "name": 7}, "recipient", "name", "Field 'name' must be a string, got int."),
        ({**ALICE, "name": "  "}, "recipient", "name", "Field 'name' is empty: give a value or leave the field out."),
        ({**ALICE, "address": "a\x00b"}, "recipient", "address", "Field 'address' contains a control character: remove it."),
        ({**ALICE, "phone": "12812345678"}, "recipient", "phone", "Field 'phone' is not a phone number: expected a mainland China"),
        ({**ALICE, "phone": "010-1234567"}, "recipient", "phone", "Field 'phone' is not a phone number"),
        ({"phone": "1391234567"}, "consumer", "phone", "Field 'phone' is not a phone number"),
        ({}, "consumer", None, "A consumer needs at least one of name, phone and address."),
        (ALICE, "courier", "kind", "Kind 'courier' is not a person kind: use 'consumer' or 'recipient'."),
    ],
)
def test_bad_fields_name_the_field(fields, kind, field, message):
    with pytest.raises(InputError) as e:
        validate_person(fields, kind=kind)
    assert str(e.value).startswith(message)
    assert e.value.field == field
    # Error messages never echo a personal value.
    for value in ALICE.values():
        assert value not in str(e.value)


@pytest.mark.parametrize(
    ("phone", "canonical"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(0571) 8765 4321", "0571-87654321"),
        ("0571-8765432", "0571-8765432"),
        ("+86 10 1234 5678", "010-12345678"),
        ("021-66668888转123", "021-66668888-123"),
        ("０２１－６６６６８８８８", "021-66668888"),
    ],
)
def test_phone_forms(phone, canonical):
    assert validate_person({"phone": phone}, kind="consumer") == {"phone": canonical}


def test_bad_fields_write_nothing(vault):
    with pytest.raises(InputError), vault.engine.begin() as conn:
        vault.store_person(conn, {**ALICE, "phone": "0"}, kind="recipient")
    with vault.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people_t)).scalar_one() == 0


# --- access policy -----------------------------------------------------------------


def test_may_read():
    order = {"party-merchant-1", "party-courier-9"}
    assert may_read({"inspector"}, "party-inspector-2", order)
    assert may_read({"courier"}, "party-courier-9", order)
    assert not may_read({"courier"}, "party-courier-8", order)
    assert not may_read({"merchant", "producer"}, "party-merchant-3", order)
    assert not may_read(set(), "", order | {""})


# --- the master key ------------------------------------------------------------------


def test_master_key_from_settings():
    key = os.urandom(32)
    encoded = base64.b64encode(key).decode()
    assert vault_master_key(SimpleNamespace(vault_key=encoded, data_dir="/nonexistent")) == key
    assert vault_master_key(SimpleNamespace(vault_key=SecretStr(encoded), data_dir="/x")) == key
    with pytest.raises(ConfigError, match="SUYUAN_VAULT_KEY is not base64"):
        vault_master_key(SimpleNamespace(vault_key="not base64!", data_dir="/x"))
    with pytest.raises(ConfigError, match="SUYUAN_VAULT_KEY decodes to 16 bytes"):
        vault_master_key(SimpleNamespace(vault_key=base64.b64encode(os.urandom(16)).decode()))


def test_master_key_file_is_made_once_with_mode_0600(tmp_path):
    settings = SimpleNamespace(data_dir=tmp_path / "data")
    key = vault_master_key(settings)
    path = tmp_path / "data" / "vault.key"
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert vault_master_key(settings) == key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    path.chmod(0o640)
    with pytest.raises(ConfigError, match=r"has mode 0640: expected 0600 .*`chmod 600"):
        vault_master_key(settings)


def test_master_key_of_wrong_length_is_refused(engine):
    with pytest.raises(ConfigError, match="expected 32 bytes, got 16"):
        Vault(engine, os.urandom(16))


# --- schema --------------------------------------------------------------------------


def test_models_match_the_migration(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Person.metadata)
    assert [d for d in diffs if _diff_table(d) in VAULT_TABLES] == []
    assert VAULT_TABLES <= set(inspect(engine).get_table_names())


def _diff_table(diff) -> str | None:  # noqa: ANN001
    """The table an alembic autogenerate diff is about."""
    if isinstance(diff, list):  # column modifications come grouped
        diff = diff[0]
    for part in diff[1:]:
        if isinstance(part, Table):
            return part.name
        if isinstance(part, str) and part in VAULT_TABLES:
            return part
        table = getattr(part, "table", None)  # Column, Index, Constraint
        if isinstance(table, Table):
            return table.name
    return None
