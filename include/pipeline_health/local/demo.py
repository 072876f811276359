"""The README's first command: the whole pipeline, end to end, on the local DuckDB warehouse.

1. initial load: simulated history from the first cohort up to the week before last;
2. weekly DAG for the earlier weeks (snapshots, risk mart, coach emails);
3. daily DAG, day by day, for the last complete ISO week;
4. weekly DAG for that week;
5. a summary, and where the coach emails were saved (`.eml` files from a local mail sink).

Every DAG run is a real Airflow run of the DAGs in dags/, made as production makes them: the
local stack (scheduler with the LocalExecutor, DAG processor, triggerer, API server on
127.0.0.1; local_stack.LocalStack) creates backfills as `airflow backfill create` does (through
the REST API) and runs them one day (or week) at a time,
so the web UI afterwards (scripts/airflow_ui.sh on the same state folder) shows backfill runs
with their real start and end times. The demo starts from an empty warehouse each time.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from pipeline_health.bootstrap import initial_load
from pipeline_health.config import ConfigError, Settings, SimulationConfig
from pipeline_health.local import local_airflow
from pipeline_health.local.local_stack import LocalStack, RunResult, free_port
from pipeline_health.warehouse_summary import daily_summary, weekly_summary

ALERT_FROM = "pipeline-health-alerts@localhost"
# The demo's population unless PIPELINE_HEALTH_POPULATION is set (the pipeline's default is
# 10,000). Every run of the demo pays fixed costs (Airflow's scheduling, dbt's ~280 nodes a
# day) and a history that grows with the population: at 10,000 the demo took ~520 s, beyond its
# five minutes (docs/benchmarks.md). The stack's runs and the web UI command get the same value.
DEMO_POPULATION = 3000


def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the local mail sink did not start on port {port}")


def start_mail_sink(folder: Path) -> tuple[subprocess.Popen, str]:
    """Start the `.eml`-writing SMTP sink; return it and the Airflow connection JSON."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline_health.local.mail_sink", "--dir",
                             str(folder), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(port)
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": ALERT_FROM,
                      "timeout": 10}}
    return proc, json.dumps(conn)


def backfill(stack: LocalStack, kind: str, first: date, last: date) -> list[RunResult]:
    """Backfill the daily or weekly DAG over [first, last], one run at a time in date order;
    print each run as it ends and fail, naming the logs, unless every expected run succeeded."""
    dag_id = f"pipeline_health_{kind}"
    expected = (last - first).days + 1 if kind == "daily" else (last - first).days // 7 + 1

    def report(r: RunResult) -> None:
        ok = sum(state == "success" for state in r.tasks.values())
        print(f"    {dag_id} {r.period}: {r.state} in {r.seconds:.0f} s "
              f"({ok}/{len(r.tasks)} tasks succeeded)", flush=True)

    runs = stack.backfill(dag_id, first, last, on_run=report)
    failed = [r.period for r in runs if r.state != "success"]
    if failed or len(runs) != expected:
        task_logs = stack.env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"]
        raise RuntimeError(f"{dag_id} {first}..{last}: {len(runs)} of {expected} runs, failed: "
                           f"{failed or 'none'}; task logs in {task_logs}")
    return runs


class Steps:
    """Prints each step as it starts and, when the next one starts, how long it took."""

    def __init__(self, total: int) -> None:
        self.total, self.number, self.started = total, 0, None

    def start(self, title: str) -> None:
        self.finish()
        self.number += 1
        self.started = time.perf_counter()
        print(f"[{self.number}/{self.total}] {title}", flush=True)

    def finish(self) -> None:
        if self.started is not None:
            print(f"    step {self.number} took {time.perf_counter() - self.started:.0f} s", flush=True)
            self.started = None


