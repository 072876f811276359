"""The weekly part of the dbt project, run for real: dbt commands on DuckDB files.

Two warehouses are built from the same simulation (1,500 apprentices, six ISO weeks):

* live: week by week, as production does it: load the week's days, then one dbt run
  building the daily models for those days and the weekly nodes (status snapshot, risk
  mart, trends) for that week; the last week is then re-run as the weekly DAG would
  (`dbt build --selector weekly`, with every weekly data test and unit test);
* replay: all six weeks loaded and built by the daily models at once, then the snapshot
  taken week 1 .. 6 in order, as a backfill from an empty warehouse would.

Checks: a status change opens exactly one version and closes the old one at the week
boundary; re-running a week adds nothing and leaves the snapshot identical, and with
corrected data replaces the week; an earlier week is refused; the replay gives the same
history as the live runs; the risk mart's grain, bands and newly-Red flags. Plus, without
any server: the weekly nodes compiled for BigQuery parse with sqlglot.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dbt_worker import DbtWorker

from pipeline_health.config import SimulationConfig
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders.duckdb_loader import DuckDBLoader

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt"
DBT = Path(sys.executable).with_name("dbt")

CONFIG = SimulationConfig(seed=42, population=1500, first_cohort="2025-01", last_cohort="2027-12")
FIRST_MONDAY = date(2026, 9, 28)
WEEKS = [FIRST_MONDAY + timedelta(weeks=n) for n in range(6)]
SNAPSHOT = "snapshots.snap_apprentice_weekly_status"
RISK = "marts.fct_apprentice_risk_weekly"
FINAL = ("Withdrawn", "Completed", "Promoted")

pytestmark = pytest.mark.skipif(not DBT.exists(), reason=f"dbt not installed next to {sys.executable}")


def sunday(monday: date) -> date:
    return monday + timedelta(days=6)


def boundary(monday: date) -> datetime:
    """Where a status observed at the end of the week starting `monday` becomes valid."""
    return datetime.combine(monday + timedelta(days=7), datetime.min.time())


class Warehouse:
    """One DuckDB file and its own dbt target/log folders (parallel runs never clash).

    dbt runs in a worker process that parses the project once (tests/dbt_worker.py): every
    call changes the vars, so each `dbt` process would otherwise parse it again (~12 s).
    Pass `worker` to share another warehouse's worker (calls are then serialised)."""

    def __init__(self, root: Path, worker: DbtWorker | None = None) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.path = root / "warehouse.duckdb"
        self.env = {
            "PIPELINE_HEALTH_DUCKDB_PATH": str(self.path),
            "PIPELINE_HEALTH_DBT_TARGET": "duckdb",
        }
        self.worker = worker or DbtWorker(root, timeout=600)
        self._owns_worker = worker is None

    def close(self) -> None:
        if self._owns_worker:
            self.worker.close()

    def load(self, first: date, last: date) -> None:
        ingest_days(DuckDBLoader(self.path), CONFIG, days_between(first, last))

    def dbt(self, *args: str, start: date, end: date, check: bool = True) -> subprocess.CompletedProcess:
        command = [
            *args, "--target", "duckdb",
            "--vars", f"{{run_start_date: '{start}', run_end_date: '{end}'}}",
            "--no-write-json", "--log-level-file", "warn",
        ]
        code, output = self.worker.run(command, env=self.env, work_dir=self.root)
        result = subprocess.CompletedProcess(["dbt", *command], code, stdout=output, stderr="")
        if check and result.returncode != 0:
            pytest.fail(f"{' '.join(args)} ({start} .. {end}) failed:\n"
                        f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
        return result

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def snapshot_rows(self) -> list[tuple]:
        return self.query(
            "select apprentice_id, current_progression_status, is_in_learning, status_change_id, "
            "status_changed_at, observed_week_start_date, dbt_scd_id, dbt_updated_at, "
            f"dbt_valid_from, dbt_valid_to, dbt_is_deleted from {SNAPSHOT} order by all")

    def snapshot_digest(self) -> str:
        """SHA-256 of the whole snapshot table (every column, every row) exported as CSV."""
        out = self.root / f"snapshot-{len(list(self.root.glob('snapshot-*.csv')))}.csv"
        with duckdb.connect(str(self.path), read_only=True) as con:
            con.execute(f"copy (select * from {SNAPSHOT} order by all) to '{out}' (header)")
        return hashlib.sha256(out.read_bytes()).hexdigest()


@dataclass
class Live:
    warehouse: Warehouse
    history: list[list[tuple]] = field(default_factory=list)  # snapshot after each week
    rerun_before: str = ""
    rerun_after: str = ""
    rerun_rows_before: list[tuple] = field(default_factory=list)
    rerun_rows_after: list[tuple] = field(default_factory=list)
    rerun_output: str = ""


def build_live(root: Path) -> Live:
    wh = Warehouse(root)
    run = Live(wh)
    for monday in WEEKS:
        wh.load(monday, sunday(monday))
        # The week's daily models and the weekly nodes, as the two DAGs run them for it.
        wh.dbt("build", "--select", "tag:daily", "tag:weekly",
               "--exclude", "test_type:data", "test_type:unit", start=monday, end=sunday(monday))
        run.history.append(wh.snapshot_rows())
    # The weekly DAG re-run for the last week (e.g. a cleared task), with all weekly tests.
    run.rerun_before, run.rerun_rows_before = wh.snapshot_digest(), wh.snapshot_rows()
    result = wh.dbt("build", "--selector", "weekly", start=WEEKS[-1], end=sunday(WEEKS[-1]))
    run.rerun_output = result.stdout
    run.rerun_after, run.rerun_rows_after = wh.snapshot_digest(), wh.snapshot_rows()
    return run


def build_replay(root: Path) -> Warehouse:
    wh = Warehouse(root)
    wh.load(WEEKS[0], sunday(WEEKS[-1]))
    wh.dbt("run", "--selector", "daily", start=WEEKS[0], end=sunday(WEEKS[-1]))
    for monday in WEEKS:
        wh.dbt("snapshot", start=monday, end=sunday(monday))
    return wh


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Warehouse]]:
    """Both warehouses, built side by side (separate files, dbt folders and dbt workers)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        live = pool.submit(build_live, tmp_path_factory.mktemp("live"))
        replay = pool.submit(build_replay, tmp_path_factory.mktemp("replay"))
        built = live.result(), replay.result()
    yield built
    for warehouse in (built[0].warehouse, built[1]):
        warehouse.close()


@pytest.fixture(scope="module")
def live(warehouses: tuple[Live, Warehouse]) -> Live:
    return warehouses[0]


@pytest.fixture(scope="module")
def replay(warehouses: tuple[Live, Warehouse]) -> Warehouse:
    return warehouses[1]


def versions_by_apprentice(rows: list[tuple]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return {k: sorted(v, key=lambda r: r[8]) for k, v in out.items()}


def current_status(rows: list[tuple]) -> dict[str, str]:
    return {r[0]: r[1] for r in rows if r[9] is None}


# ----------------------------------------------------------------------------- (a)
def test_status_change_opens_one_version_and_closes_the_old_one_at_the_week_boundary(live: Live) -> None:
    changes_seen = 0
    for k in range(1, len(WEEKS)):
        before, after = versions_by_apprentice(live.history[k - 1]), versions_by_apprentice(live.history[k])
        status_before, status_after = current_status(live.history[k - 1]), current_status(live.history[k])
        at = boundary(WEEKS[k])
        for apprentice, versions in after.items():
            old = before.get(apprentice, [])
            if apprentice not in status_before:
                # First seen this week: one open version valid from this week's boundary.
                assert len(versions) == 1 and versions[0][8] == at and versions[0][9] is None, versions
                continue
            if status_after[apprentice] == status_before[apprentice]:
                assert versions == old, f"{apprentice}: unchanged status but versions changed"
                continue
            changes_seen += 1
            assert len(versions) == len(old) + 1, f"{apprentice}: {len(old)} -> {len(versions)} versions"
            # Everything before the change is untouched, except the closing of the old version.
            assert versions[:-2] == old[:-1]
            closed, opened = versions[-2], versions[-1]
            assert closed[:9] + closed[10:] == old[-1][:9] + old[-1][10:] and old[-1][9] is None
            assert closed[9] == at, f"{apprentice}: old version closed at {closed[9]}, expected {at}"
            assert opened[8] == at and opened[9] is None and opened[1] == status_after[apprentice]
            assert opened[5] == WEEKS[k]  # observed_week_start_date
        assert set(before) <= set(after), "an apprentice vanished from the snapshot"
    assert changes_seen >= 5, f"only {changes_seen} status changes in {len(WEEKS)} weeks: test data too thin"


def test_every_boundary_is_a_monday_midnight_and_final_statuses_stay_current(live: Live) -> None:
    rows = live.history[-1]
    stamps = {r[8] for r in rows} | {r[9] for r in rows if r[9] is not None}
    assert stamps <= {boundary(m) for m in WEEKS}
    per_apprentice = versions_by_apprentice(rows)
    assert all(sum(v[9] is None for v in versions) == 1 for versions in per_apprentice.values())
    leavers = [v for v in per_apprentice.values() if v[-1][1] in FINAL]
    assert leavers, "no Withdrawn/Completed/Promoted apprentice in the snapshot"
    assert all(v[-1][9] is None for v in leavers)
    # Someone who left during the window got a closing version (not just vanished).
    assert any(len(v) > 1 and v[-2][1] not in FINAL for v in leavers)


# ----------------------------------------------------------------------------- (b)
def test_rerunning_the_same_week_adds_no_versions_and_leaves_the_snapshot_identical(live: Live) -> None:
    assert "ERROR=0" in live.rerun_output and "FAIL" not in live.rerun_output.replace("FAIL=0", "")
    assert len(live.rerun_rows_after) == len(live.rerun_rows_before)
    assert live.rerun_rows_after == live.rerun_rows_before
    assert live.rerun_after == live.rerun_before


def test_snapshotting_an_earlier_week_is_refused_and_changes_nothing(live: Live) -> None:
    wh = live.warehouse
    before = wh.snapshot_digest()
    result = wh.dbt("snapshot", start=WEEKS[2], end=sunday(WEEKS[2]), check=False)
    assert result.returncode != 0
    assert "Refusing to snapshot the week" in result.stdout
    assert wh.snapshot_digest() == before


def test_rerunning_the_latest_week_with_corrected_data_replaces_that_week(live: Live, tmp_path: Path) -> None:
    """A status change withdrawn from the source after the week ran: the re-run puts the
    apprentice back to their previous version (no zero-length version, nobody else moves).
    The apprentice's previous status also came from a status change, so they stay in the
    snapshot's source (otherwise hard_deletes would rightly add a deletion marker)."""
    wh = Warehouse(tmp_path / "corrected", worker=live.warehouse.worker)
    shutil.copyfile(live.warehouse.path, wh.path)
    before, final = versions_by_apprentice(live.history[-2]), versions_by_apprentice(live.history[-1])
    at = boundary(WEEKS[-1])
    one_change = {a for (a,) in wh.query(
        "select apprentice_id from marts.fct_status_changes "
        f"where changed_date between '{WEEKS[-1]}' and '{sunday(WEEKS[-1])}' "
        "group by apprentice_id having count(*) = 1")}
    changed = sorted(a for a, v in final.items()
                     if len(v) >= 2 and v[-1][8] == at and v[-1][3] and v[-2][3] and a in one_change)
    assert changed, "no single status change in the last week"
    apprentice = changed[0]
    with duckdb.connect(str(wh.path)) as con:
        con.execute("delete from marts.fct_status_changes where status_change_id = ?",
                    [final[apprentice][-1][3]])
    wh.dbt("snapshot", start=WEEKS[-1], end=sunday(WEEKS[-1]))
    after = versions_by_apprentice(wh.snapshot_rows())
    assert after[apprentice] == before[apprentice]
    others = {a: v for a, v in after.items() if a != apprentice}
    assert others == {a: v for a, v in final.items() if a != apprentice}
    assert all(r[9] is None or r[9] > r[8] for v in after.values() for r in v)


