"""Daily run cost: the daily DAG through Airflow/Cosmos against a bare `dbt build` of the same
models on the same data, plus each DAG file's parse time. Prints figures; asserts nothing.

Run: .venv/bin/python scripts/benchmark_daily_run.py [--population N] [--modes after_all build]

Each measurement starts from the same initial load (history up to the day before) copied
into a scratch folder, so every variant processes exactly one new day.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.local import local_airflow

BIN = Path(sys.executable).parent


def _run(cmd: list[str], env: dict[str, str], log: Path) -> float:
    t0 = time.perf_counter()
    with open(log, "a") as fh:
        subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population", default="10000")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 18))
    parser.add_argument("--modes", nargs="+", default=["after_all", "build"])
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ph-bench-"))
    base_env = {**os.environ, "PIPELINE_HEALTH_POPULATION": args.population}
    day = args.day

    # One shared starting point: history up to the day before.
    seed_state = scratch / "seed"
    env = local_airflow.airflow_env(seed_state, base_env)
    t = _run([str(BIN / "python"), "-m", "pipeline_health.cli", "initial-load", "--until",
              str(day - timedelta(days=1))], env, scratch / "bench.log")
    print(f"initial load up to {day - timedelta(days=1)} (population {args.population}): {t:.1f} s")

    def fresh(name: str) -> tuple[Path, dict[str, str]]:
        state = scratch / name
        state.mkdir()
        shutil.copy(seed_state / "warehouse.duckdb", state / "warehouse.duckdb")
        return state, local_airflow.airflow_env(state, base_env)

    # Bare dbt: simulate and load the day, then one `dbt build` of the daily selection.
    state, env = fresh("bare")
    load = _run([str(BIN / "python"), "-m", "pipeline_health.cli", "load", "--start", str(day),
                 "--end", str(day)], env, scratch / "bench.log")
    dbt_vars = json.dumps({"run_start_date": str(day), "run_end_date": str(day)})
    build = _run([str(BIN / "dbt"), "build", "--selector", "daily", "--vars", dbt_vars,
                  "--project-dir", str(PROJECT_ROOT / "dbt"), "--profiles-dir",
                  str(PROJECT_ROOT / "dbt"), "--target-path", str(state / "target")],
                 env, scratch / "bench.log")
    print(f"bare: load {load:.1f} s + dbt build {build:.1f} s = {load + build:.1f} s")

    for mode in args.modes:
        state, env = fresh(mode)
        env["PIPELINE_HEALTH_COSMOS_MODE"] = mode
        local_airflow.prepare(state, env)
        out = state / "runs.json"
        wall = _run([str(BIN / "python"), "-m", "pipeline_health.local.dag_runner", "daily", str(day),
                     str(day), "--json-out", str(out)], env, scratch / "bench.log")
        runs = json.loads(out.read_text())
        print(f"daily DAG, Cosmos mode {mode}: {len(runs[0]['tasks'])} tasks, run "
              f"{runs[0]['seconds']:.1f} s (process wall {wall:.1f} s incl. Airflow start-up), "
              f"state {runs[0]['state']}")

    parse = subprocess.run(
        [str(BIN / "python"), "-c",
         "import time; from airflow.dag_processing.dagbag import DagBag; t=time.perf_counter(); "
         f"b=DagBag(dag_folder={str(PROJECT_ROOT / 'dags')!r}); "
         "[print(f'parse {s.file}: {s.duration.total_seconds():.3f} s') for s in b.dagbag_stats];"
         "print(f'DagBag total {time.perf_counter()-t:.2f} s')"],
        env=local_airflow.airflow_env(scratch / "parse", base_env), capture_output=True, text=True)
    print(parse.stdout.strip())
    print(f"logs: {scratch / 'bench.log'}")


if __name__ == "__main__":
    main()
