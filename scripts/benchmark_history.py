"""Does the daily run's cost grow with history? An incremental daily run after 365 days of
history against one after 30 days. Prints figures; asserts nothing. Target: <= 1.2x.

  .venv/bin/python scripts/benchmark_history.py [--population 1500] [--days 3] [--json]

Two warehouses with the same population: raw history loaded for the 30 (resp. 365) days
before `--first-day` and the daily models built over it (the initial load, started that many
days back); then, on each, the same days one at a time: `cli load` (simulate + load) and
`dbt build --selector daily --exclude-resource-type unit_test`, each a fresh process, as in
scripts/benchmark_daily_run.py's bare baseline. The ratio compares the medians of the dbt
builds (the part that could read history), measured in this invocation.
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

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.dbt_cli import NO_UNIT_TESTS, dbt_arguments, dbt_executable, run_dates_env

HISTORIES = (30, 365)
TARGET = 1.2


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def timed(cmd: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=True, cwd=PROJECT_ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=1500)
    parser.add_argument("--first-day", type=date.fromisoformat, default=date(2026, 11, 16))
    parser.add_argument("--days", type=int, default=3, help="daily runs per history (median of these)")
    parser.add_argument("--json", action="store_true", help='last stdout line: {"rows": [...]}')
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ph-bench-history-"))
    log = scratch / "bench.log"
    days = [args.first_day + timedelta(days=n) for n in range(args.days)]
    builds: dict[int, list[float]] = {}
    rows = []
    try:
        for history in HISTORIES:
            state = scratch / f"history-{history}"
            env = {**os.environ, "PIPELINE_HEALTH_POPULATION": str(args.population),
                   "PIPELINE_HEALTH_STATE_DIR": str(state),
                   "PIPELINE_HEALTH_DUCKDB_PATH": str(state / "warehouse.duckdb")}
            start, until = args.first_day - timedelta(days=history), args.first_day - timedelta(days=1)
            secs = timed([sys.executable, "-c",
                          "from datetime import date; from pipeline_health.bootstrap import initial_load; "
                          "from pipeline_health.config import Settings, SimulationConfig; "
                          "initial_load(Settings.from_env(), SimulationConfig.from_env(), "
                          f"date.fromisoformat({str(until)!r}), date.fromisoformat({str(start)!r}))"],
                         env, log)
            print(f"initial load {start}..{until} ({history} days), population {args.population:,}: "
                  f"{secs:.1f} s [load {loadavg()}]", flush=True)
            builds[history] = []
            for day in days:
                load = timed([sys.executable, "-m", "pipeline_health.cli", "load", "--start", str(day),
                              "--end", str(day)], env, log)
                dbt = dbt_arguments(["build", "--selector", "daily", *NO_UNIT_TESTS],
                                    work_dir=state / "dbt")
                build = timed([dbt_executable(), *dbt], {**env, **run_dates_env((day, day))}, log)
                builds[history].append(build)
                print(f"  after {history} days, {day}: load {load:.1f} s, dbt build {build:.1f} s "
                      f"[load {loadavg()}]", flush=True)
            shutil.rmtree(state)  # the 365-day warehouse is large; keep the disk free
            rows.append({"figure": f"incremental daily dbt build after {history} days of history "
                                   f"(population {args.population:,})",
                         "value": f"median {statistics.median(builds[history]):.1f} s "
                                  f"{[round(s, 1) for s in builds[history]]}",
                         "target": "", "met": None, "load": loadavg()})
        ratio = statistics.median(builds[365]) / statistics.median(builds[30])
        rows.append({"figure": "daily run after 365 days of history vs after 30 days (dbt build medians)",
                     "value": f"**{ratio:.2f}x**", "target": f"<= {TARGET}x", "met": ratio <= TARGET,
                     "load": loadavg()})
        print(f"=> 365 vs 30 days of history: {ratio:.2f}x [load {loadavg()}]", flush=True)
    finally:
        print(f"log: {log}", flush=True)
    if args.json:
        print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
