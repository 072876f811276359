"""Settings are read once, in `pipeline_health.config`: no other module reads the environment.

The scan parses every Python file under include/, dags/ and plugins/ and fails naming the file
and line of each read of `os.environ` / `os.getenv` outside config.py. Writing the environment
(`os.environ[k] = v`, `os.environ.setdefault(...)` as a statement, `update`, `del`) and building
a child process's environment from a copy (`dict(os.environ)`, `{**os.environ, ...}`,
`os.environ.copy()`) are allowed; reading a `PIPELINE_HEALTH_*` setting back from such a copy
(`env.get("PIPELINE_HEALTH_...")`, `env["PIPELINE_HEALTH_..."]`) is a read too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline_health import config
from pipeline_health.config import ConfigError

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("include", "dags", "plugins")
SETTINGS_MODULE = "include/pipeline_health/config.py"

# Local tooling allowed to read the environment itself: path -> reason. None today: the local
# Airflow set-up (local/local_airflow.py) reads PIPELINE_HEALTH_STATE_DIR and PIPELINE_HEALTH_DUCKDB_PATH
# through config too, and only writes AIRFLOW_HOME and builds the child processes' environment.
ALLOWED_READS: dict[str, str] = {}

_WRITE_METHODS = {"update", "clear", "__setitem__", "__delitem__"}
_COPY_METHODS = {"copy"}
_SETTING_PREFIX = "PIPELINE_HEALTH_"


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _os_names(tree: ast.AST) -> tuple[set[str], set[str], set[str]]:
    """Names bound to the os module, to os.environ and to os.getenv by this file's imports."""
    modules, environs, getenvs = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            environs |= {a.asname or a.name for a in node.names if a.name in ("environ", "environb")}
            getenvs |= {a.asname or a.name for a in node.names if a.name in ("getenv", "getenvb")}
    return modules, environs, getenvs


