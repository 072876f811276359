"""The one way into the warehouse (pipeline_health.warehouse): DuckDB errors, identifier checks,
and dataset names that agree with the ones dbt renders."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipeline_health import dbt_cli, warehouse
from pipeline_health.config import ConfigError, Settings
from pipeline_health.loaders import LoadError
from pipeline_health.warehouse import WarehouseError, open_duckdb

# --------------------------------------------------------------------------- DuckDB


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    return path


def test_a_writer_creates_the_folder_and_a_reader_needs_the_file(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match=r"nowhere/w.duckdb: its folder .*nowhere does not exist"):
        open_duckdb(tmp_path / "nowhere" / "w.duckdb", read_only=True)
    with pytest.raises(WarehouseError, match=r"w.duckdb does not exist \(run a daily load first\)"):
        open_duckdb(tmp_path / "w.duckdb", read_only=True)
    open_duckdb(tmp_path / "new" / "w.duckdb").close()
    assert (tmp_path / "new" / "w.duckdb").is_file()


def test_a_directory_or_a_file_that_is_not_duckdb_is_named(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="is a directory, not a database file"):
        open_duckdb(tmp_path)
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    message = f"cannot open DuckDB warehouse {bad}: it is corrupted or unreadable"
    for read_only in (True, False):
        with pytest.raises(WarehouseError, match=message) as raised:
            open_duckdb(bad, read_only=read_only)
        assert not raised.value.transient
        assert isinstance(raised.value, LoadError)  # callers catching LoadError still report it


def test_a_lock_held_by_another_process_is_named_and_transient(db: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError, match=f"{db} is locked by another process") as raised:
            open_duckdb(db, read_only=True)
        assert raised.value.transient
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_shares_this_process_s_writer(db: Path) -> None:
    """Under `dag.test` dbt holds the file read-write in the same process."""
    with duckdb.connect(str(db)) as writer:
        writer.execute("create table t as select 1 as x")
        with open_duckdb(db, read_only=True) as con:
            assert con.execute("select x from t").fetchall() == [(1,)]


# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize("name", ["marts", "pipeline_health_ops", "_x", "A1"])
def test_plain_identifiers_pass(name: str) -> None:
    assert warehouse.check_name(name, "dataset") == name


@pytest.mark.parametrize("name", ["", "1abc", "a.b", "a-b", "marts`; drop", "a b", None])
def test_other_identifiers_are_refused(name) -> None:
    with pytest.raises(ConfigError, match="not a plain identifier"):
        warehouse.check_name(name, "dataset")


@pytest.mark.parametrize("project", ["ph-test", "my-proj-123", "offline-project",
                                     "example.com:my-project", "a" * 30])
def test_valid_project_ids_pass(project: str) -> None:
    assert warehouse.check_project(project) == project


@pytest.mark.parametrize("project", ["", "short", "Bad-Project", "ends-with-", "1starts-digit",
                                     "a" * 31, "has_underscore", "a.b`c"])
def test_invalid_project_ids_are_refused(project: str) -> None:
    with pytest.raises(ConfigError, match="PIPELINE_HEALTH_BQ_PROJECT"):
        warehouse.check_project(project)


# --------------------------------------------------------------------------- dataset names

BQ = Settings("bigquery", Path("/nowhere"), Path("/nowhere/w.duckdb"), "offline-project",
              "pipeline_health_raw", "EU", "google_cloud_default")


def test_dataset_names_follow_the_raw_dataset_and_the_prefix_setting() -> None:
    assert warehouse.dataset_name(BQ, "marts") == "pipeline_health_marts"
    assert warehouse.dataset_name(BQ, "raw") == "pipeline_health_raw"
    assert warehouse.dataset_name(BQ, "truth") == "pipeline_health_raw_truth"
    other = replace(BQ, bq_raw_dataset="acme_landing")
    assert warehouse.dataset_name(other, "ops") == "acme_landing_ops"
    assert warehouse.dataset_name(replace(other, bq_dataset_prefix="dev_"), "ops") == "dev_ops"
    duck = replace(BQ, warehouse="duckdb", bq_dataset_prefix="dev_")
    assert [warehouse.dataset_name(duck, s) for s in ("raw", "marts")] == ["raw", "marts"]
    assert warehouse.dbt_vars(duck) == {}


def test_cosmos_gives_dbt_the_prefix_from_the_settings() -> None:
    from pipeline_health.orchestration import cosmos_setup

    settings = replace(BQ, bq_dataset_prefix="dev_")
    assert cosmos_setup.operator_args(settings)["vars"]["dataset_prefix"] == "dev_"
    assert "dataset_prefix" not in cosmos_setup.operator_args(replace(BQ, warehouse="duckdb"))["vars"]


# dbt source -> the schema name the Python side uses for it.
SOURCE_SCHEMAS = {"apprenticeship": warehouse.RAW, "simulation_truth": warehouse.TRUTH}


def _dbt_schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings,
                 dbt_vars: dict[str, str]) -> dict[tuple[str, str | None], set[str]]:
    """`dbt parse` for the BigQuery target (offline): (resource, configured schema) -> datasets."""
    monkeypatch.setenv("PIPELINE_HEALTH_BQ_PROJECT", settings.bq_project)
    monkeypatch.setenv("PIPELINE_HEALTH_BQ_RAW_DATASET", settings.bq_raw_dataset)
    monkeypatch.setenv("PIPELINE_HEALTH_BQ_DATASET", settings.bq_dataset)
    if settings.bq_dataset_prefix:
        monkeypatch.setenv("PIPELINE_HEALTH_BQ_DATASET_PREFIX", settings.bq_dataset_prefix)
    else:
        monkeypatch.delenv("PIPELINE_HEALTH_BQ_DATASET_PREFIX", raising=False)
    dbt_cli.run_dbt(["parse", "--no-partial-parse"], work_dir=tmp_path, target="bigquery",
                    duckdb_path=tmp_path / "unused.duckdb", extra_vars=dbt_vars, timeout=300)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    found: dict[tuple[str, str | None], set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "snapshot"):
            found.setdefault((node["resource_type"], node["config"].get("schema")), set()).add(
                node["schema"])
    for source in manifest["sources"].values():
        found.setdefault(("source", SOURCE_SCHEMAS[source["source_name"]]), set()).add(
            source["schema"])
    return found


def _expected(settings: Settings, found: dict[tuple[str, str | None], set[str]]) -> dict:
    return {(kind, schema): {settings.bq_dataset if schema is None
                             else warehouse.dataset_name(settings, schema)}
            for kind, schema in found}


@pytest.mark.parametrize("settings, passes_var", [
    # The DAGs: Cosmos passes warehouse.dbt_vars(settings); the prefix setting wins.
    (replace(BQ, bq_raw_dataset="acme_raw", bq_dataset_prefix="ph_dev_"), True),
    # dbt run by hand, without the var: the macro's fallback must give the same datasets.
    (replace(BQ, bq_raw_dataset="acme_landing", bq_dataset="acme"), False),
], ids=["cosmos-var", "hand-run-fallback"])
def test_dbt_renders_the_datasets_that_dataset_name_computes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, passes_var: bool) -> None:
    dbt_vars = warehouse.dbt_vars(settings) if passes_var else {}
    if passes_var:  # prove the var decides: the environment says otherwise
        settings_env = replace(settings, bq_dataset_prefix="from_env_")
        found = _dbt_schemas(tmp_path, monkeypatch, settings_env, dbt_vars)
    else:
        found = _dbt_schemas(tmp_path, monkeypatch, settings, dbt_vars)
    schemas = {schema for _, schema in found}
    assert {"staging", "marts", "ops", "snapshots", "raw", "truth"} <= schemas, schemas
    assert found == _expected(settings, found)
