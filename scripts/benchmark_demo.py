"""`make demo`, step by step: the README's first command after installation, timed as it prints.

Prints figures; asserts nothing (target: the whole demo in <= 300 s after installation).
Each run is `python -m pipeline_health.cli demo` in a fresh process with this process's
settings, as `make demo` runs it after `make setup` (make bench has run the set-up): the same
state folder, so the same warehouse path as the set-up's `dbt parse`, whose saved parse the
DAGs' first dbt commands start from. The demo starts from an empty warehouse each time; it
replaces the state folder's warehouse, Airflow home and mail folder (not the benchmarks' cache).
Figures are the median of the runs: each step's time as the demo prints it, the total, and
each daily and weekly DAG run (scheduler start to end, as the demo prints it).

Run: .venv/bin/python scripts/benchmark_demo.py [--runs 3] [--json]
With --json the last stdout line is {"rows": [{"figure", "value", "target", "met"}]}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

TARGET_SECONDS = 300
STEP = re.compile(r"^\[(\d+)/(\d+)\] (.*)$")
STEP_TOOK = re.compile(r"^\s+step (\d+) took (\d+) s$")
RUN = re.compile(r"^\s+pipeline_health_(daily|weekly) (\S+): (\w+) in (\d+) s")
DONE = re.compile(r"^Done in (\d+) s\.$")


@dataclass
class DemoRun:
    titles: dict[int, str] = field(default_factory=dict)
    steps: dict[int, float] = field(default_factory=dict)
    runs: dict[str, list[float]] = field(default_factory=lambda: {"daily": [], "weekly": []})
    runs_in_step: dict[int, int] = field(default_factory=dict)
    total: float | None = None
    population: str = ""
    step: int = 0

    def read(self, line: str) -> None:
        if m := STEP.match(line):
            # "initial load: simulated history up to 2026-11-15, then dbt" -> "initial load"
            self.titles[int(m[1])] = re.split(r"[:(]| for | on ", m[3])[0].strip()
            self.step = int(m[1])
        elif m := STEP_TOOK.match(line):
            self.steps[int(m[1])] = float(m[2])
        elif m := RUN.match(line):
            if m[3] != "success":
                raise RuntimeError(f"demo run failed: {line.strip()}")
            self.runs[m[1]].append(float(m[4]))
            self.runs_in_step[self.step] = self.runs_in_step.get(self.step, 0) + 1
        elif m := DONE.match(line):
            self.total = float(m[1])
        elif "population" in line and line.startswith("Pipeline Health demo"):
            self.population = line.rsplit("population", 1)[1].strip()


def run_demo() -> DemoRun:
    """One `cli demo` in a fresh process; its output goes to the console as it comes."""
    run = DemoRun()
    with subprocess.Popen([sys.executable, "-m", "pipeline_health.cli", "demo"], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy()) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(f"    {line}", end="", flush=True)
            run.read(line.rstrip("\n"))
    if proc.returncode != 0 or run.total is None:
        raise RuntimeError(f"the demo exited {proc.returncode} (output above)")
    return run


def rows_of(runs: list[DemoRun]) -> list[dict[str, object]]:
    n, first = len(runs), runs[0]
    median = statistics.median
    totals = [r.total for r in runs]
    rows: list[dict[str, object]] = [{
        "figure": f"make demo after installation, total (population {first.population}; "
                  f"median of {n}: {', '.join(f'{t:.0f}' for t in totals)} s)",
        "value": f"{median(totals):.0f} s", "target": f"<= {TARGET_SECONDS} s",
        "met": median(totals) <= TARGET_SECONDS}]
    for number, title in sorted(first.titles.items()):
        seconds = [r.steps.get(number, 0.0) for r in runs]
        count = first.runs_in_step.get(number)
        title += f" ({count} run{'s' if count > 1 else ''})" if count else ""
        rows.append({"figure": f"make demo step {number}: {title}", "value": f"{median(seconds):.0f} s",
                     "target": "", "met": None})
    for kind in ("daily", "weekly"):
        each = [s for r in runs for s in r.runs[kind]]
        if each:
            rows.append({"figure": f"make demo: each {kind} DAG run through the scheduler "
                                   f"({len(each) // n} a demo; range {min(each):.0f}-{max(each):.0f} s)",
                         "value": f"{median(each):.0f} s", "target": "", "met": None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="demos to run (the median is reported)")
    parser.add_argument("--json", action="store_true", help='last stdout line: {"rows": [...]}')
    args = parser.parse_args()
    runs = []
    for number in range(1, args.runs + 1):
        print(f"demo {number} of {args.runs}", flush=True)
        runs.append(run_demo())
        print(f"  demo {number}: {runs[-1].total:.0f} s", flush=True)
    rows = rows_of(runs)
    for row in rows:
        print(f"  {row['figure']}: {row['value']}")
    if args.json:
        print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
