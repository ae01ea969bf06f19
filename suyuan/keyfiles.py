"""Secret key files (the log key, the vault master key): mode 0600, never overwritten.

Like ssh with private keys, a key file readable or writable by group or others
is refused. A new file is written under a temporary name and hard-linked into
place, so a concurrent reader never sees half a key and an existing key is
never replaced.
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

from suyuan.errors import ConfigError

KEY_FILE_MODE = 0o600


def write_key_file(path: Path, data: bytes, what: str) -> None:
    """Create `path` holding `data` with mode 0600; FileExistsError if it exists."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except OSError as e:
        raise ConfigError(f"cannot create {what} {path}: {e.strerror}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), KEY_FILE_MODE)  # umask can only clear bits
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as e:
        raise ConfigError(f"cannot write {what} {path}: {e.strerror}") from e
    finally:
        tmp.unlink(missing_ok=True)


def read_key_file(path: Path, what: str, missing_hint: str, limit: int = 65536) -> bytes:
    """The bytes of a key file; ConfigError if missing, not a file, exposed or unreadable."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError as e:
        raise ConfigError(f"{what} {path} does not exist: {missing_hint}") from e
    except OSError as e:
        raise ConfigError(f"cannot read {what} {path}: {e.strerror}") from e
    try:
        # Check the opened file itself, not the path, so the check and the read agree.
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{what} {path} is not a regular file")
        mode = stat.S_IMODE(st.st_mode)
        if os.name == "posix" and mode & 0o077:
            raise ConfigError(
                f"{what} {path} has mode {mode:04o}: expected 0600 "
                f"(no access for group or others); fix it with `chmod 600 {path}`"
            )
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(limit)
    except OSError as e:
        raise ConfigError(f"cannot read {what} {path}: {e.strerror}") from e
    finally:
        os.close(fd)
