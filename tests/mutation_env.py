"""pytest plugin for the mutation-testing run only (`[tool.mutmut]` in pyproject.toml loads it).

While mutmut collects coverage it sets MUTANT_UNDER_TEST=stats, and a child process
(`suyuan verify-bundle` started by a test, in another directory) inherits it: the
mutated code there then asks mutmut for its configuration, which it looks for in the
working directory, and dies. mutmut keeps its own copy of the setting inside this
process, so the environment variable can go for the stats run: children then run the
original code, as in a clean run. While a mutant is tested the variable stays, so a
child process runs the mutant too.
"""

from __future__ import annotations

import os


def pytest_configure(config):  # noqa: ANN001, ANN201, ARG001
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        del os.environ["MUTANT_UNDER_TEST"]
