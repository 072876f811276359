"""End to end: the daily DAG through Airflow on a temporary DuckDB warehouse, several days."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from e2e_support import fingerprints, make_env, run, run_dag
from heavy_setups import heavy_setup

pytestmark = pytest.mark.e2e

FIRST_DAY = date(2026, 6, 8)  # a Monday
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(2)]
SETTINGS = {
    "PIPELINE_HEALTH_POPULATION": "1200",
    "PIPELINE_HEALTH_FIRST_COHORT": "2026-01",
    "PIPELINE_HEALTH_LAST_COHORT": "2027-06",
    "PIPELINE_HEALTH_MALFORMED_RATE": "0.05",
}


# Built beside the other heavy set-ups (heavy_setups.py): all of it in child processes.
@heavy_setup("daily_runs", seconds=205)
def build_daily_runs(state: Path):
    env = make_env(state, **SETTINGS)
    history = run(["-m", "pipeline_health.cli", "initial-load", "--until",
                   str(FIRST_DAY - timedelta(days=1))], env, state / "initial-load.log")
    assert history.returncode == 0, (state / "initial-load.log").read_text()[-3000:]
    runs = run_dag("daily", str(DAYS[0]), str(DAYS[-1]), env, state)
    yield state, env, runs


@pytest.fixture(scope="module")
def daily_runs(heavy_setups):
    return heavy_setups.get("daily_runs")


def _con(state):
    return duckdb.connect(str(state / "warehouse.duckdb"), read_only=True)


def test_every_daily_run_and_task_succeeds(daily_runs):
    _, _, runs = daily_runs
    assert [r["period"] for r in runs] == [d.isoformat() for d in DAYS]
    for r in runs:
        assert r["state"] == "success"
        assert r["data_interval_end"] > r["data_interval_start"]
        assert r["data_interval_start"].startswith(r["period"])
        assert len(r["tasks"]) > 10 and set(r["tasks"].values()) == {"success"}


def test_the_web_ui_shows_each_run_with_its_real_duration(daily_runs):
    """A run's start and end in the metadata database are when it ran, not its data interval."""
    _, _, runs = daily_runs
    for r in runs:
        start, end = datetime.fromisoformat(r["start_date"]), datetime.fromisoformat(r["end_date"])
        assert start > datetime.fromisoformat(r["data_interval_end"]), r  # ran after its day
        assert 0 < (end - start).total_seconds() <= r["seconds"] + 5, r


def test_raw_rows_are_staged_or_rejected_with_a_reason_every_day(daily_runs):
    state, _, _ = daily_runs
    pairs = {"raw_session_attendance": "stg_apprenticeship__session_attendance",
             "raw_quiz_attempts": "stg_apprenticeship__quiz_attempts",
             "raw_coach_feedback": "stg_apprenticeship__coach_feedback",
             "raw_progress_reviews": "stg_apprenticeship__progress_reviews",
             "raw_otj_hours": "stg_apprenticeship__otj_hours",
             "raw_status_changes": "stg_apprenticeship__status_changes"}
    with _con(state) as con:
        total_rejected = 0
        for day in DAYS:
            for raw, staged in pairs.items():
                n_raw = con.execute(f"SELECT count(*) FROM raw.{raw} WHERE load_date = ?",
                                    [day]).fetchone()[0]
                n_staged = con.execute(f"SELECT count(*) FROM staging.{staged} "
                                       "WHERE load_date = ?", [day]).fetchone()[0]
                n_rejected = con.execute(
                    "SELECT count(*) FROM staging.stg_apprenticeship__rejected_rows "
                    "WHERE source_table = ? AND load_date = ?", [raw, day]).fetchone()[0]
                assert n_raw == n_staged + n_rejected, (day, raw)
                total_rejected += n_rejected
        reasons = dict(con.execute(
            "SELECT rejection_reason, count(*) FROM staging.stg_apprenticeship__rejected_rows "
            "WHERE load_date BETWEEN ? AND ? GROUP BY 1", [DAYS[0], DAYS[-1]]).fetchall())
    assert total_rejected > 30
    known = {"null_event_id", "null_apprentice_id", "unparseable_value", "out_of_range",
             "outside_load_window", "unknown_apprentice", "duplicate_event_id"}
    assert set(reasons) <= known
    assert {"duplicate_event_id", "unknown_apprentice", "out_of_range",
            "outside_load_window"} <= set(reasons)


def test_metrics_exist_for_every_apprentice_in_learning(daily_runs):
    state, _, _ = daily_runs
    with _con(state) as con:
        for day in DAYS:
            # The simulator's truth says who is in learning (evaluation-only table).
            expected = {r[0] for r in con.execute(
                "SELECT a.apprentice_id FROM raw.raw_apprentices a JOIN truth.apprentice_outcomes o"
                " USING (apprentice_id) WHERE a.start_date <= ? AND o.end_date > ?",
                [day, day]).fetchall()}
            rows = con.execute(
                "SELECT apprentice_id, current_progression_status, days_since_last_feedback, "
                "sessions_scheduled_last_30d, attendance_rate_last_30d, otj_hours_planned_last_30d "
                "FROM marts.fct_apprentice_daily WHERE as_of_date = ?", [day]).fetchall()
            # An exit whose status-change row was malformed (and rejected) never reaches
            # the mart, which then rightly still counts the apprentice as in learning.
            lost_exit = {r[0] for r in con.execute(
                "SELECT o.apprentice_id FROM truth.apprentice_outcomes o WHERE o.end_date <= ? "
                "AND NOT EXISTS (SELECT 1 FROM staging.stg_apprenticeship__status_changes s "
                "WHERE s.apprentice_id = o.apprentice_id "
                "AND s.to_status IN ('Withdrawn', 'Completed', 'Promoted'))", [day]).fetchall()}
            seen = {r[0] for r in rows}
            assert len(expected) > 300
            assert expected <= seen, (day, sorted(expected - seen)[:5])
            assert seen - expected <= lost_exit, (day, sorted(seen - expected - lost_exit)[:5])
            for _, status, days_since, sessions, rate, planned in rows:
                assert status in ("Active", "Delayed", "At Risk")
                assert days_since is not None and days_since >= 0
                assert (rate is None) == (sessions == 0)
                assert planned is not None and planned > 0


def test_rerunning_a_day_changes_nothing(daily_runs):
    state, env, _ = daily_runs
    before = fingerprints(state / "warehouse.duckdb")
    assert before["marts.fct_apprentice_daily"][0] > 0
    run_dag("daily", str(DAYS[1]), str(DAYS[1]), env, state)
    assert fingerprints(state / "warehouse.duckdb") == before


def test_airflow_reports_no_import_errors(daily_runs):
    state, env, _ = daily_runs
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "dags", "reserialize"], env=env, check=True, capture_output=True)
    out = subprocess.run([airflow, "dags", "list-import-errors", "--output", "json"], env=env,
                         check=True, capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "[]", out
    listed = subprocess.run([airflow, "dags", "list", "--output", "json"], env=env, check=True,
                            capture_output=True, text=True).stdout
    assert "pipeline_health_daily" in listed and "pipeline_health_weekly" in listed
