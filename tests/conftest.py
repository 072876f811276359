"""Shared fixtures: small simulation configs and throwaway DuckDB warehouses."""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pytest

# Airflow reads its configuration at first import: point it at a throwaway home and
# this repository's DAGs before any test imports it, so tests never touch ~/airflow.
_TEST_STATE = Path(tempfile.mkdtemp(prefix="pipeline-health-tests-"))
os.environ.setdefault("PIPELINE_HEALTH_STATE_DIR", str(_TEST_STATE))
from pipeline_health.local.local_airflow import airflow_env  # noqa: E402

# Airflow's home and Cosmos's cache are this process's own, also when PIPELINE_HEALTH_STATE_DIR
# is the repository's .state (make test): never the demo's, nor another xdist worker's.
for _key, _value in airflow_env(_TEST_STATE).items():
    if _key.startswith(("AIRFLOW", "PIPELINE_HEALTH_DBT_DIR", "DO_NOT_TRACK", "SCARF",
                        "DBT_SEND")):
        os.environ.setdefault(_key, _value)

from heavy_setups import (  # noqa: E402
    GROUPS_FILE_ENV,
    GroupScheduling,
    HeavySetups,
    heavy_setup,
    uses,
    write_groups,
)

from pipeline_health.config import SimulationConfig  # noqa: E402
from pipeline_health.schemas import ALL_TABLES, LOADED_AT, schema_for  # noqa: E402


@pytest.fixture
def small_config() -> SimulationConfig:
    return SimulationConfig(seed=7, population=600, first_cohort="2025-06", last_cohort="2026-12")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def table_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and a content checksum per raw/truth table, ignoring load timestamps."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table in ALL_TABLES:
            cols = [c for c in table.column_names if c != LOADED_AT]
            rows = con.execute(
                f"SELECT {', '.join(cols)} FROM {schema_for(table)}.{table.name} "
                f"ORDER BY ALL").fetchall()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            out[table.name] = (len(rows), digest)
    return out


@pytest.fixture(scope="session")
def heavy_setups(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Every registered heavy set-up a collected test needs, built two at a time (heavy_setups.py)."""
    # An xdist worker builds each set-up on first use (its group's tests are all on it).
    worker = hasattr(request.config, "workerinput")
    needed = [] if worker else sorted({name for item in request.session.items for name in uses(item)})
    with ExitStack() as cleanup:
        setups = HeavySetups(tmp_path_factory, cleanup)
        setups.run(needed)
        request.config.stash[_HEAVY] = setups
        yield setups


_HEAVY = pytest.StashKey[HeavySetups]()


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("dist", "no") == "loadscope":  # the xdist controller: before its workers start
        os.environ[GROUPS_FILE_ENV] = tempfile.mkstemp(prefix="pipeline-health-xdist-groups-")[1]


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption("dist", "no") == "loadscope" and GROUPS_FILE_ENV in os.environ:
        Path(os.environ.pop(GROUPS_FILE_ENV)).unlink(missing_ok=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if GROUPS_FILE_ENV in os.environ and hasattr(config, "workerinput"):  # an xdist worker
        write_groups(items, Path(os.environ[GROUPS_FILE_ENV]))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if GROUPS_FILE_ENV in os.environ:
        return GroupScheduling(config, log, Path(os.environ[GROUPS_FILE_ENV]))
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    setups = config.stash.get(_HEAVY, None)
    if setups is not None and setups.seconds:
        terminalreporter.write_line(setups.summary())


# A warehouse with every mart built (history, three snapshotted weeks, coach emails sent),
# shared by the tests that read the marts: the equity mart, the LookML checks, the page.
@heavy_setup("built", seconds=110)
def _build_built(root: Path):
    from warehouse_build import BUILT_CONFIG, build_warehouse

    yield build_warehouse(root, BUILT_CONFIG)


@pytest.fixture(scope="session")
def built(heavy_setups: HeavySetups):
    return heavy_setups.get("built")


@pytest.fixture(scope="session")
def built_warehouse(built) -> Path:
    """Path of the built DuckDB file; open it read-only (copy it to change it)."""
    return built.path