def _is_environ(node: ast.AST, modules: set[str], environs: set[str]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb"):
        return isinstance(node.value, ast.Name) and node.value.id in modules
    return isinstance(node, ast.Name) and node.id in environs


def _is_getenv(node: ast.AST, modules: set[str], getenvs: set[str]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in ("getenv", "getenvb"):
        return isinstance(node.value, ast.Name) and node.value.id in modules
    return isinstance(node, ast.Name) and node.id in getenvs


def _environ_use(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    """'read', 'write' or 'copy' for one occurrence of os.environ."""
    parent = parents.get(node)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return "read" if isinstance(parent.ctx, ast.Load) else "write"
    if isinstance(parent, ast.Attribute) and parent.value is node:
        call = parents.get(parent)
        if parent.attr in _COPY_METHODS:
            return "copy"
        if parent.attr in _WRITE_METHODS:
            return "write"
        if parent.attr == "setdefault" and isinstance(parents.get(call), ast.Expr):
            return "write"  # its value, the setting, is not used
        return "read"
    if isinstance(parent, ast.Call) and node in parent.args:
        func = parent.func
        return "copy" if isinstance(func, ast.Name) and func.id == "dict" else "read"
    if isinstance(parent, ast.keyword) and parent.arg is None:
        return "copy"  # dict(**os.environ)
    if isinstance(parent, ast.Dict) and any(k is None and v is node
                                            for k, v in zip(parent.keys, parent.values, strict=True)):
        return "copy"  # {**os.environ, ...}
    return "read"  # `in os.environ`, passing it on, binding it to a name, iterating it


def _setting_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            and node.value.startswith(_SETTING_PREFIX):
        return node.value
    return None


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) of each read of the environment in this Python source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    parents = _parents(tree)
    modules, environs, getenvs = _os_names(tree)
    found = []
    for node in ast.walk(tree):
        if _is_environ(node, modules, environs):
            if _environ_use(node, parents) == "read":
                found.append((node.lineno, "reads the environment"))
        elif _is_getenv(node, modules, getenvs):
            found.append((node.lineno, "reads the environment"))
        # A setting read back from a copy of the environment: env.get("PIPELINE_HEALTH_X").
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get" and node.args and _setting_key(node.args[0]) \
                and not _is_environ(node.func.value, modules, environs):
            found.append((node.lineno, f"reads {_setting_key(node.args[0])} from a copy of it"))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                and _setting_key(node.slice) and not _is_environ(node.value, modules, environs):
            found.append((node.lineno, f"reads {_setting_key(node.slice)} from a copy of it"))
    return sorted({(line, f"{what}: {lines[line - 1].strip()}") for line, what in found})


def _scanned_files() -> list[Path]:
    files = [p for folder in SCANNED for p in sorted((REPO / folder).rglob("*.py"))]
    assert any(p.name == "config.py" for p in files) and len(files) > 20, "the scan found too few files"
    return files


def test_no_module_outside_config_reads_the_environment() -> None:
    problems = []
    for path in _scanned_files():
        rel = path.relative_to(REPO).as_posix()
        if rel == SETTINGS_MODULE or rel in ALLOWED_READS:
            continue
        for line, what in environment_reads(path.read_text()):
            problems.append(f"{rel}:{line}: {what}")
    assert not problems, ("read settings in pipeline_health.config (Settings.from_env or a function "
                          "next to it), not here:\n" + "\n".join(problems))


def test_the_allowed_exceptions_still_read_the_environment() -> None:
    for rel, reason in ALLOWED_READS.items():
        assert reason.strip(), f"{rel}: give the reason it may read the environment"
        assert environment_reads((REPO / rel).read_text()), f"{rel} no longer reads the environment: " \
                                                             "remove it from ALLOWED_READS"


@pytest.mark.parametrize(("code", "reads"), [
    ("import os\nx = os.environ.get('A')", 1),
    ("import os\nx = os.environ['A']", 1),
    ("import os\nx = os.getenv('A', 'b')", 1),
    ("import os\nx = 'A' in os.environ", 1),
    ("import os as o\nx = o.environ.get('A')", 1),
    ("from os import environ\nx = environ.get('A')", 1),
    ("from os import getenv as g\nx = g('A')", 1),
    ("import os\nx = os.environ.setdefault('A', 'b')", 1),
    ("import os\nfor k, v in os.environ.items():\n    pass", 1),
    ("env = {}\nx = env.get('PIPELINE_HEALTH_X') or 'd'", 1),
    ("env = {}\nx = env['PIPELINE_HEALTH_X']", 1),
    ("import os\nos.environ['A'] = 'b'", 0),
    ("import os\ndel os.environ['A']", 0),
    ("import os\nos.environ.setdefault('A', 'b')", 0),
    ("import os\nos.environ.update(A='b')", 0),
    ("import os\nenv = dict(os.environ)", 0),
    ("import os\nenv = {**os.environ, 'A': 'b'}", 0),
    ("import os\nenv = os.environ.copy()", 0),
    ("env = {}\nenv['PIPELINE_HEALTH_X'] = 'y'", 0),
    ("env = {'PIPELINE_HEALTH_X': 'y'}", 0),
    ("import os\nx = os.path.join('a', 'b')", 0),
])
def test_the_scan_tells_reads_from_writes(code: str, reads: int) -> None:
    assert len(environment_reads(code)) == reads, environment_reads(code)


# ------------------------------------------------------------------ the settings themselves

def test_settings_keep_their_names_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIPELINE_HEALTH_STATE_DIR", "PIPELINE_HEALTH_DUCKDB_PATH", "PIPELINE_HEALTH_DBT_DIR",
                 "PIPELINE_HEALTH_WRITER_POOL", "PIPELINE_HEALTH_COSMOS_MODE", "PIPELINE_HEALTH_BQ_DATASET",
                 "PIPELINE_HEALTH_BQ_DATASET_PREFIX", "PIPELINE_HEALTH_DASHBOARD_URL",
                 "PIPELINE_HEALTH_ALERT_FROM", "PIPELINE_HEALTH_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    assert config.state_dir() == config.PROJECT_ROOT / ".state"
    assert config.duckdb_path(Path("/s")) == Path("/s/warehouse.duckdb")
    assert config.dbt_project_dir() == config.PROJECT_ROOT / "dbt"
    assert config.writer_pool() == "pipeline_health_warehouse_writer"
    assert config.cosmos_mode() == "watcher"
    assert config.dashboard_url() == "http://localhost:8080/plugin/pipeline-health/pipeline-health/"
    assert config.alert_from() == ""
    settings = config.Settings.from_env()
    assert (settings.bq_dataset, settings.bq_dataset_prefix) == ("pipeline_health", "")

    monkeypatch.setenv("PIPELINE_HEALTH_STATE_DIR", "/tmp/ph-state")
    monkeypatch.setenv("PIPELINE_HEALTH_DBT_DIR", "/tmp/ph-dbt")
    monkeypatch.setenv("PIPELINE_HEALTH_WRITER_POOL", "writers")
    monkeypatch.setenv("PIPELINE_HEALTH_COSMOS_MODE", " After_All ")
    monkeypatch.setenv("PIPELINE_HEALTH_BQ_DATASET", "ph_dbt")
    monkeypatch.setenv("PIPELINE_HEALTH_BQ_DATASET_PREFIX", " ph_dev_ ")
    monkeypatch.setenv("PIPELINE_HEALTH_DASHBOARD_URL", "https://dash.example.org/ph")
    monkeypatch.setenv("PIPELINE_HEALTH_ALERT_FROM", "alerts@example.org")
    assert config.state_dir() == Path("/tmp/ph-state")
    assert config.Settings.from_env().duckdb_path == Path("/tmp/ph-state/warehouse.duckdb")
    assert config.dbt_project_dir() == Path("/tmp/ph-dbt")
    assert config.writer_pool() == "writers"
    assert config.cosmos_mode() == "after_all"
    settings = config.Settings.from_env()
    assert (settings.bq_dataset, settings.bq_dataset_prefix) == ("ph_dbt", "ph_dev_")
    assert config.dashboard_url() == "https://dash.example.org/ph"
    assert config.alert_from() == "alerts@example.org"


def test_a_child_environment_gives_the_duckdb_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_HEALTH_DUCKDB_PATH", "/tmp/this-process.duckdb")
    assert config.duckdb_path(Path("/s")) == Path("/tmp/this-process.duckdb")
    assert config.duckdb_path(Path("/s"), {}) == Path("/s/warehouse.duckdb")
    child = {"PIPELINE_HEALTH_DUCKDB_PATH": "/tmp/child.duckdb"}
    assert config.duckdb_path(Path("/s"), child) == Path("/tmp/child.duckdb")


def test_a_bad_cosmos_mode_names_the_variable_and_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_HEALTH_COSMOS_MODE", "fastest")
    with pytest.raises(ConfigError, match=r"PIPELINE_HEALTH_COSMOS_MODE='fastest': expected one of "):
        config.cosmos_mode()


def test_cosmos_modes_are_the_ones_cosmos_setup_renders() -> None:
    from pipeline_health.orchestration import cosmos_setup

    assert set(config.COSMOS_MODES) == set(cosmos_setup.TEST_BEHAVIOR)
