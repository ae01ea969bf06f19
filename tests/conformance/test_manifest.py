"""The vendored vectors are all here and unchanged."""

from __future__ import annotations

import hashlib

from tests.conformance import ROOT, manifest


def test_every_vector_in_the_manifest_is_present_and_unchanged() -> None:
    listed = manifest()
    assert len(listed) > 200, f"expected the full vector set, got {len(listed)} files in MANIFEST.sha256"
    problems = []
    for name, digest in listed.items():
        path = ROOT / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: changed")
    assert not problems, f"{len(problems)} of {len(listed)} vector files: {problems}"


def test_every_vector_folder_carries_its_licence() -> None:
    for folder, licence in (("merkle", "LICENSE.transparency-dev-merkle"), ("signed-note", "LICENSE.c2sp"),
                            ("epcis", "LICENSE.gs1-EPCIS")):
        assert (ROOT / folder / licence).is_file(), f"expected {folder}/{licence}"