# ----------------------------------------------------------------------------- (c)
def test_replaying_weeks_in_order_gives_the_live_history(live: Live, replay: Warehouse) -> None:
    replayed = replay.snapshot_rows()
    assert len(replayed) == len(live.history[-1])
    assert replayed == live.history[-1]


# ----------------------------------------------------------------------------- (d)
# Every factor of the risk mart (dbt macro risk_factor_measures); points_total is their sum.
RISK_FACTORS = ("status", "attendance", "attendance_drop", "attendance_trend", "missed_sessions", "quiz",
                "quiz_drop", "quiz_activity", "otj", "otj_drop", "otj_trend", "otj_gap", "inactivity",
                "feedback")


def test_risk_mart_grain_bands_and_newly_red(live: Live) -> None:
    wh = live.warehouse
    rows = wh.query(
        f"select apprentice_id, week_start_date, risk_score, risk_band, is_newly_red, previous_risk_band, "
        f"{' + '.join(f'points_{factor}' for factor in RISK_FACTORS)}, points_total "
        f"from {RISK} order by apprentice_id, week_start_date")
    keys = Counter((r[0], r[1]) for r in rows)
    assert keys and max(keys.values()) == 1, "more than one row per apprentice per week"
    assert {r[1] for r in rows} >= set(WEEKS)
    # One row per apprentice in learning on each Sunday (the daily mart's population).
    per_week = Counter(r[1] for r in rows)
    for monday in WEEKS:
        (expected,) = wh.query(
            f"select count(*) from marts.fct_apprentice_daily where as_of_date = '{sunday(monday)}'")[0]
        assert per_week[monday] == expected
    band: dict[tuple[str, date], str] = {}
    for apprentice, week, score, risk_band, _newly_red, _previous_band, points, total in rows:
        assert points == total and score == min(100, total) and 0 <= score <= 100
        assert risk_band == ("Red" if score >= 80 else "Amber" if score >= 50 else "Green")
        band[(apprentice, week)] = risk_band
    for apprentice, week, _score, risk_band, newly_red, previous_band, _points, _total in rows:
        previous = band.get((apprentice, week - timedelta(days=7)))
        assert previous_band == previous
        assert newly_red == (risk_band == "Red" and previous != "Red")
    bands = Counter(r[3] for r in rows if r[1] == WEEKS[-1])
    assert bands["Green"] > bands["Amber"] > 0 and bands["Red"] > 0
    assert sum(r[4] for r in rows if r[1] == WEEKS[-1]) > 0


