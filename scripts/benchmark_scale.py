"""100,000 apprentices x one year: the initial load and its dbt build on this machine.

Prints figures; asserts nothing (the target is that it runs here, stating the peak memory).
Settings: population 100,000 in twelve monthly cohorts (2025-11 .. 2026-10), history from
the first cohort's start to --until (about a year), in a throwaway state folder. Steps as
`cli initial-load` runs them, timed apart:

* raw: simulate and load every day (`ingest.ingest_days`, one transaction a day);
* dbt: `dbt build --selector daily` once over the range (`dbt_cli.run_dbt`);
* peak memory: the largest resident set of this process and of any child (dbt);
* warehouse: the DuckDB file's size afterwards.

Run: .venv/bin/python scripts/benchmark_scale.py [--population N] [--until DAY] [--quick] [--json]
(--quick: 10,000 apprentices). About 7 minutes and 19 GiB at full size on 2026-11-27: DuckDB
takes its default memory_limit, 80 % of the machine's memory. With --json the last stdout line
is {"rows": [{"figure", "value", "target", "met"}]}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

FULL, QUICK = 100_000, 10_000
COHORTS = ("2025-11", "2026-10")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_gib() -> float:
    """Largest resident set of this process or a waited-for child, in GiB (Linux: kB)."""
    kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return kib / 1024 ** 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=FULL)
    parser.add_argument("--until", type=date.fromisoformat, default=date(2026, 11, 15))
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} apprentices")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    args = parser.parse_args()
    population = QUICK if args.quick else args.population

    scratch = Path(tempfile.mkdtemp(prefix="pipeline-health-scale-"))
    # Settings are read from the environment once, by the package: set them before it loads.
    os.environ.update({
        "PIPELINE_HEALTH_STATE_DIR": str(scratch),
        "PIPELINE_HEALTH_DUCKDB_PATH": str(scratch / "warehouse.duckdb"),
        "PIPELINE_HEALTH_WAREHOUSE": "duckdb",
        "PIPELINE_HEALTH_POPULATION": str(population),
        "PIPELINE_HEALTH_FIRST_COHORT": COHORTS[0],
        "PIPELINE_HEALTH_LAST_COHORT": COHORTS[1],
    })
    from pipeline_health.bootstrap import history_start
    from pipeline_health.config import Settings, SimulationConfig
    from pipeline_health.dbt_cli import NO_UNIT_TESTS, run_dbt
    from pipeline_health.ingest import days_between, ingest_days
    from pipeline_health.loaders import make_loader

    try:
        settings, config = Settings.from_env(), SimulationConfig.from_env()
        start = history_start(config)
        days = days_between(start, args.until)
        print(f"{population:,} apprentices (cohorts {COHORTS[0]} .. {COHORTS[1]}), "
              f"{len(days)} days {start} .. {args.until} (load {_load()})", flush=True)
        t0 = time.perf_counter()
        summary = ingest_days(make_loader(settings), config, days)
        raw = time.perf_counter() - t0
        events = sum(summary.event_rows.values())
        print(f"  raw: {events:,} events simulated and loaded in {raw:.0f} s "
              f"({events / raw:,.0f}/s; load {_load()})", flush=True)
        t1 = time.perf_counter()
        run_dbt(["build", "--selector", "daily", *NO_UNIT_TESTS], work_dir=settings.state_dir / "dbt",
                duckdb_path=settings.duckdb_path, run_dates=(start, args.until))
        dbt = time.perf_counter() - t1
        size = settings.duckdb_path.stat().st_size / 1024 ** 3
        peak = _peak_gib()
        print(f"  dbt build --selector daily over the range: {dbt:.0f} s (load {_load()})")
        print(f"  total {raw + dbt:.0f} s; warehouse {size:.2f} GiB; peak memory {peak:.1f} GiB")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    label = f"{population:,} apprentices x {len(days)} days"
    rows = [
        {"figure": f"{label}: initial load, raw ({events:,} events)", "value": f"{raw:.0f} s",
         "target": "", "met": None},
        {"figure": f"{label}: initial load, dbt build", "value": f"{dbt:.0f} s",
         "target": "", "met": None},
        {"figure": f"{label}: warehouse size", "value": f"{size:.2f} GiB", "target": "",
         "met": None},
        {"figure": f"{label}: peak memory (largest process)", "value": f"{peak:.1f} GiB",
         "target": "runs on this 24 GiB machine", "met": True},
    ]
    if args.json:
        print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
