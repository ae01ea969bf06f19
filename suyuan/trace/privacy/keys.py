"""The vault's keys: the master key, where it lives, and the keys derived from it.

The master key is 32 random bytes, from `settings.vault_key` (SUYUAN_VAULT_KEY,
base64) or the key file `<data_dir>/vault.key` (mode 0600, made on first use).
The key-encryption key, the commitment key and a short key id all come from it
by HKDF-SHA256 (RFC 5869) with distinct `info` strings, so no key serves two
purposes. The key id is stored with each sealed row: a wrong master key is then
reported as such, not as tampering.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from suyuan.errors import ConfigError
from suyuan.keyfiles import KEY_FILE_MODE, read_key_file, write_key_file

__all__ = [
    "KEY_FILE_MODE",
    "KEY_FILE_NAME",
    "MASTER_KEY_BYTES",
    "VaultKeys",
    "create_master_key_file",
    "derive_keys",
    "load_master_key_file",
    "vault_master_key",
]

MASTER_KEY_BYTES = 32
KEY_FILE_NAME = "vault.key"

_HKDF_INFO_KEK = b"suyuan/vault/v1/key-encryption-key"
_HKDF_INFO_COMMIT = b"suyuan/vault/v1/commitment-key"
_HKDF_INFO_KEY_ID = b"suyuan/vault/v1/key-id"


@dataclass(frozen=True)
class VaultKeys:
    """What the vault uses: never the master key itself."""

    kek: bytes
    commit: bytes
    key_id: str


def derive_keys(master_key: bytes) -> VaultKeys:
    """The key-encryption key, commitment key and key id of a master key (HKDF-SHA256)."""

    def hkdf(info: bytes, length: int) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
            master_key
        )

    return VaultKeys(
        kek=hkdf(_HKDF_INFO_KEK, 32),
        commit=hkdf(_HKDF_INFO_COMMIT, 32),
        key_id=hkdf(_HKDF_INFO_KEY_ID, 8).hex(),
    )


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