def test_weekly_tests_ran_in_the_rerun(live: Live) -> None:
    """The re-run is the weekly selector's full build: unit tests and data tests all passed."""
    out = live.rerun_output
    assert "snap_apprentice_weekly_status" in out and "fct_programme_weekly_trends" in out
    passed = int(out.split("PASS=")[-1].split()[0])
    assert passed >= 80, out[-3000:]


# BigQuery, offline: dbt compiles the weekly nodes with relation lookups stubbed ("exists" =
# incremental branch, "missing" = first build) and a connection that cannot run queries.
BIGQUERY_COMPILE = """
import shutil
import sys
from dbt.adapters.bigquery.connections import BigQueryConnectionManager
from dbt.adapters.bigquery.impl import BigQueryAdapter
from dbt.cli.main import dbtRunner

class NoQueries:
    def close(self):
        pass

def open_offline(cls, connection):
    connection.handle, connection.state = NoQueries(), "open"
    return connection

BigQueryConnectionManager.open = classmethod(open_offline)
project, out = sys.argv[1], sys.argv[2]
# One target path for all three compiles (same vars: later ones reuse the partial parse);
# each mode's compiled SQL and manifest are copied aside before the next.
for mode in ("exists", "missing"):
    BigQueryAdapter.get_relation = (
        lambda self, database, schema, identifier, needs_information=False, mode=mode:
        self.Relation.create(database=database, schema=schema, identifier=identifier, type="table")
        if mode == "exists" else None)
    result = dbtRunner().invoke([
        "compile", "--no-populate-cache", "--project-dir", project, "--profiles-dir", project,
        "--target", "bigquery", "--target-path", f"{out}/target", "--log-path", f"{out}/logs",
        "--select", "tag:weekly", "--exclude", "test_type:unit", "-q",
        "--vars", "{run_start_date: '2026-11-16', run_end_date: '2026-11-22'}"])
    if not result.success:
        sys.exit(f"{mode}: {result.exception}")
    shutil.copytree(f"{out}/target/compiled", f"{out}/{mode}/compiled")
    shutil.copyfile(f"{out}/target/manifest.json", f"{out}/{mode}/manifest.json")
    shutil.rmtree(f"{out}/target/compiled")
# The snapshot's version timestamp on BigQuery (the week boundary, not the wall clock).
result = dbtRunner().invoke([
    "compile", "--no-populate-cache", "--project-dir", project, "--profiles-dir", project,
    "--target", "bigquery", "--target-path", f"{out}/target", "--log-path", f"{out}/logs", "-q",
    "--vars", "{run_start_date: '2026-11-16', run_end_date: '2026-11-22'}",
    "--inline", "select {{ snapshot_get_time() }} as boundary_at"])
if not result.success:
    sys.exit(f"inline: {result.exception}")
open(f"{out}/snapshot_get_time.sql", "w").write(result.result.results[0].node.compiled_code)
"""


