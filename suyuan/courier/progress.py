"""A text progress bar for long CLI jobs (queue sync, label sheets), drawn on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """`[#####.....]  512/1000  51%  label` redrawn in place on a terminal.

    On a pipe or file it writes a line per step of at least 10 %, so logs
    stay short and a supervising process can still follow along.
    """

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, width: int = 30):
        self.total, self.label, self.width = max(total, 0), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_pct = -10
        self._last_draw = 0.0

    def advance(self, by: int = 1) -> None:
        self.update(self.done + by)

    def update(self, done: int) -> None:
        self.done = min(done, self.total) if self.total else done
        pct = 100 if not self.total else self.done * 100 // self.total
        now = time.monotonic()
        if self._tty:
            if pct != 100 and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            self.stream.write("\r" + self._line(pct))
        elif pct >= self._last_pct + 10 or (pct == 100 and self._last_pct != 100):
            self._last_pct = pct
            self.stream.write(self._line(pct) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self.stream.write("\r" + self._line(100 if self.done >= self.total else self._pct()) + "\n")
            self.stream.flush()

    def _pct(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total

    def _line(self, pct: int) -> str:
        filled = self.width * pct // 100
        bar = "#" * filled + "." * (self.width - filled)
        digits = len(str(self.total))
        return f"[{bar}] {self.done:>{digits}}/{self.total} {pct:3d}% {self.label}".rstrip()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
