"""HTTP caching of the scan page: a weak `ETag` per answer, `If-None-Match` answered with 304.

A page's tag is a hash of what it shows (the goods, every entry of the
journey's chains, so their heads, how much of it the log has signed, the
warnings and the credit), but not the running count of checks, which
changes on every scan and is not worth a new download. It is weak
(RFC 9110 §8.8.1): two renderings of one record carry different form ids.

Each process remembers the tag it last sent for each URL (and negotiated
type) for `REMEMBER_SECONDS`. A revalidation within that time that names the
tag is answered 304 without reading the record; its check is still logged, a
moment later, by `suyuan.trace.journey.scanlog.CheckQueue`. What changes a
page forgets the remembered tags: any write request answered by a worker on
this host or a checkpoint it signed (both touch a stamp file in the data
directory, which every worker looks at every `STAMP_SECONDS`), or a
clone flag raised by a queued check. What changes no row through this
host (another host's writes; the date, for expiry; the analysis's findings)
shows within `REMEMBER_SECONDS`.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


def etag(variant: tuple[str, ...], record: dict[str, Any]) -> str:
    """The weak tag of one answer: the negotiated variant and the record without the count of checks."""
    shown = dict(record)
    scans = shown.get("scans")
    if scans:
        shown["scans"] = {k: v for k, v in scans.items() if k != "count"}
    digest = hashlib.sha256(orjson.dumps([variant, shown], option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f'W/"{digest[:32]}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Weak comparison of `tag` with an If-None-Match list (RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    opaque = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


REMEMBER_SECONDS = 60.0
STAMP_SECONDS = 0.25  # a sibling worker's write ends this one's 304s within this (a `stat` costs a GIL hand-off)
STAMP_FILE = "page-tags.stamp"


@dataclass(frozen=True)
class Remembered:
    tag: str
    key: str  # the ledger key the page shows, for logging the checks its 304s answer
    kind: str
    at: float
    generation: int


class PageTags:
    """The tags this process sent lately, by URL and variant (see the module doc); `stamp` None: this
    process's writes alone forget them."""

    def __init__(self, enabled: bool, stamp: Path | None = None, size: int = 100_000) -> None:
        self.enabled, self.stamp, self.size = enabled, stamp, size
        self._local = 0  # writes answered by this process
        self._stamp_ns, self._stamp_at = 0, -STAMP_SECONDS
        self.stamp_every = STAMP_SECONDS
        self._tags: dict[tuple[str, str], Remembered] = {}
        self._lock = threading.Lock()

    def _generation(self) -> int:
        """This process's writes and the stamp's time; the stamp is looked at every STAMP_SECONDS at most."""
        now = time.monotonic()
        if self.stamp is not None and now - self._stamp_at >= self.stamp_every:
            try:
                self._stamp_ns = self.stamp.stat().st_mtime_ns
            except FileNotFoundError:
                self._stamp_ns = 0
            self._stamp_at = now
        return self._local + self._stamp_ns

    def remember(self, url: tuple[str, str], tag: str, key: str, kind: str) -> None:
        generation = self._generation()
        with self._lock:
            if len(self._tags) >= self.size:
                self._tags.clear()
            self._tags[url] = Remembered(tag, key, kind, time.monotonic(), generation)

    def fresh(self, url: tuple[str, str], if_none_match: str | None) -> Remembered | None:
        """The remembered answer if the client holds its tag and it is still fresh, else None."""
        if not if_none_match or not self.enabled:
            return None
        found = self._tags.get(url)
        if (found is None or time.monotonic() - found.at >= REMEMBER_SECONDS
                or not matches(if_none_match, found.tag) or found.generation != self._generation()):
            return None
        return found

    def written(self) -> None:
        """Something changed through this process: no remembered tag can be trusted, here or in a sibling."""
        self._local += 1
        if self.stamp is None:
            return
        try:
            self.stamp.parent.mkdir(parents=True, exist_ok=True)
            self.stamp.touch()
            now = time.time_ns()
            os.utime(self.stamp, ns=(now, max(now, self.stamp.stat().st_mtime_ns + 1)))
        except OSError:
            self.stamp = None  # an unwritable data dir: fall back to this process's writes

    def forget(self, key: str) -> None:
        with self._lock:
            self._tags = {url: r for url, r in self._tags.items() if r.key != key}
