"""HTTP caching of the scan page: a weak `ETag` per answer, `If-None-Match` answered with 304.

A page's tag is a hash of what it shows (the goods, every entry of the
journey's chains, so their heads, how much of it the log has signed, the
warnings and the credit), but not the running count of checks, which
changes on every scan and is not worth a new download. It is weak
(RFC 9110 §8.8.1): two renderings of one record carry different form ids.

Each process remembers the tag it last sent for each URL (and negotiated
type) for `max_age` seconds, the time a cache may keep the page anyway
(`Cache-Control: max-age`). A revalidation within that time that names the
tag is answered 304 without reading the record; its check is still logged,
a moment later, by `suyuan.trace.journey.scanlog.CheckQueue`. Any write
request answered by this process, or a clone flag raised by a queued check,
forgets the remembered tags (other workers' lapse after `max_age`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Remembered:
    tag: str
    key: str  # the ledger key the page shows, for logging the checks its 304s answer
    kind: str
    at: float
    generation: int


class PageTags:
    """The tags this process sent lately, by URL and variant (see the module doc)."""

    def __init__(self, max_age: float, size: int = 100_000) -> None:
        self.max_age, self.size = max_age, size
        self.generation = 0  # bumped by every write this process answers
        self._tags: dict[tuple[str, str], Remembered] = {}
        self._lock = threading.Lock()

    def remember(self, url: tuple[str, str], tag: str, key: str, kind: str) -> None:
        with self._lock:
            if len(self._tags) >= self.size:
                self._tags.clear()
            self._tags[url] = Remembered(tag, key, kind, time.monotonic(), self.generation)

    def fresh(self, url: tuple[str, str], if_none_match: str | None) -> Remembered | None:
        """The remembered answer if the client holds its tag and it is still fresh, else None."""
        if not if_none_match or self.max_age <= 0:
            return None
        found = self._tags.get(url)
        if (found is None or found.generation != self.generation
                or time.monotonic() - found.at >= self.max_age or not matches(if_none_match, found.tag)):
            return None
        return found

    def written(self) -> None:
        """Something changed through this process: no remembered tag can be trusted."""
        self.generation += 1

    def forget(self, key: str) -> None:
        with self._lock:
            self._tags = {url: r for url, r in self._tags.items() if r.key != key}