def run_demo(live_weeks: int = 1, history_weeks: int = 2, today: date | None = None) -> int:
    settings = Settings.from_env()
    if settings.warehouse != "duckdb":
        raise ConfigError("the demo runs on the local DuckDB warehouse; unset "
                          "PIPELINE_HEALTH_WAREHOUSE or set it to duckdb")
    config = SimulationConfig.from_env(default_population=DEMO_POPULATION)
    today = today or date.today()
    this_monday = today - timedelta(days=today.weekday())
    live_start = this_monday - timedelta(weeks=live_weeks)
    history_until = live_start - timedelta(days=1)
    first_weekly = live_start - timedelta(weeks=history_weeks)
    state = settings.state_dir
    started = time.perf_counter()

    # A fresh warehouse each time: snapshots cannot be rewritten, so an old demo's
    # history would make this one's weeks "out of order".
    for path in (settings.duckdb_path, Path(f"{settings.duckdb_path}.wal"), state / "airflow",
                 state / "mail", state / "demo-runs"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    print(f"Pipeline Health demo on DuckDB ({settings.duckdb_path}), seed {config.seed}, "
          f"population {config.population:,}")

    steps = Steps(total=6 if history_weeks else 5)
    steps.start("starting Airflow on 127.0.0.1 (metadata database, scheduler, DAG processor, "
                "triggerer, API server)")
    mail_dir = state / "mail"
    sink, smtp_conn = start_mail_sink(mail_dir)
    env = local_airflow.airflow_env(state)
    # The DAG runs simulate the same population as the history (their tasks read the setting).
    env.update({"AIRFLOW_CONN_SMTP_DEFAULT": smtp_conn, "PIPELINE_HEALTH_ALERT_FROM": ALERT_FROM,
                "PIPELINE_HEALTH_POPULATION": str(config.population),
                # The DAG files do not change while the demo runs: the DAG processor parses them
                # once, not every 30 s (Airflow's default), which took CPU from the runs.
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600"})
    logs = state / "demo-runs"
    try:
        with LocalStack(state, env, logs) as stack:
            # The DAG processor parses the DAGs while the history loads.
            steps.start(f"initial load: simulated history up to {history_until}, then dbt "
                        "(daily models)")
            loaded = initial_load(settings, config, history_until)
            print(f"    {loaded['days']} days, {loaded['event_rows']:,} raw events")
            stack.wait_for_dags()
            if history_weeks:
                steps.start(f"weekly DAG for the weeks starting {first_weekly} .. "
                            f"{live_start - timedelta(weeks=1)} (a backfill)")
                backfill(stack, "weekly", first_weekly, live_start - timedelta(weeks=1))
            steps.start(f"daily DAG for {live_start} .. {this_monday - timedelta(days=1)} "
                        "(a backfill, one day at a time)")
            backfill(stack, "daily", live_start, this_monday - timedelta(days=1))
            last_week = this_monday - timedelta(weeks=1)
            steps.start(f"weekly DAG for the weeks starting {live_start} .. {last_week}")
            backfill(stack, "weekly", live_start, last_week)
    finally:
        sink.terminate()
        sink.wait(timeout=10)

    steps.start("summary")
    day = daily_summary(settings, live_start, this_monday - timedelta(days=1))
    print(f"  Last week ({day['first_day']} .. {day['last_day']}), rows per layer:")
    for schema, tables in day["rows_per_layer"].items():
        for table, n in tables.items():
            print(f"    {schema}.{table:<45} {n:>9,}")
    print("  Rejected rows (table: reason):", day["rejected_by_reason"] or "none")
    print(f"  Apprentices per status on {day['last_day']}:", day["apprentices_by_status"])
    # The risk mart's first build scores every past week; show the weeks the demo ran.
    week = weekly_summary(settings, since=first_weekly if history_weeks else live_start)
    for w in week["weeks"]:
        print(f"  Week {w['week_start_date']}: bands {w['bands']}, newly Red {w['newly_red']}, "
              f"coach emails sent {w['emails_sent']}")
    print(f"  Snapshot versions: {week['snapshot_versions']:,} rows for "
          f"{week['snapshot_apprentices']:,} apprentices")
    emails = sorted(mail_dir.glob("*.eml"))
    print(f"  Coach emails: {len(emails)} saved in {mail_dir}"
          + (f" (e.g. {emails[0].name})" if emails else ""))
    print(f"  Airflow task logs: {env['AIRFLOW__LOGGING__BASE_LOG_FOLDER']}; the stack's "
          f"process logs: {logs}")
    # Each DAG run's last task published the page's data already; this makes sure it exists.
    import shlex

    from pipeline_health.config import DEFAULT_STATE_DIR
    from pipeline_health.dashboard import URL_ROUTE
    from pipeline_health.dashboard.publish import publish_from_settings

    published = publish_from_settings(settings)
    print(f"  Pipeline Health page data: {published.path if published else 'not published'}")
    # Days run from the web UI continue this history: the same population (and folders).
    overrides = {"PIPELINE_HEALTH_STATE_DIR": str(state.resolve()),
                 "PIPELINE_HEALTH_DUCKDB_PATH": str(settings.duckdb_path.resolve()),
                 "PIPELINE_HEALTH_POPULATION": str(config.population)}
    defaults = {"PIPELINE_HEALTH_STATE_DIR": str(DEFAULT_STATE_DIR.resolve()),
                "PIPELINE_HEALTH_DUCKDB_PATH": str((state / "warehouse.duckdb").resolve()),
                "PIPELINE_HEALTH_POPULATION": str(SimulationConfig().population)}
    prefix = "".join(f"{k}={shlex.quote(v)} " for k, v in overrides.items() if v != defaults[k])
    steps.finish()
    print(f"Done in {time.perf_counter() - started:.0f} s.")
    print(f"Pipeline Health page: http://127.0.0.1:8080/plugin/{URL_ROUTE}")
    print(f"Start the web UI on this warehouse: {prefix}scripts/airflow_ui.sh")
    return 0
