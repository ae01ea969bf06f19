"""The log's signing key: key files, signed notes and signed checkpoints.

The key is an Ed25519 private key kept as an unencrypted PKCS#8 PEM file with
mode 0600 (made by ``suyuan init``) or given by settings. Verification code
never imports this module.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from suyuan.errors import ConfigError, NoteError
from suyuan.keyfiles import KEY_FILE_MODE, read_key_file, write_key_file
from suyuan.ledger.verify.checkpoint import Checkpoint
from suyuan.ledger.verify.heads import ChainHeads
from suyuan.ledger.verify.note import Verifier, check_note_text, format_signature_line, is_valid_name, key_id

__all__ = ["KEY_FILE_MODE", "LogSigner", "create_key_file", "load_key_file"]



class LogSigner:
    """Signs notes and checkpoints with one Ed25519 key.

    The key name is passed per call, so one key can serve a log whose identity
    (origin) is a parameter, never a module-level singleton.
    """

    __slots__ = ("_key", "_public")

    def __init__(self, private_key: Ed25519PrivateKey):
        if not isinstance(private_key, Ed25519PrivateKey):
            raise TypeError(f"expected Ed25519PrivateKey, got {type(private_key).__name__}")
        self._key = private_key
        self._public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def __repr__(self) -> str:
        return f"LogSigner(public_key={self._public.hex()})"

    @classmethod
    def generate(cls) -> LogSigner:
        """A signer with a fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes | str) -> LogSigner:
        """Load an unencrypted PKCS#8 PEM Ed25519 private key; ConfigError if unusable."""
        if isinstance(pem, str):
            pem = pem.encode("utf-8")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except TypeError as e:  # encrypted key, no password given
            raise ConfigError(
                "log key is encrypted: expected an unencrypted PKCS#8 PEM Ed25519 key"
            ) from e
        except (ValueError, UnsupportedAlgorithm) as e:
            raise ConfigError(
                "log key is not a PEM private key: expected an unencrypted PKCS#8 PEM "
                "Ed25519 key (-----BEGIN PRIVATE KEY-----)"
            ) from e
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(
                f"log key is a {type(key).__name__.removeprefix('_')}: expected an Ed25519 key"
            )
        return cls(key)

    def to_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public

    def key_id(self, name: str) -> bytes:
        """The 4-byte signed-note key ID of this key under `name`."""
        return key_id(name, self._public)

    def verifier(self, name: str) -> Verifier:
        """The note Verifier for this key under `name`."""
        return Verifier.from_public_key(name, self._public)

    def verifier_key(self, name: str) -> str:
        """The verifier key text ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
        return self.verifier(name).key_string()

    def sign_note(self, text: str, name: str) -> str:
        """Sign `text` as key `name`; return the signed note.

        The result is ``text + "\\n" + "— <name> base64(key ID || signature)\\n"``
        (signed-note, "Format"); `text` must end in a newline and contain no
        control character but newline.
        """
        if not is_valid_name(name):
            raise NoteError(
                f"invalid key name {name!r}: expected a non-empty name without spaces or '+'"
            )
        check_note_text(text)
        signature = self._key.sign(text.encode("utf-8"))
        return text + "\n" + format_signature_line(name, self.key_id(name), signature)

    def sign_checkpoint(self, checkpoint: Checkpoint) -> str:
        """Sign a checkpoint with the key named after its origin (tlog-checkpoint, "Signatures")."""
        return self.sign_note(checkpoint.body(), checkpoint.origin)

    def sign_chain_heads(self, heads: ChainHeads) -> str:
        """Sign a journey's chain heads with the same key, under its origin (see `suyuan.ledger.verify.heads`)."""
        return self.sign_note(heads.body(), heads.origin)

    def derive_secret(self, purpose: bytes, length: int = 32) -> bytes:
        """A secret for `purpose`, derived from the private key by HKDF-SHA256 (RFC 5869 §2).

        The private key is the input keying material and `purpose` the `info`
        string, so each purpose gets its own key, independent of the others and
        of the signatures; no public value reveals any of them. Lets a server
        keep one key file instead of one per secret.
        """
        if not purpose:
            raise ValueError("expected a non-empty purpose")
        raw = self._key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(raw)


def create_key_file(path: Path) -> LogSigner:
    """Generate a key and write it to `path` as PKCS#8 PEM with mode 0600; never overwrites."""
    signer = LogSigner.generate()
    try:
        write_key_file(Path(path), signer.to_pem(), "log key file")
    except FileExistsError as e:
        raise ConfigError(
            f"log key file {path} already exists: refusing to overwrite it; "
            "move it away first if you really mean to replace the log key"
        ) from e
    return signer


def load_key_file(path: Path) -> LogSigner:
    """Read the log key from `path`; ConfigError if missing, unreadable, exposed (not 0600) or bad."""
    pem = read_key_file(path, "log key file", "create it with `suyuan init` or set SUYUAN_LOG_KEY")
    try:
        return LogSigner.from_pem(pem)
    except ConfigError as e:
        raise ConfigError(f"log key file {path}: {e}") from e
