"""The web layer runs no SQL: a router that imports sqlalchemy breaks an import contract.

Routers take the ledger, the settings and the caller from `suyuan.api.deps`
and reach data through the domain (`suyuan.trace`); only `api/deps.py` names
the engine's type. `tests/test_architecture.py` checks that every contract is
kept; this checks that this one bites.
"""

from __future__ import annotations

import shutil

from tests.test_architecture import PACKAGE, REPO, _lint_imports


def test_sql_in_a_router_breaks_the_web_layer_contract(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(PACKAGE, copy / "suyuan", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    flags = copy / "suyuan" / "api" / "routes" / "flags.py"
    flags.write_text(flags.read_text(encoding="utf-8") + "\nfrom sqlalchemy import select  # noqa\n",
                     encoding="utf-8")
    r = _lint_imports(copy)
    assert r.returncode != 0, r.stdout[-2000:]
    assert "the web layer runs no SQL" in r.stdout and "suyuan.api.routes.flags -> sqlalchemy" in r.stdout
