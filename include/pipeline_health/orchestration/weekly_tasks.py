"""Callables of the weekly DAG: guards that keep the SCD2 history correct, and the notifier."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from pipeline_health.orchestration.preflight import check_ready, fail_fast
from pipeline_health.run_ledger import DAILY, WEEKLY, RunLedger, ledger_from_settings

log = logging.getLogger(__name__)


def iso_week(data_interval_start: datetime, data_interval_end: datetime) -> tuple[date, date]:
    """(Monday, Sunday) of the run's ISO week; any other interval is a configuration error."""
    monday = data_interval_start.date()
    if monday.weekday() != 0 or data_interval_end.date() != monday + timedelta(days=7):
        raise AirflowFailException(
            f"the weekly DAG needs a Monday-to-Monday data interval, got "
            f"{data_interval_start} .. {data_interval_end}")
    return monday, monday + timedelta(days=6)


def missing_daily_loads(week_start: date, ledger: RunLedger | None = None) -> list[date]:
    ledger = ledger or ledger_from_settings()
    days = [week_start + timedelta(days=n) for n in range(7)]
    done = ledger.periods(DAILY, days[0], days[-1])
    return [d for d in days if d not in done]


def daily_loads_complete(week_start: date | str, ledger: RunLedger | None = None) -> bool:
    """Sensor check: True once all seven daily runs of the week have finished."""
    if isinstance(week_start, str):  # templated from the DAG as YYYY-MM-DD
        week_start = date.fromisoformat(week_start)
    missing = missing_daily_loads(week_start, ledger)
    if missing:
        log.warning(
            "week %s is not complete: no successful daily run for %s. Waiting; if they do not "
            "arrive, run: airflow backfill create --dag-id pipeline_health_daily "
            "--from-date %s --to-date %s --max-active-runs 1", week_start, ", ".join(map(str, missing)),
            missing[0], missing[-1])
        return False
    log.info("all seven daily runs of the week starting %s are in", week_start)
    return True


@fail_fast
def poke_daily_loads(week_start: str) -> bool:
    """The weekly DAG's first task (a sensor): check settings, manifest and warehouse on each
    poke, so a permanent fault fails the run at once instead of after the sensor's timeout."""
    check_ready()
    return daily_loads_complete(week_start)


@fail_fast
def check_snapshot_order(week_start: date, ledger: RunLedger | None = None) -> str:
    """Refuse a week that would write the SCD2 history out of order.

    Allowed: the first week ever, the week after the latest snapshotted week, or the
    latest week again (a re-run, which adds no versions).
    """
    ledger = ledger or ledger_from_settings()
    latest = ledger.latest(WEEKLY)
    if latest is None or week_start in (latest, latest + timedelta(days=7)):
        return "first week" if latest is None else (
            "re-run of the latest week" if week_start == latest else "next week in order")
    if week_start < latest:
        raise AirflowFailException(
            f"refusing to snapshot week {week_start}: the snapshot history already runs to week "
            f"{latest}, and SCD2 snapshots cannot be rewritten backwards. To replay history, "
            f"restore the snapshots schema from backup (or drop it) and run the weeks in order "
            f"from the first one.")
    first_missing = latest + timedelta(days=7)
    last_missing = week_start - timedelta(days=7)
    raise AirflowFailException(
        f"refusing to snapshot week {week_start}: weeks {first_missing} .. {last_missing} have not "
        f"been snapshotted yet. Run them first, in order: airflow backfill create --dag-id "
        f"pipeline_health_weekly --from-date {first_missing} --to-date {last_missing} "
        f"--max-active-runs 1")


@fail_fast
def record_week(week_start: date, run_id: str, ledger: RunLedger | None = None) -> None:
    (ledger or ledger_from_settings()).record(WEEKLY, week_start, run_id)


@fail_fast
def notify_coaches(week_start: date) -> dict[str, Any]:
    """Email each coach about their newly Red apprentices; fail the task if any send failed.

    A `NotifyError` (server down, a refusal) is left to Airflow's retries, which send only
    the coaches not yet emailed; a missing sender address is a configuration error."""
    from pipeline_health.notifier import notify_from_settings

    summary = notify_from_settings(week_start)
    result = summary.as_dict()
    log.info("coach alerts for week %s: %s", week_start, result)
    return result
