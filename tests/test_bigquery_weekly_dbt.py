"""The weekly dbt nodes on dbt's BigQuery target, run against the local BigQuery emulator.

Two consecutive ISO weeks of the same simulation are loaded into the emulator (by the
BigQuery raw loader, as tests/test_bigquery_loader.py does) and into a DuckDB file (by
the DuckDB loader). Then, on each warehouse, one dbt build per week, as the daily and
weekly DAGs run them for that week: the daily models for its days (a first build, then an
incremental one), the status snapshot and the weekly marts (risk, current risk, coach
caseload, equity gaps, programme trends). Each weekly model must have the same rows per
week on both warehouses.

The second week is then re-run on the emulator as a cleared weekly DAG would (weekly
nodes with their ~175 data tests: all pass, the snapshot is unchanged), and a snapshot of
the first week is refused (the order guard's query runs on the emulator). dbt's unit
tests do not run here: they run on DuckDB (tests/test_weekly_dbt.py), and on the
emulator one fails for the emulator's sake (docs/bigquery_emulator.md, with what else the
emulator cannot check).

dbt reaches the emulator through a tests-only profile (written per run: the emulator's
port is its own pick) with a dummy OAuth token and `api_endpoint`, so no credential is
looked up. As a guard, every other host is sent to a closed loopback proxy port, so a
request that tried to leave for Google would fail rather than go out.

Skipped only when the emulator cannot be installed (scripts/setup_bq_emulator.sh fails)
or PIPELINE_HEALTH_SKIP_BQ_EMULATOR=1, like the raw loader's emulator tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import bq_emulator
import duckdb
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from partition_filters import unfiltered_reads

from pipeline_health.config import SimulationConfig
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders.bigquery import BigQueryLoader, table_definition
from pipeline_health.loaders.duckdb_loader import DuckDBLoader
from pipeline_health.schemas import ALL_TABLES

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt"
DBT = Path(sys.executable).with_name("dbt")

PROJECT = "ph-emu-dbt"
RAW_DATASET = "pipeline_health_raw"
PREFIX = "pipeline_health_"  # the datasets dbt names from that raw dataset (generate_schema_name.sql)
# Some malformed raw rows, so staging's validation (casts, rejected rows) runs on both dialects.
CONFIG = SimulationConfig(seed=42, population=600, first_cohort="2025-01", last_cohort="2027-12",
                          malformed_rate=0.03)
WEEKS = [date(2026, 11, 2), date(2026, 11, 9)]  # two consecutive ISO weeks (Mondays)
# Every weekly relation and the column naming its week.
WEEKLY = {
    ("snapshots", "snap_apprentice_weekly_status"): "observed_week_start_date",
    ("marts", "fct_apprentice_risk_weekly"): "week_start_date",
    ("marts", "fct_coach_caseload_weekly"): "week_start_date",
    ("marts", "fct_equity_gaps_weekly"): "week_start_date",
    ("marts", "fct_programme_weekly_trends"): "week_start_date",
}
# Counts that must agree beyond rows per week (same SQL on both engines).
EXTRA = {
    "current risk rows": "select count(*) from {marts}.fct_apprentice_risk_current",
    "open snapshot versions": "select count(*) from {snapshots}.snap_apprentice_weekly_status "
                              "where dbt_valid_to is null",
    "closed snapshot versions": "select count(*) from {snapshots}.snap_apprentice_weekly_status "
                                "where dbt_valid_to is not null",
    "risk rows per band": "select risk_band, count(*) from {marts}.fct_apprentice_risk_weekly "
                          "group by risk_band order by risk_band",
    "newly red": "select count(*) from {marts}.fct_apprentice_risk_weekly where is_newly_red",
    "rejected raw rows per reason": "select rejection_reason, count(*) "
                                    "from {staging}.stg_apprenticeship__rejected_rows "
                                    "group by rejection_reason order by rejection_reason",
}
# Row for row (timestamps compared without their zone: BigQuery's TIMESTAMP is UTC, DuckDB's
# snapshot columns are naive UTC). dbt_scd_id is left out: it hashes the engine's own text
# of a timestamp.
SAME_ROWS = {
    "coach caseload": "select apprentice_id, week_start_date, risk_score, risk_band, is_newly_red, "
                      "weeks_in_current_band, risk_scores_last_8_weeks, top_risk_factor, risk_reasons "
                      "from {marts}.fct_coach_caseload_weekly order by apprentice_id, week_start_date",
    "snapshot versions": "select apprentice_id, current_progression_status, dbt_valid_from, dbt_valid_to "
                         "from {snapshots}.snap_apprentice_weekly_status "
                         "order by apprentice_id, dbt_valid_from",
}
# Only the emulator (loopback) is reachable; any other host goes to a closed port.
NO_EGRESS = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
             "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
             "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

pytestmark = [
    pytest.mark.bigquery_emulator,
    pytest.mark.skipif(not DBT.exists(), reason=f"dbt not installed next to {sys.executable}"),
]


def sunday(monday: date) -> date:
    return monday + timedelta(days=6)


def emulator_profile(endpoint: str) -> str:
    """profiles.yml of a BigQuery target on the emulator: a dummy token, never a real credential."""
    return json.dumps({"pipeline_health": {"target": "emulator", "outputs": {"emulator": {
        "type": "bigquery", "method": "oauth-secrets", "token": "dummy-token",
        "project": PROJECT, "dataset": "pipeline_health", "location": "EU",
        "api_endpoint": endpoint, "threads": 1, "job_retries": 0,
        "job_execution_timeout_seconds": 300}}}}, indent=2)


def dbt_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without Google credentials or BigQuery settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "CLOUDSDK_", "PIPELINE_HEALTH_BQ_", "PIPELINE_HEALTH_DBT_TARGET"))
           and k.lower() not in ("https_proxy", "http_proxy", "no_proxy", "all_proxy")}
    return {**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def dbt(root: Path, target_args: list[str], env: dict[str, str], monday: date, *args: str,
        check: bool = True) -> str:
    """`dbt <args>` for the week of `monday` (the DAGs' vars); its output. AssertionError if it
    fails and `check`."""
    command = [str(DBT), *args, "--project-dir", str(DBT_DIR), *target_args,
               "--target-path", str(root / "target"), "--log-path", str(root / "logs"),
               "--vars", json.dumps({"run_start_date": str(monday), "run_end_date": str(sunday(monday))})]
    done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True,
                          timeout=600, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"dbt {args[0]} for the week of {monday} failed ({' '.join(target_args)}):\n"
                             f"{done.stdout[-6000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def run_weeks(root: Path, target_args: list[str], env: dict[str, str]) -> list[str]:
    """One dbt build per week (daily models for its days, then the weekly nodes); the logs."""
    return [dbt(root, target_args, env, monday, "build", "--select", "tag:daily", "tag:weekly",
                "--exclude", "test_type:data", "test_type:unit") for monday in WEEKS]


@dataclass
class BigQueryRun:
    rerun_output: str  # the last week's weekly build re-run, with the weekly data tests
    refused_output: str  # a snapshot of the first week, after the second
    snapshot_before_rerun: list[tuple]
    snapshot_after_rerun: list[tuple]
    daily_tests_output: str  # the daily data tests of the last week's days
    freshness_output: str  # dbt source freshness as the daily DAG runs it on the last Sunday
    queries: list[str]  # every query job dbt and the loader ran on the emulator
    required: dict[str, str]  # table -> partitioning column, for tables requiring a partition filter


def build_bigquery(root: Path, endpoint: str) -> BigQueryRun:
    client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": endpoint})
    # The emulator refuses loads to `table$YYYYMMDD`: stage + MERGE (tests/test_bigquery_loader.py).
    loader = BigQueryLoader(client, PROJECT, RAW_DATASET, location="EU", partition_decorator=False)
    ingest_days(loader, CONFIG, days_between(WEEKS[0], sunday(WEEKS[-1])))
    profiles = root / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "profiles.yml").write_text(emulator_profile(endpoint))  # JSON is YAML
    env = dbt_env({"PIPELINE_HEALTH_BQ_RAW_DATASET": RAW_DATASET, **NO_EGRESS})
    target = ["--profiles-dir", str(profiles), "--target", "emulator"]
    run_weeks(root, target, env)
    # The weekly DAG re-run for the last week (a cleared task): weekly nodes and their data
    # tests, whose SQL thus runs on the BigQuery dialect too (~35 s of tests).
    snapshot = (f"select * from `{PROJECT}.{PREFIX}snapshots.snap_apprentice_weekly_status` "
                "order by dbt_scd_id")
    before = bq_rows(client, snapshot)
    rerun = dbt(root, target, env, WEEKS[-1], "build", "--select", "tag:weekly",
                "--exclude", "test_type:unit")
    after = bq_rows(client, snapshot)
    # The daily DAG's data tests (dbt_test) and its source freshness check, for the last week.
    daily_tests = dbt(root, target, env, WEEKS[-1], "test", "--select", "tag:daily",
                      "--exclude", "test_type:unit")
    freshness = dbt(root, target, env, WEEKS[-1], "source", "freshness", "--select",
                    "source:apprenticeship", check=False)
    # The snapshot's order guard, whose check queries BigQuery here.
    refused = dbt(root, target, env, WEEKS[0], "snapshot", check=False)
    queries = [job.query for job in client.list_jobs(max_results=100_000, page_size=100_000)
               if getattr(job, "query", None)]
    return BigQueryRun(rerun, refused, before, after, daily_tests, freshness, queries,
                       partition_filtered_tables(root / "target" / "manifest.json"))


def partition_filtered_tables(manifest: Path) -> dict[str, str]:
    """Tables that require a partition filter, each with its partitioning column: the raw
    tables the loader creates so, and the models configured so (dbt's manifest). Not read
    back from the emulator: its table metadata drops the option (docs/bigquery_emulator.md)."""
    required = {}
    for table in ALL_TABLES:  # truth tables are never partition-filtered
        raw = table_definition(PROJECT, RAW_DATASET, table)
        if raw.require_partition_filter:
            required[table.name] = raw.time_partitioning.field
    for node in json.loads(manifest.read_text())["nodes"].values():
        if node["resource_type"] == "model" and node["config"].get("require_partition_filter"):
            required[node["alias"]] = node["config"]["partition_by"]["field"]
    return required


def build_duckdb(root: Path) -> list[str]:
    path = root / "warehouse.duckdb"
    ingest_days(DuckDBLoader(path), CONFIG, days_between(WEEKS[0], sunday(WEEKS[-1])))
    env = dbt_env({"PIPELINE_HEALTH_DUCKDB_PATH": str(path)})
    return run_weeks(root, ["--profiles-dir", str(DBT_DIR), "--target", "duckdb"], env)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bq_emulator.Emulator]:
    if os.environ.get("PIPELINE_HEALTH_SKIP_BQ_EMULATOR") == "1":
        pytest.skip("PIPELINE_HEALTH_SKIP_BQ_EMULATOR=1")
    try:
        bq_emulator.ensure_installed()
    except bq_emulator.EmulatorUnavailable as exc:
        pytest.skip(f"the BigQuery emulator cannot be installed here: {exc}")
    try:  # installed but not starting is a failure, not a skip
        emu = bq_emulator.start(PROJECT, tmp_path_factory.mktemp("bqemu-dbt"))
    except bq_emulator.EmulatorUnavailable as exc:
        pytest.fail(f"BigQuery emulator unavailable: {exc}", pytrace=False)
    yield emu
    emu.stop()
    assert bq_emulator.group_members(emu.pgid) == [], "emulator left processes behind"


@dataclass
class Built:
    client: bigquery.Client  # on the emulator
    duckdb_path: Path
    bq_run: BigQueryRun
    seconds: float


@pytest.fixture(scope="module")
def built(emulator: bq_emulator.Emulator, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Both warehouses built side by side (the emulator and DuckDB each have a dbt process)."""
    started = time.monotonic()
    duck_root = tmp_path_factory.mktemp("duck-dbt")
    with ThreadPoolExecutor(max_workers=2) as pool:
        on_bq = pool.submit(build_bigquery, tmp_path_factory.mktemp("bq-dbt"), emulator.endpoint)
        on_duck = pool.submit(build_duckdb, duck_root)
        try:
            bq_run, _ = on_bq.result(), on_duck.result()
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nemulator log:\n{emulator.log_tail()}") from None
    client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": emulator.endpoint})
    return Built(client, duck_root / "warehouse.duckdb", bq_run, time.monotonic() - started)


def bq_rows(client: bigquery.Client, sql: str) -> list[tuple]:
    return [tuple(_naive_utc(v) for v in row.values()) for row in client.query(sql).result()]


def _naive_utc(value: object) -> object:
    return value.replace(tzinfo=None) if isinstance(value, datetime) and value.tzinfo else value


def duck_rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def both(built: Built, sql: str) -> tuple[list[tuple], list[tuple]]:
    """`sql` ({marts}, {snapshots}, {staging} for the schemas) on the emulator and on DuckDB."""
    on_bq = bq_rows(built.client, sql.format(**{s: f"`{PROJECT}.{PREFIX}{s}`"
                                                for s in ("marts", "snapshots", "staging")}))
    return on_bq, duck_rows(built.duckdb_path, sql.format(marts="marts", snapshots="snapshots",
                                                         staging="staging"))


def test_weekly_models_have_duckdbs_rows_per_week_on_the_emulator(built: Built) -> None:
    print(f"both warehouses built in {built.seconds:.0f} s")
    for (schema, name), week in WEEKLY.items():
        sql = f"select {week}, count(*) from {{relation}} group by {week} order by {week}"
        on_bq = dict(bq_rows(built.client, sql.format(relation=f"`{PROJECT}.{PREFIX}{schema}.{name}`")))
        on_duck = dict(duck_rows(built.duckdb_path, sql.format(relation=f"{schema}.{name}")))
        assert on_bq == on_duck, f"{schema}.{name}: rows per week differ"
        assert set(on_duck) == set(WEEKS) and all(on_duck.values()), (name, on_duck)


def test_current_risk_snapshot_versions_and_bands_agree(built: Built) -> None:
    for what, sql in EXTRA.items():
        on_bq, on_duck = both(built, sql)
        assert on_bq == on_duck and on_duck, what
    # The second week really changed statuses: the snapshot's MERGE closed and opened versions.
    closed = EXTRA["closed snapshot versions"].format(snapshots="snapshots")
    assert duck_rows(built.duckdb_path, closed)[0][0] > 0


def test_every_dbt_relation_has_duckdbs_row_count_on_the_emulator(built: Built) -> None:
    """The daily models the weekly ones read too (staging, core star, daily mart, ops)."""
    relations = duck_rows(built.duckdb_path,
                          "select table_schema, table_name from information_schema.tables "
                          "where table_schema in ('staging', 'marts', 'ops', 'snapshots') order by all")
    assert len(relations) >= 30
    for schema, name in relations:
        sql = "select count(*) from {relation}"
        on_bq = bq_rows(built.client, sql.format(relation=f"`{PROJECT}.{PREFIX}{schema}.{name}`"))
        assert on_bq == duck_rows(built.duckdb_path, sql.format(relation=f"{schema}.{name}")), name


def test_caseload_and_snapshot_agree_row_for_row(built: Built) -> None:
    for what, sql in SAME_ROWS.items():
        on_bq, on_duck = both(built, sql)
        assert len(on_bq) == len(on_duck) > 0, what
        assert on_bq == on_duck, f"{what}: first difference " + next(
            f"{a} != {b}" for a, b in zip(on_bq, on_duck, strict=True) if a != b)


def test_weekly_rerun_passes_its_data_tests_and_changes_no_snapshot_row(built: Built) -> None:
    out = built.bq_run.rerun_output
    assert "ERROR=0" in out and "WARN=0" in out, out[-3000:]
    assert int(out.split("PASS=")[-1].split()[0]) >= 150, out[-3000:]  # ~175 data tests + 6 nodes
    assert built.bq_run.snapshot_after_rerun == built.bq_run.snapshot_before_rerun
    assert built.bq_run.snapshot_before_rerun


def test_snapshotting_an_earlier_week_is_refused_on_bigquery_too(built: Built) -> None:
    assert "Refusing to snapshot the week" in built.bq_run.refused_output, built.bq_run.refused_output[-3000:]


def test_the_daily_data_tests_and_source_freshness_run_on_bigquery(built: Built) -> None:
    out = built.bq_run.daily_tests_output
    assert "ERROR=0" in out and "WARN=0" in out, out[-3000:]
    assert int(out.split("PASS=")[-1].split()[0]) >= 100, out[-3000:]
    freshness = built.bq_run.freshness_output
    assert freshness.count(" PASS ") + freshness.count(" WARN ") + freshness.count(" ERROR STALE ") == 6, \
        freshness[-3000:]


def test_every_query_names_the_days_it_reads_of_a_partition_filtered_table(built: Built) -> None:
    """BigQuery refuses a query over such a table without a filter on its partitioning column;
    the emulator does not, so the SQL that ran here is checked (tests/partition_filters.py)."""
    required = built.bq_run.required
    assert {"raw_session_attendance", "raw_status_changes", "fct_apprentice_daily",
            "fct_session_attendance"} <= set(required), required
    queries = built.bq_run.queries
    # Every such table is read by the runs, so the check below has something to check.
    for table in required:
        assert any(table in sql for sql in queries), f"no query read {table}"
    unfiltered = [str(read) for sql in queries for read in unfiltered_reads(sql, required)]
    assert unfiltered == [], "\n".join(unfiltered[:10])
