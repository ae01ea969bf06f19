"""The rooms keep their walls: import contracts, and modules and functions of a readable size.

The contracts live in pyproject.toml (`[tool.importlinter]`); `lint-imports`
checks them here so the suite (and CI) fails when someone adds, say,
`from suyuan.trace import ...` inside `suyuan/codes`.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "suyuan"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# A long module or function says why in a comment starting with this, on its first line
# (module: in the docstring's first 5 lines; function: on the `def` line or the one above).
WAIVER = "long:"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    r = _lint_imports(REPO)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "BROKEN" not in r.stdout and "0 broken" in r.stdout.replace("Contracts: ", ""), r.stdout[-2000:]


def test_import_contracts_catch_codes_reaching_into_the_domain(tmp_path):
    # A copy of the package with one forbidden import added must break a contract.
    copy = tmp_path / "repo"
    shutil.copytree(PACKAGE, copy / "suyuan", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    gs1 = copy / "suyuan" / "codes" / "gs1.py"
    gs1.write_text(gs1.read_text(encoding="utf-8") + "\nfrom suyuan.trace.goods import models  # noqa\n",
                   encoding="utf-8")
    r = _lint_imports(copy)
    assert r.returncode != 0, r.stdout[-2000:]
    assert "codes is a pure library" in r.stdout and "BROKEN" in r.stdout
    assert "suyuan.codes.gs1 -> suyuan.trace.goods" in r.stdout


def _waived(lines: list[str], lineno: int) -> bool:
    near = lines[max(0, lineno - 2):lineno]
    return any(f"# {WAIVER}" in line for line in near)


def test_no_module_over_400_lines_and_no_function_over_60():
    too_long: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        rel = path.relative_to(REPO)
        if len(lines) > MAX_MODULE_LINES and not any(WAIVER in line for line in lines[:5]):
            too_long.append(f"{rel}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if length > MAX_FUNCTION_LINES and not _waived(lines, first):
                    too_long.append(f"{rel}:{node.lineno} {node.name}(): {length} lines")
    assert not too_long, f"{len(too_long)} over the limits (or say why with '# {WAIVER} ...'):\n" + "\n".join(too_long)