def test_weekly_nodes_compile_for_bigquery_and_parse_with_sqlglot(tmp_path: Path) -> None:
    sqlglot = pytest.importorskip("sqlglot")
    env = {**os.environ, "PIPELINE_HEALTH_DBT_TARGET": "bigquery",
           "PIPELINE_HEALTH_BQ_PROJECT": "offline-project", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run([sys.executable, "-c", BIGQUERY_COMPILE, str(DBT_DIR), str(tmp_path)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for mode, incremental_filter in (("exists", "between cast('2026-11-16' as date)"),
                                     ("missing", "<= cast('2026-11-16' as date)")):
        compiled = sorted((tmp_path / mode / "compiled").rglob("*.sql"))
        assert len(compiled) >= 80, f"{mode}: only {len(compiled)} compiled files"
        for path in compiled:
            sqlglot.parse(path.read_text(), read="bigquery")  # raises on a syntax error
        risk = next(p for p in compiled if p.name == "fct_apprentice_risk_weekly.sql").read_text()
        assert "`offline-project`.`pipeline_health_marts`.`fct_apprentice_daily`" in risk
        assert incremental_filter in risk
        manifest = json.loads((tmp_path / mode / "manifest.json").read_text())
        snapshot = manifest["nodes"]["snapshot.pipeline_health.snap_apprentice_weekly_status"]
        sqlglot.parse(snapshot["compiled_code"], read="bigquery")
        assert "load_date <= cast('2026-11-22' as date)" in snapshot["compiled_code"]
    boundary_sql = (tmp_path / "snapshot_get_time.sql").read_text()
    assert "timestamp('2026-11-23 00:00:00+00:00')" in boundary_sql
    sqlglot.parse_one(boundary_sql, read="bigquery")


def test_snapshot_matches_the_status_changes_known_at_each_week_end(live: Live) -> None:
    """The live snapshot's state after week k is the latest status loaded by Sunday k."""
    wh = live.warehouse
    for k, monday in enumerate(WEEKS):
        expected = dict(wh.query(
            "select apprentice_id, to_status from marts.fct_status_changes "
            f"where changed_date <= '{sunday(monday)}' and load_date <= '{sunday(monday)}' "
            "qualify row_number() over (partition by apprentice_id "
            "order by is_exit desc, changed_at desc, status_change_id desc) = 1"))
        state = current_status(live.history[k])
        for apprentice, status in expected.items():
            assert state.get(apprentice) == status, (monday, apprentice)
