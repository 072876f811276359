"""DAG parse time: each file in dags/ and the whole DagBag, each in a fresh Python process.

Prints figures; asserts nothing (tests/test_dag_integrity.py checks the heavy imports).
Every figure is the median of --repeat fresh processes, after one discarded warm-up
process (the first writes airflow.cfg into the scratch AIRFLOW_HOME):

* a file's parse time is measured as the DAG processor parses it: its manager has Airflow's
  DAG processing modules loaded and forks (no exec) a child per file, which fills a DagBag
  from that one file. So each process imports `airflow.dag_processing.processor` first,
  then times `DagBag(dag_folder=<file>)`. Target <= 0.5 s.
* beside it, the file's import after `import airflow.sdk` alone (a stricter figure: it also
  counts Airflow modules the DAG processor has already loaded), and the whole process.
* the DagBag is `DagBag(dag_folder="dags")` (Airflow 3.3 has no include_examples;
  AIRFLOW__CORE__LOAD_EXAMPLES=False keeps examples out) once its module is
  imported, as the DAG processor would fill it.
* heavy modules: which of numpy, pandas, faker, duckdb, scipy (and pyarrow) are in
  sys.modules after parsing; Airflow's own imports are listed apart.

Run: .venv/bin/python scripts/benchmark_parse.py [--repeat N] [--quick] [--json]
With --json the last stdout line is {"rows": [{"figure", "value", "target", "met"}]}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.local.local_airflow import airflow_env

DAGS = PROJECT_ROOT / "dags"
HEAVY = ("numpy", "pandas", "faker", "duckdb", "scipy", "pyarrow")
TARGET_SECONDS = 0.5

_FILE = """
import importlib.util, json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
before = [m for m in {heavy!r} if m in sys.modules]
spec = importlib.util.spec_from_file_location("dag_under_test", {path!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
t2 = time.perf_counter()
print(json.dumps({{"airflow": t1 - t0, "file": t2 - t1, "airflow_heavy": before,
    "heavy": [m for m in {heavy!r} if m in sys.modules and m not in before]}}))
"""

# A DagBag filled from `path` (one file, or the folder), timed once its module is imported;
# `preload` imports what the process should already hold before it starts.
_DAGBAG = """
import json, sys, time
{preload}
from airflow.dag_processing.dagbag import DagBag
t = time.perf_counter()
bag = DagBag(dag_folder={path!r})  # examples: off in the environment (airflow_env)
print(json.dumps({{"total": time.perf_counter() - t, "dags": len(bag.dag_ids),
    "errors": {{k: str(v)[-300:] for k, v in bag.import_errors.items()}},
    "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""
# The DAG processor forks a file's parser from a manager that holds its processing modules.
_PROCESSOR_PRELOAD = "import airflow.dag_processing.processor"


def _run(code: str, env: dict[str, str]) -> tuple[dict, float]:
    """Run `code` in a fresh interpreter; its last stdout line (JSON) and the wall time."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"parse process failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--quick", action="store_true", help="3 processes per figure")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    args = parser.parse_args()
    repeat = 3 if args.quick else max(args.repeat, 3)

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="pipeline-health-parse-") as scratch:
        # A throwaway Airflow home and Cosmos cache, shared by the runs as a DAG processor's.
        env = airflow_env(Path(scratch))
        print(f"DAG parse, median of {repeat} fresh processes each (load average {_load()})")
        files = sorted(DAGS.glob("*.py"))
        for path in files:
            code = _DAGBAG.format(preload=_PROCESSOR_PRELOAD, path=str(path), heavy=HEAVY)
            _run(code, env)  # warm-up: Airflow writes its config on first start
            runs = [_run(code, env) for _ in range(repeat)]
            parse = statistics.median(r["total"] for r, _ in runs)
            if runs[-1][0]["errors"] or not runs[-1][0]["dags"]:
                raise SystemExit(f"{path.name} did not parse: {runs[-1][0]['errors']}")
            print(f"  {path.name}: {parse:.2f} s as the DAG processor parses it "
                  f"(min {min(r['total'] for r, _ in runs):.2f}, "
                  f"max {max(r['total'] for r, _ in runs):.2f})")
            rows.append({"figure": f"parse {path.name} (as the DAG processor: fresh child, DagBag)",
                         "value": f"{parse:.2f} s", "target": f"<= {TARGET_SECONDS} s",
                         "met": parse <= TARGET_SECONDS})

            code = _FILE.format(path=str(path), heavy=HEAVY)
            runs = [_run(code, env) for _ in range(repeat)]
            alone = statistics.median(r["file"] for r, _ in runs)
            wall = statistics.median(w for _, w in runs)
            heavy = sorted({m for r, _ in runs for m in r["heavy"]})
            airflow_heavy = sorted({m for r, _ in runs for m in r["airflow_heavy"]})
            print(f"    import after `import airflow.sdk` alone: {alone:.2f} s; whole process "
                  f"{wall:.2f} s; heavy modules it imports: {', '.join(heavy) or 'none'}"
                  + (f" (Airflow itself: {', '.join(airflow_heavy)})" if airflow_heavy else ""))
            rows.append({"figure": f"import {path.name} after airflow.sdk alone (fresh process)",
                         "value": f"{alone:.2f} s", "target": "", "met": None})
            rows.append({"figure": f"heavy imports parsing {path.name}",
                         "value": ", ".join(heavy) or "none",
                         "target": "none of " + ", ".join(HEAVY), "met": not heavy})

        code = _DAGBAG.format(preload="", path=str(DAGS), heavy=HEAVY)
        _run(code, env)
        runs = [_run(code, env) for _ in range(repeat)]
        total = statistics.median(r["total"] for r, _ in runs)
        wall = statistics.median(w for _, w in runs)
        errors = runs[-1][0]["errors"]
        heavy = sorted({m for r, _ in runs for m in r["heavy"]})
        print(f"  DagBag({len(files)} files, {runs[-1][0]['dags']} DAGs): {total:.2f} s once "
              f"DagBag is imported; whole process {wall:.2f} s; import errors: "
              f"{len(errors) or 'none'}; heavy modules in the process: {', '.join(heavy) or 'none'}")
        for file, error in errors.items():
            print(f"    {file}: {error}")
        rows.append({"figure": f"DagBag of dags/ ({len(files)} files, fresh process)",
                     "value": f"{total:.2f} s", "target": "no import errors",
                     "met": not errors})
    print(f"load average after: {_load()}")
    if args.json:
        print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
