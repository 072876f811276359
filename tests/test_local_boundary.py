"""Production code imports nothing from the local tooling (`pipeline_health.local`).

The scan parses every Python file under dags/, plugins/ and include/ outside
include/pipeline_health/local/ and fails naming the file and line of each import of
`pipeline_health.local` (any form) and each `python -m pipeline_health.local...` it would run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("include", "dags", "plugins")
LOCAL = "include/pipeline_health/local/"
PACKAGE = "pipeline_health.local"

# Outside local/ but allowed to use it: path -> reason.
ALLOWED: dict[str, str] = {
    "include/pipeline_health/cli.py": "the command line's `demo` subcommand (README, `make demo`) "
                                      "imports local.demo when it runs; no DAG or plugin imports cli",
}


def _is_local(module: str) -> bool:
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def local_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) of each use of pipeline_health.local in this Python source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if _is_local(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _is_local(node.module):
                found.append((node.lineno, f"from {node.module} import ..."))
            elif node.module == "pipeline_health" and any(a.name == "local" for a in node.names):
                found.append((node.lineno, "from pipeline_health import local"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_local(node.value):
            found.append((node.lineno, f"runs or names {node.value!r}"))  # python -m, importlib
    return sorted(found)


def test_production_code_imports_nothing_from_local_tooling() -> None:
    files = [p for folder in SCANNED for p in sorted((REPO / folder).rglob("*.py"))]
    assert len(files) > 20 and any(p.name == "config.py" for p in files), "the scan found too few files"
    problems = []
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(LOCAL) or rel in ALLOWED:
            continue
        problems += [f"{rel}:{line}: {what}" for line, what in local_uses(path.read_text())]
    assert not problems, ("production code uses the local tooling; move the code it needs out of "
                          "pipeline_health.local:\n" + "\n".join(problems))


def test_the_allowed_exceptions_still_use_local_tooling() -> None:
    for rel, reason in ALLOWED.items():
        assert reason.strip(), f"{rel}: give the reason it may use pipeline_health.local"
        assert local_uses((REPO / rel).read_text()), f"{rel} no longer uses it: remove it from ALLOWED"


def test_the_local_tooling_is_where_the_scan_looks() -> None:
    names = {p.name for p in (REPO / LOCAL).glob("*.py")}
    assert {"demo.py", "dag_runner.py", "local_airflow.py", "mail_sink.py"} <= names, names


@pytest.mark.parametrize(("code", "uses"), [
    ("import pipeline_health.local.demo", 1),
    ("import pipeline_health.local as l", 1),
    ("from pipeline_health.local import local_airflow", 1),
    ("from pipeline_health.local.dag_runner import main", 1),
    ("from pipeline_health import config, local", 1),
    ("def f():\n    from pipeline_health.local.demo import run_demo", 1),
    ("cmd = ['python', '-m', 'pipeline_health.local.dag_runner']", 1),
    ("import pipeline_health.localisation", 0),
    ("from pipeline_health import config", 0),
    ("from .local import x", 0),  # relative imports are not used in this package
    ("x = 'local tooling'", 0),
])
def test_the_scan_finds_every_form_of_use(code: str, uses: int) -> None:
    assert len(local_uses(code)) == uses, local_uses(code)
