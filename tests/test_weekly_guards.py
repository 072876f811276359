"""The weekly DAG's guards: a complete week of daily runs, snapshots strictly in week order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from airflow.sdk.exceptions import AirflowFailException

from pipeline_health.orchestration import weekly_tasks
from pipeline_health.run_ledger import DAILY, WEEKLY, DuckDBRunLedger

MONDAY = date(2026, 11, 9)


@pytest.fixture
def ledger(warehouse) -> DuckDBRunLedger:
    return DuckDBRunLedger(warehouse)


def test_week_interval_must_be_monday_to_monday():
    start = datetime(2026, 11, 9, tzinfo=UTC)
    assert weekly_tasks.iso_week(start, start + timedelta(days=7)) == (MONDAY, date(2026, 11, 15))
    with pytest.raises(AirflowFailException, match="Monday-to-Monday"):
        weekly_tasks.iso_week(start + timedelta(days=1), start + timedelta(days=8))


def test_sensor_waits_until_all_seven_days_are_in(ledger, caplog):
    assert weekly_tasks.daily_loads_complete("2026-11-09", ledger) is False  # empty warehouse
    for n in range(6):
        ledger.record(DAILY, MONDAY + timedelta(days=n), f"run-{n}")
    assert not weekly_tasks.daily_loads_complete(MONDAY, ledger)
    assert "2026-11-15" in caplog.text and "backfill create" in caplog.text
    ledger.record(DAILY, date(2026, 11, 15), "run-6")
    assert weekly_tasks.daily_loads_complete(MONDAY, ledger)
    ledger.record(DAILY, date(2026, 11, 15), "run-6-again")  # re-recording is idempotent
    assert weekly_tasks.missing_daily_loads(MONDAY, ledger) == []


def test_snapshot_weeks_must_run_in_order(ledger):
    assert weekly_tasks.check_snapshot_order(MONDAY, ledger) == "first week"
    ledger.record(WEEKLY, MONDAY, "w1")
    assert weekly_tasks.check_snapshot_order(MONDAY, ledger) == "re-run of the latest week"
    nxt = MONDAY + timedelta(weeks=1)
    assert weekly_tasks.check_snapshot_order(nxt, ledger) == "next week in order"
    ledger.record(WEEKLY, nxt, "w2")
    with pytest.raises(AirflowFailException, match="cannot be rewritten backwards"):
        weekly_tasks.check_snapshot_order(MONDAY, ledger)
    gap = MONDAY + timedelta(weeks=4)
    with pytest.raises(AirflowFailException) as refused:
        weekly_tasks.check_snapshot_order(gap, ledger)
    message = str(refused.value)
    # Tells the on-call engineer exactly which weeks to run first.
    assert "2026-11-23 .. 2026-11-30" in message
    assert "--from-date 2026-11-23 --to-date 2026-11-30" in message


def test_ledger_survives_reopening(warehouse):
    DuckDBRunLedger(warehouse).record(WEEKLY, MONDAY, "w1")
    assert DuckDBRunLedger(warehouse).latest(WEEKLY) == MONDAY
    assert DuckDBRunLedger(warehouse).latest(DAILY) is None


def test_bigquery_ledger_statement_is_valid_and_parameterised():
    import sqlglot

    from pipeline_health.run_ledger import render_bigquery_record

    sql = render_bigquery_record("`my-project-1.pipeline_health_ops.pipeline_run_log`")
    parsed = sqlglot.parse_one(sql, read="bigquery")
    assert parsed.key == "merge"
    assert {"@kind", "@period_start", "@run_id"} <= set(sql.replace(",", " ").split())
