"""The daily and weekly DAGs as the scheduler runs them, and under `DAG.test`, against bare dbt.

Prints figures; asserts nothing. Run (make bench calls it with --json):
  .venv/bin/python scripts/benchmark_daily_run.py [--population 1500] [--days 3] [--json]

One warehouse is loaded with history up to the day before `--first-day` (initial load),
then copied three times; each copy goes through the same steps, in the same order:
  bare       per day: `cli load` (simulate + load, a fresh process), then
             `dbt build --selector daily --exclude-resource-type unit_test` (a fresh process);
             then the `--weeks` weeks before `--first-day`'s, oldest first: `dbt build --selector
             weekly` (same exclusion);
  scheduler  the local stack of scripts/airflow_ui.sh (LocalExecutor, API server, scheduler,
             DAG processor, triggerer on 127.0.0.1, Airflow home in the scratch folder):
             `airflow backfill create` of the days, then of the weeks; each run's time is its
             DagRun start_date -> end_date;
  dag.test   the same days, then the weeks, through `DAG.test` (pipeline_health.local.dag_runner).
Each ratio divides a run by the bare time of the same day, measured in this invocation.
The copies end with the same raw, staging, marts and snapshot tables ("same warehouse").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from pipeline_health.config import COSMOS_MODES, DAG_TEST_COSMOS_MODE, PROJECT_ROOT, cosmos_mode, state_dir
from pipeline_health.dbt_cli import NO_UNIT_TESTS, dbt_arguments, dbt_executable, run_dates_env
from pipeline_health.local import local_airflow
from pipeline_health.local.demo import ALERT_FROM, start_mail_sink
from pipeline_health.local.local_stack import LocalStack

EXECUTORS = {"preloading": local_airflow.PRELOADING_EXECUTOR, "local": "LocalExecutor"}
COMPARED = ("raw", "staging", "marts", "snapshots")  # ops holds run ids and timestamps


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def say(text: str) -> None:
    print(f"{text} [load {loadavg()}]", flush=True)


def fingerprints(path: Path) -> dict:
    # The test suite's comparison of two warehouses (row counts and content hashes).
    sys.path.insert(0, str(PROJECT_ROOT / "tests"))
    from e2e_support import fingerprints as table_fingerprints

    return table_fingerprints(path, schemas=COMPARED)


def profile(dag_id: str, period: str, run_seconds: float, tasks: list[tuple[str, float]]) -> dict:
    """Where one scheduler run's time went: dbt model tasks (LOCAL modes, one after another),
    watcher sensors (they overlap the producer), the other tasks, and the gaps between tasks."""
    models = [d for t, d in tasks if t.endswith(("_run", "_snapshot", "_seed"))]
    sensors = [d for t, d in tasks if t.endswith((".run", ".test", ".snapshot", ".seed"))]
    others = [(t, d) for t, d in tasks if not t.endswith(("_run", "_snapshot", "_seed", ".run", ".test",
                                                           ".snapshot", ".seed"))]
    parts = []
    if models:
        parts.append(f"{len(models)} dbt model tasks {sum(models):.1f} s (median "
                     f"{statistics.median(models):.1f} s each, max {max(models):.1f} s)")
    if sensors:
        parts.append(f"{len(sensors)} watcher sensors beside the producer (median "
                     f"{statistics.median(sensors):.1f} s, max {max(sensors):.1f} s)")
    parts += [f"{t} {d:.1f} s" for t, d in others if d >= 0.5]
    value = f"run {run_seconds:.1f} s: " + " + ".join(parts)
    if not sensors:  # tasks one after another: what is left is the scheduler's own time
        value += f" + gaps between tasks {run_seconds - sum(d for _, d in tasks):.1f} s"
    return {"figure": f"where a scheduler run's time goes: {dag_id} {period}", "value": value,
            "target": "", "met": None, "load": loadavg()}


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.scratch = Path(tempfile.mkdtemp(prefix="ph-bench-"))
        self.log = self.scratch / "bench.log"
        self.base = {**os.environ, "PIPELINE_HEALTH_POPULATION": str(args.population),
                     "PIPELINE_HEALTH_COSMOS_MODE": args.cosmos_mode}
        self.days = [args.first_day + timedelta(days=n) for n in range(args.days)]
        monday = args.first_day - timedelta(days=args.first_day.weekday())
        # Complete weeks in the history (recorded by the initial load), oldest first.
        self.weeks = [monday - timedelta(weeks=n) for n in range(args.weeks, 0, -1)]
        self.rows: list[dict] = []
        self.profiles: list[dict] = []

    def env(self, name: str) -> tuple[Path, dict[str, str]]:
        state = self.scratch / name
        state.mkdir(exist_ok=True)
        env = local_airflow.airflow_env(state, self.base, executor=EXECUTORS[self.args.executor])
        env["PIPELINE_HEALTH_DUCKDB_PATH"] = str(state / "warehouse.duckdb")
        return state, env

    def copy_seed(self, name: str) -> tuple[Path, dict[str, str]]:
        state, env = self.env(name)
        shutil.copy(self.scratch / "seed" / "warehouse.duckdb", state / "warehouse.duckdb")
        return state, env

    def timed(self, cmd: list[str], env: dict[str, str]) -> float:
        started = time.perf_counter()
        with open(self.log, "a") as out:
            out.write(f"\n$ {' '.join(cmd)}\n")
            out.flush()
            subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=True,
                           cwd=PROJECT_ROOT)
        return time.perf_counter() - started

    def dbt(self, state: Path, env: dict[str, str], selector: str, first: date, last: date) -> float:
        # The days as the DAGs pass them (environment variables, not vars: no full re-parse).
        args = dbt_arguments(["build", "--selector", selector, *NO_UNIT_TESTS], work_dir=state / "dbt")
        return self.timed([dbt_executable(), *args], {**env, **run_dates_env((first, last))})

    def seed(self) -> None:
        until = self.args.first_day - timedelta(days=1)
        _, env = self.env("seed")
        secs = self.timed([sys.executable, "-m", "pipeline_health.cli", "initial-load", "--until",
                           str(until)], env)
        say(f"initial load up to {until}, population {self.args.population:,}: {secs:.1f} s")

    # ------------------------------------------------------------------ the three variants
    def bare(self) -> tuple[list[float], list[float], dict]:
        state, env = self.copy_seed("bare")
        daily = []
        for day in self.days:
            load = self.timed([sys.executable, "-m", "pipeline_health.cli", "load", "--start",
                               str(day), "--end", str(day)], env)
            build = self.dbt(state, env, "daily", day, day)
            daily.append(load + build)
            say(f"  bare {day}: simulate+load {load:.1f} s + dbt build {build:.1f} s = "
                f"{load + build:.1f} s")
        weekly = []
        for week in self.weeks:
            weekly.append(self.dbt(state, env, "weekly", week, week + timedelta(days=6)))
            say(f"  bare weekly {week}: dbt build --selector weekly {weekly[-1]:.1f} s")
        return daily, weekly, fingerprints(state / "warehouse.duckdb")

    def scheduler(self) -> tuple[list, list, dict, float]:
        state, env = self.copy_seed("scheduler")
        sink, smtp = start_mail_sink(state / "mail")
        env.update({"AIRFLOW_CONN_SMTP_DEFAULT": smtp, "PIPELINE_HEALTH_ALERT_FROM": ALERT_FROM})
        started = time.perf_counter()

        def report(r) -> None:
            say(f"  scheduler {r.dag_id} {r.period}: {r.state} in {r.seconds} s "
                f"(queued {r.queued_seconds} s, {len(r.tasks)} tasks)")

        try:
            with LocalStack(state, env, state / "processes") as stack:
                waited = stack.wait_for_dags()
                boot = time.perf_counter() - started
                say(f"  stack up (db migrate, pool, 4 processes) and DAGs serialised in {boot:.0f} s "
                    f"({waited:.0f} s waiting for the DAG processor)")
                daily = stack.backfill("pipeline_health_daily", self.days[0], self.days[-1],
                                       on_run=report)
                weekly = stack.backfill("pipeline_health_weekly", self.weeks[0], self.weeks[-1],
                                        on_run=report)
                for run in (daily[-1], weekly[-1]):
                    tasks = stack.task_durations(run.dag_id, run.run_id)
                    self.profiles.append(profile(run.dag_id, run.period, run.seconds, tasks))
                    if self.args.verbose:
                        print(f"  tasks of {run.run_id}:", tasks)
        finally:
            sink.terminate()
            sink.wait(timeout=10)
        return daily, weekly, fingerprints(state / "warehouse.duckdb"), boot

    def dagtest(self) -> tuple[list[dict], list[dict], dict]:
        state, env = self.copy_seed("dagtest")
        local_airflow.prepare(state, env)
        sink, smtp = start_mail_sink(state / "mail")
        env.update({"AIRFLOW_CONN_SMTP_DEFAULT": smtp, "PIPELINE_HEALTH_ALERT_FROM": ALERT_FROM})
        results = {}
        try:
            for kind, first, last in (("daily", self.days[0], self.days[-1]),
                                      ("weekly", self.weeks[0], self.weeks[-1])):
                out = state / f"{kind}.json"
                self.timed([sys.executable, "-m", "pipeline_health.local.dag_runner", kind, str(first),
                            str(last), "--json-out", str(out)], env)
                results[kind] = json.loads(out.read_text())
                for r in results[kind]:
                    say(f"  dag.test {r['dag_id']} {r['period']}: {r['state']} in {r['seconds']} s "
                        f"({len(r['tasks'])} tasks)")
        finally:
            sink.terminate()
            sink.wait(timeout=10)
        return results["daily"], results["weekly"], fingerprints(state / "warehouse.duckdb")

    # ------------------------------------------------------------------ rows
    def row(self, figure: str, secs: list[float], bare: list[float], *, tasks: int, states: list[str],
            same: bool, target: float | None) -> None:
        ratios = [s / b for s, b in zip(secs, bare, strict=True)]
        ratio = statistics.median(ratios)
        failed = [s for s in states if s != "success"]
        value = (f"median {statistics.median(secs):.1f} s {[round(s, 1) for s in secs]}; bare "
                 f"{statistics.median(bare):.1f} s; ratio **{ratio:.2f}x** "
                 f"{[round(r, 2) for r in ratios]}; {tasks} tasks; same warehouse: "
                 f"{'yes' if same else 'NO'}" + (f"; runs not successful: {failed}" if failed else ""))
        self.rows.append({"figure": figure, "value": value,
                          "target": f"ratio <= {target}x" if target else "",
                          "met": (ratio <= target and not failed) if target else None,
                          "load": loadavg()})
        say(f"=> {figure}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=1500)
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2026, 11, 16))
    parser.add_argument("--days", type=int, default=3, help="daily runs per variant (median of these)")
    parser.add_argument("--weeks", type=int, default=3, help="weekly runs per variant (median of these)")
    parser.add_argument("--cosmos-mode", choices=COSMOS_MODES, default=cosmos_mode(),
                        help="how Cosmos renders dbt in both DAGs (default: PIPELINE_HEALTH_COSMOS_MODE)")
    parser.add_argument("--executor", choices=EXECUTORS, default="preloading",
                        help="the local stack's executor: LocalExecutor with the DAGs' imports "
                             "preloaded before it forks (default, as scripts/airflow_ui.sh), or plain")
    parser.add_argument("--no-dagtest", action="store_true", help="skip the DAG.test variant")
    parser.add_argument("--verbose", action="store_true", help="task durations of the last runs")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--json", action="store_true", help='last stdout line: {"rows": [...]}')
    args = parser.parse_args()
    bench = Bench(args)
    weeks = f"{bench.weeks[0]}..{bench.weeks[-1]}"
    say(f"scratch {bench.scratch}; days {bench.days[0]}..{bench.days[-1]}, weeks {weeks}")
    pop = f"population {args.population:,}, Cosmos {args.cosmos_mode}"
    ok = False
    try:
        bench.seed()
        bare_daily, bare_weekly, bare_fp = bench.bare()
        bench.rows.append({"figure": f"bare: simulate+load + `dbt build --selector daily` ({pop})",
                           "value": f"median {statistics.median(bare_daily):.1f} s "
                                    f"{[round(s, 1) for s in bare_daily]}",
                           "target": "", "met": None, "load": loadavg()})
        daily, weekly, fp, boot = bench.scheduler()
        executor = EXECUTORS[args.executor].rsplit(".", 1)[-1]  # the class name
        bench.row(f"daily DAG, scheduler ({executor}, backfill), {len(daily)} days, {pop}",
                  [r.seconds for r in daily], bare_daily, tasks=len(daily[0].tasks),
                  states=[r.state for r in daily], same=fp == bare_fp, target=1.5)
        bench.row(f"weekly DAG, scheduler, {len(weekly)} weeks from {bench.weeks[0]}, vs bare "
                  "`dbt build --selector weekly`",
                  [r.seconds for r in weekly], bare_weekly, tasks=len(weekly[0].tasks),
                  states=[r.state for r in weekly], same=fp == bare_fp, target=None)
        bench.rows.append({"figure": "local stack start-up (db migrate, pool, processes, DAGs serialised)",
                           "value": f"{boot:.0f} s (once; not in the run times)", "target": "",
                           "met": None, "load": loadavg()})
        bench.rows += bench.profiles
        if not args.no_dagtest:
            daily_t, weekly_t, fp_t = bench.dagtest()
            bench.row(f"daily DAG, `DAG.test` (renders Cosmos {DAG_TEST_COSMOS_MODE}), {len(daily_t)} days, "
                      f"population {args.population:,}",
                      [r["seconds"] for r in daily_t], bare_daily, tasks=len(daily_t[0]["tasks"]),
                      states=[r["state"] for r in daily_t], same=fp_t == bare_fp, target=None)
            bench.row(f"weekly DAG, `DAG.test`, {len(weekly_t)} weeks from {bench.weeks[0]}",
                      [r["seconds"] for r in weekly_t], bare_weekly, tasks=len(weekly_t[0]["tasks"]),
                      states=[r["state"] for r in weekly_t], same=fp_t == bare_fp, target=None)
        ok = True
    finally:
        # The command log is kept; the scratch folder (warehouses, Airflow homes) only on failure.
        kept = state_dir() / "bench" / f"daily-run-{time.strftime('%Y%m%dT%H%M%S')}.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        if bench.log.exists():
            shutil.copy(bench.log, kept)
        print(f"log: {kept}" + ("" if ok else f"; scratch kept: {bench.scratch}"), flush=True)
        if ok and not args.keep:
            shutil.rmtree(bench.scratch, ignore_errors=True)
    if args.json:
        print(json.dumps({"rows": bench.rows}))


if __name__ == "__main__":
    main()
