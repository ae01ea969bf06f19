"""Public conformance vectors, vendored with their licences.

RFC 9162 proofs (transparency-dev/merkle `testdata/`, Apache-2.0), C2SP
signed-note and tlog-checkpoint examples (BSD-1-Clause / CC BY 4.0) and GS1
EPCIS 2.0 examples and JSON schema (GS1 licence) live beside this file, so a
fresh clone tests green on its own. `MANIFEST.sha256` lists every vector
file; a missing or changed file is an error, never a skip.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


class MissingVector(AssertionError):
    """A conformance vector file the tests need is not in the repository."""


def vector(*parts: str) -> Path:
    """The path of one vector file; raises MissingVector if it is absent."""
    path = ROOT.joinpath(*parts)
    if not path.is_file():
        raise MissingVector(f"expected conformance vector {path.relative_to(ROOT)}, got no such file")
    return path


def vectors(folder: str, pattern: str) -> list[Path]:
    """Every vector file under `folder` matching `pattern`, as MANIFEST.sha256 lists them.

    Raises MissingVector when the manifest names a file that is not there, so a
    deleted vector fails the tests instead of shrinking them.
    """
    listed = sorted(ROOT / name for name in manifest() if Path(name).match(pattern)
                    and Path(name).is_relative_to(folder))
    if not listed:
        raise MissingVector(f"expected vectors {folder}/{pattern} in MANIFEST.sha256, got none")
    for path in listed:
        vector(str(path.relative_to(ROOT)))
    return listed


def manifest() -> dict[str, str]:
    """`{relative path: sha256 hex}` of every vendored vector file."""
    lines = (ROOT / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines()
    return {name.removeprefix("./"): digest for digest, name in (line.split(None, 1) for line in lines if line)}
