"""`suyuan serve` as a real process, the way a user runs it, for tests that need one.

A server is ready when it answers `GET /log/checkpoint` (the database answers
and the first checkpoint is signed). Tests wait for that, or for the process
to die, never on a fixed start-up timeout: a loaded 2-core machine can take
a long while to import, migrate and bind. `HANG_SECONDS` only stops a test
from waiting forever on a server that is alive but never answers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

HANG_SECONDS = 600
PORT_ATTEMPTS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    """The server process exited, or never answered, before it was ready."""


class ServerProcess:
    """One `suyuan serve` process with its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path, cwd: Path | None = None, args: tuple[str, ...] = ()) -> None:
        self.env, self.log, self.cwd, self.args = env, log, cwd, args
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start the server and return its base URL once it is ready.

        A free port can be taken by another process before the server binds
        it; then the server exits with "address already in use" and we try
        another port.
        """
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            with self.log.open("wb") as out:  # a file, not a pipe nobody reads
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "suyuan.cli", "serve", "--port", str(self.port), *self.args],
                    env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=self.cwd)
            if self._wait_ready():
                return self.base
        raise ServerDidNotStart(f"no free port after {PORT_ATTEMPTS} attempts:\n{self.output()}")

    def _wait_ready(self) -> bool:
        started = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                if "address already in use" in self.output().lower():
                    return False
                raise ServerDidNotStart(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/log/checkpoint", timeout=30).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            if time.monotonic() - started > HANG_SECONDS:
                self.stop()
                raise ServerDidNotStart(f"server alive but not answering after {HANG_SECONDS} s:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


@contextmanager
def running_server(env: dict[str, str], log: Path | None = None, cwd: Path | None = None) -> Iterator[str]:
    """Start `suyuan serve` on a free port with `env`; yield its base URL once it is ready."""
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(env, log or Path(tmp) / "server.log", cwd)
        try:
            yield server.start()
        finally:
            server.stop()
