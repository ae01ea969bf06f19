"""The newest checkpoint the log has published, remembered outside its database.

A database restored from an older backup has forgotten the checkpoints
signed after the backup; left alone, the sequencer would sign new ones over
other leaves at sizes it already published, a fork that every verifier
holding a newer checkpoint would see as the log lying. So the log keeps a
small state file beside its key (`<data dir>/log.state`, or
`SUYUAN_LOG_STATE`): the origin, size and root of the last checkpoint it
published, replaced atomically (write, fsync, rename) right after each
checkpoint commits, the moment it can be served. Before signing, and on
every sequencer run (so at start too), the tree in the database must extend
that checkpoint: at least its size, and the same root at its size.
Otherwise the sequencer refuses (`LogForkRefused`, naming both sizes and
roots) until an operator restores a newer backup or runs
`suyuan log recover`, which accepts the database's log as it is.

Written after the commit, not before: a crash between the two leaves the
file one checkpoint behind the database (which the next run checks and
catches up), never ahead of it (which would refuse a log that did not fork).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from suyuan.errors import ConfigError, LogForkRefused


@dataclass(frozen=True)
class Published:
    origin: str
    size: int
    root: bytes

    def describe(self) -> str:
        return f"size {self.size}, root {base64.b64encode(self.root).decode()}"


class PublishedState:
    """The state file: read once at start, rewritten after every published checkpoint."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._last = self._read()

    @property
    def last(self) -> Published | None:
        return self._last

    def _read(self) -> Published | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return Published(raw["origin"], int(raw["size"]), base64.b64decode(raw["root"], validate=True))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"Log state file {self.path}: expected the JSON `suyuan` writes "
                              f"({{origin, size, root}}), got something unreadable ({exc}); restore it from "
                              "a backup, or run `suyuan log recover`.") from None

    def save(self, published: Published) -> None:
        """Replace the file atomically: a crash leaves the old file or the new one, never half of one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"origin": published.origin, "size": published.size,
                           "root": base64.b64encode(published.root).decode()}) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".log.state.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._last = published

    def check(self, origin: str, size: int, root_at) -> None:  # noqa: ANN001
        """Refuse a tree of `size` leaves that does not extend the last published checkpoint.

        `root_at(n)` gives the database tree's root at size n <= size.
        """
        last = self._last
        if last is None:
            return
        if last.origin != origin:
            raise LogForkRefused(last, origin, size, None)
        if size < last.size:
            raise LogForkRefused(last, origin, size, root_at(size))
        root = root_at(last.size)
        if root != last.root:
            raise LogForkRefused(last, origin, last.size, root)
