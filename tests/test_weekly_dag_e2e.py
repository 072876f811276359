"""End to end: the weekly DAG through Airflow — snapshot, risk mart and coach emails, once."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from email.utils import parseaddr
from pathlib import Path

import duckdb
import pytest
from e2e_support import fingerprints, make_env, run, run_dag
from heavy_setups import heavy_setup
from smtp_sink import SmtpSink

pytestmark = pytest.mark.e2e

WEEKS = [date(2026, 6, 1), date(2026, 6, 8)]  # Mondays
SETTINGS = {
    "PIPELINE_HEALTH_POPULATION": "1500",
    "PIPELINE_HEALTH_FIRST_COHORT": "2026-01",
    "PIPELINE_HEALTH_LAST_COHORT": "2027-06",
    "PIPELINE_HEALTH_ALERT_FROM": "alerts@pipeline-health.example.org",
}
DEMOGRAPHIC_COLUMNS = ("gender", "ethnicity_group", "imd_quintile", "ldd_category")


# Built beside the other heavy set-ups (heavy_setups.py): all of it in child processes.
@heavy_setup("weekly_runs", seconds=100)
def build_weekly_runs(state: Path):
    sink = SmtpSink().start()
    try:
        env = make_env(state, **SETTINGS, AIRFLOW_CONN_SMTP_DEFAULT=sink.connection_json())
        history = run(["-m", "pipeline_health.cli", "initial-load", "--until",
                       str(WEEKS[-1] + timedelta(days=6))], env, state / "initial-load.log")
        assert history.returncode == 0, (state / "initial-load.log").read_text()[-3000:]
        runs = run_dag("weekly", str(WEEKS[0]), str(WEEKS[-1]), env, state)
        yield state, env, runs, sink
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def weekly_runs(heavy_setups):
    return heavy_setups.get("weekly_runs")


def _newly_red_by_email(state, week: date) -> dict[str, set[str]]:
    with duckdb.connect(str(state / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT coach_email, apprentice_id FROM marts.fct_apprentice_risk_weekly "
            "WHERE week_start_date = ? AND is_newly_red AND coalesce(coach_email, '') <> ''",
            [week]).fetchall()
    out: dict[str, set[str]] = defaultdict(set)
    for email, apprentice in rows:
        out[email].add(apprentice)
    return dict(out)


def _received_by_week(sink) -> dict[date, dict[str, set[str]]]:
    out: dict[date, dict[str, set[str]]] = defaultdict(dict)
    for msg in sink.received:
        m = msg.message
        text = m.get_body(preferencelist=("plain",)).get_content()
        week = next(w for w in WEEKS if w.isoformat() in m["Subject"] + text)
        ids = {tok.strip("(),.:") for tok in text.split() if tok.strip("(),.:").startswith("APP-")}
        to = parseaddr(m["To"])[1]
        assert to not in out[week], "a coach got two emails for one week"
        out[week][to] = ids
    return dict(out)


def test_weekly_runs_succeed_and_email_exactly_the_newly_red(weekly_runs):
    state, _, runs, sink = weekly_runs
    assert [r["state"] for r in runs] == ["success", "success"]
    received = _received_by_week(sink)
    for week in WEEKS:
        expected = _newly_red_by_email(state, week)
        assert expected, f"no newly Red apprentices in week {week}: the test would prove nothing"
        assert received.get(week, {}) == expected


def test_emails_carry_no_demographics(weekly_runs):
    state, _, _, sink = weekly_runs
    with duckdb.connect(str(state / "warehouse.duckdb"), read_only=True) as con:
        values = {str(v) for col in DEMOGRAPHIC_COLUMNS for (v,) in con.execute(
            f"SELECT DISTINCT {col} FROM marts.dim_apprentice WHERE {col} IS NOT NULL").fetchall()}
        # A value that is also someone's name ("White") proves nothing when found.
        names = {n for row in con.execute(
            "SELECT first_name, last_name FROM raw.raw_apprentices UNION ALL "
            "SELECT coach_name, coach_name FROM raw.raw_coaches").fetchall()
            for part in row for n in part.split()}
    values = {v for v in values if len(v) > 3 and v not in names}
    assert "Black, Black British, Caribbean or African" in values
    values |= {"ethnicity", "gender", "IMD", "disability"}
    for msg in sink.received:
        body = msg.raw.decode("utf-8", "replace")
        assert not [v for v in values if v in body]


def test_snapshot_has_one_current_version_per_apprentice(weekly_runs):
    state, _, _, _ = weekly_runs
    with duckdb.connect(str(state / "warehouse.duckdb"), read_only=True) as con:
        dupes = con.execute(
            "SELECT count(*) FROM (SELECT apprentice_id FROM snapshots.snap_apprentice_weekly_status"
            " WHERE dbt_valid_to IS NULL GROUP BY 1 HAVING count(*) > 1)").fetchone()[0]
        versions, apprentices = con.execute(
            "SELECT count(*), count(DISTINCT apprentice_id) "
            "FROM snapshots.snap_apprentice_weekly_status").fetchone()
    assert dupes == 0
    assert versions > apprentices > 100  # two weeks: some statuses changed


def test_rerunning_a_week_sends_nothing_and_adds_no_version(weekly_runs):
    state, env, _, sink = weekly_runs
    sent = len(sink.received)
    before = fingerprints(state / "warehouse.duckdb", schemas=("snapshots", "marts", "ops"))
    run_dag("weekly", str(WEEKS[-1]), str(WEEKS[-1]), env, state)
    assert len(sink.received) == sent
    after = fingerprints(state / "warehouse.duckdb", schemas=("snapshots", "marts", "ops"))
    assert after == before


def test_an_earlier_week_is_refused_with_instructions(weekly_runs):
    state, env, _, sink = weekly_runs
    sent = len(sink.received)
    out = state / "refused.json"
    result = run(["-m", "pipeline_health.local.dag_runner", "weekly", str(WEEKS[0]), str(WEEKS[0]),
                  "--json-out", str(out)], env, state / "refused.log")
    assert result.returncode != 0
    tasks = json.loads(out.read_text())[0]["tasks"]
    assert tasks["check_snapshot_order"] == "failed"
    assert "cannot be rewritten backwards" in (state / "refused.log").read_text()
    assert len(sink.received) == sent
