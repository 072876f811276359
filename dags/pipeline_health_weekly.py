"""
### Pipeline Health — weekly

Runs on Monday for the previous ISO week (data interval Monday 00:00 → Monday 00:00
UTC): waits for the week's seven daily runs, takes the dbt snapshot of each
apprentice's progression status (SCD Type 2, as of the week's end), builds the risk
mart (Red ≥ 80, Amber 50–79, Green < 50) and emails each coach about their
**newly** Red apprentices.

**Guarantees**
* One active run at a time; a week is never snapshotted out of order:
  `check_snapshot_order` refuses and names the weeks to run first.
* Re-running a week adds no snapshot versions and sends no second email (the
  sent-alerts log `ops.sent_coach_alerts` is written as each email is accepted).

**Backfill / replay** weeks in order, one at a time (Monday dates, inclusive; the DAG
unpaused): `airflow backfill create --dag-id pipeline_health_weekly --from-date
2026-11-02 --to-date 2026-11-16 --max-active-runs 1`.

**When it fails**
* `wait_for_daily_loads` timed out — its log lists the missing days and the
  `airflow backfill create` command for the daily DAG; run it, then clear this task.
  It also checks the settings, the dbt manifest and the warehouse file on each poke: a
  bad setting, a corrupted warehouse or a missing manifest fails it at once, not retried.
* `check_snapshot_order` — read the message: run the missing weeks in order first.
* `dbt_weekly.*` — a model or its tests failed (the `.run`/`.test` task names it; the
  producer `dbt_producer_watcher` has dbt's output); fix, then clear the producer to build
  again, or the model's task to re-run it alone (the snapshot is safe to re-run for the
  same week).
* `notify_coaches` — a mail server problem (the error names the server, the first coach
  that failed with the server's reply, and every coach not emailed); retries send only
  the coaches not yet emailed; a missing sender address fails at once. Coaches without
  an email address are listed in the task log and result.
* `publish_dashboard` — copies the tables of the Pipeline Health page into its read-only
  file; a failure leaves the page on the previous run's data. Clear it to retry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG, task

from pipeline_health.orchestration import cosmos_setup, dashboard_tasks, schedules, weekly_tasks

with DAG(
    dag_id="pipeline_health_weekly",
    description="Weekly SCD2 status snapshot, risk mart and newly-Red coach alerts.",
    schedule=schedules.WEEKLY,
    start_date=datetime(2026, 1, 5, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "data-insights",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
    },
    tags=["pipeline-health", "weekly", "dbt", "alerts"],
    doc_md=__doc__,
) as dag:
    wait_for_daily_loads = PythonSensor(
        task_id="wait_for_daily_loads",
        python_callable=weekly_tasks.poke_daily_loads,
        op_kwargs={"week_start": "{{ data_interval_start | ds }}"},
        mode="reschedule",
        poke_interval=600,
        timeout=12 * 3600,
    )

    @task(pool=cosmos_setup.WRITER_POOL)
    def check_snapshot_order(data_interval_start=None, data_interval_end=None):
        week_start, _ = weekly_tasks.iso_week(data_interval_start, data_interval_end)
        return weekly_tasks.check_snapshot_order(week_start)

    dbt_weekly = cosmos_setup.dbt_task_group("dbt_weekly", select=["tag:weekly"])

    @task(pool=cosmos_setup.WRITER_POOL)
    def record_week(data_interval_start=None, data_interval_end=None, run_id=None):
        week_start, _ = weekly_tasks.iso_week(data_interval_start, data_interval_end)
        weekly_tasks.record_week(week_start, run_id)

    @task(pool=cosmos_setup.WRITER_POOL)
    def notify_coaches(data_interval_start=None, data_interval_end=None):
        week_start, _ = weekly_tasks.iso_week(data_interval_start, data_interval_end)
        return weekly_tasks.notify_coaches(week_start)

    @task(pool=cosmos_setup.WRITER_POOL)
    def publish_dashboard():
        return dashboard_tasks.publish_dashboard()

    # The page shows the new week even when the mail server is down.
    recorded = wait_for_daily_loads >> check_snapshot_order() >> dbt_weekly >> record_week()
    recorded >> [notify_coaches(), publish_dashboard()]
