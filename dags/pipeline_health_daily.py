"""
### Pipeline Health — daily

Simulates one day of apprentice activity, replaces that day's raw partitions, then
builds the dbt models (staging → core star schema → daily marts) through Cosmos.

**Data interval:** one UTC day, `[data_interval_start, data_interval_end)`; the run
starts just after midnight UTC. Every task is idempotent for its day: clearing and
re-running a run, or a backfill over any range, leaves the same warehouse.

**When it fails**
* `simulate_and_load_raw` — checks the settings, the dbt manifest and the warehouse file
  first. A configuration error (names the `PIPELINE_HEALTH_*` setting), a corrupted or
  unreadable warehouse file, or a missing manifest fails the task **at once, without
  retries**: fix it, then clear the task. "locked by another process" means another
  writer holds the DuckDB file (a manual dbt run?): that is retried; if the retries run
  out, wait for the writer, then clear the task.
* `check_source_freshness` — `dbt source freshness` on the raw event tables after the load
  (age of their last delivered rows; thresholds in `dbt/models/staging/_apprenticeship__sources.yml`).
  A warning is logged; a table past its error threshold fails the task **without retries**,
  naming the table and its age, and the day is not recorded, so the weekly DAG (risk
  scores, coach emails) waits. The Pipeline tab of the page shows it. Find why the feed
  delivers no rows; once loads deliver them again, clear the task.
* `dbt_daily.*` — `dbt_producer_watcher` runs the one `dbt build` (models, then each
  model's tests); each model's `.run` task and its `.test` task report that build's result
  for the model (they wait in the triggerer). A failed `.run`/`.test` names the node; the
  producer's log has dbt's output. Clear a model's task to re-run that model alone; clear
  the producer (or the run) to build again. Bad raw rows do **not** fail the run, they go
  to `stg_rejected_rows` with a reason (see the run summary).
* `publish_dashboard` — copies the tables of the Pipeline Health page into its read-only
  file; a failure leaves the page on the previous run's data. Clear it to retry.
* Retries: 2, with exponential back-off (transient faults only).

**Backfill** (on-call), with the DAG unpaused (a paused DAG's backfill runs wait, queued):
`airflow backfill create --dag-id pipeline_health_daily --from-date 2026-11-01
--to-date 2026-11-07 --max-active-runs 1`. Dates are the first and last day, inclusive.
With `--max-active-runs 1` the scheduler runs one day at a time, oldest first; without
it Airflow starts up to 10 backfill runs at once (the DAG's `max_active_runs` does not
apply to backfills). Days that already have a run are skipped; add
`--reprocess-behavior completed` to re-run them (`failed`: only the failed ones).

**Params:** `population` and `malformed_rate` override the simulator's settings for a
manual run (use the same values for every day you compare).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import DAG, Param, task

from pipeline_health.orchestration import cosmos_setup, daily_tasks, dashboard_tasks, schedules

with DAG(
    dag_id="pipeline_health_daily",
    description="Simulate and load a day of apprentice activity, then build the dbt models.",
    schedule=schedules.DAILY,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "data-insights",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
    },
    params={
        "population": Param(None, type=["null", "integer"], minimum=10,
                            description="Apprentices across all cohorts (default: setting)."),
        "malformed_rate": Param(None, type=["null", "number"], minimum=0, maximum=0.5,
                                description="Share of raw rows to corrupt on purpose."),
    },
    tags=["pipeline-health", "daily", "dbt"],
    doc_md=__doc__,
) as dag:

    @task(pool=cosmos_setup.WRITER_POOL)
    def simulate_and_load_raw(data_interval_start=None, data_interval_end=None, params=None):
        return daily_tasks.simulate_and_load(data_interval_start, data_interval_end, params)

    # The same nodes as `dbt build --selector daily` (dbt/selectors.yml): nothing weekly.
    dbt_daily = cosmos_setup.dbt_task_group("dbt_daily", select=["tag:daily"], exclude=["tag:weekly+"])

    @task(pool=cosmos_setup.WRITER_POOL)
    def check_source_freshness(data_interval_start=None, data_interval_end=None):
        return daily_tasks.check_source_freshness(data_interval_start, data_interval_end)

    @task(pool=cosmos_setup.WRITER_POOL)
    def record_and_summarise(data_interval_start=None, data_interval_end=None, run_id=None):
        return daily_tasks.record_and_summarise(data_interval_start, data_interval_end, run_id)

    @task(pool=cosmos_setup.WRITER_POOL)
    def publish_dashboard():
        return dashboard_tasks.publish_dashboard()

    # Freshness beside the models: a stale source does not stop them building, but the day
    # is recorded complete (what the weekly DAG waits for) only when both succeeded.
    loaded, recorded = simulate_and_load_raw(), record_and_summarise()
    loaded >> [check_source_freshness(), dbt_daily] >> recorded >> publish_dashboard()
