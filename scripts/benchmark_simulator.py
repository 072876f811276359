"""Simulator throughput: events per second at about 10,000 and 100,000 apprentices in learning.

Prints figures; asserts nothing (target: >= 1,000,000 events per second).
Population size -> in learning: `population` counts apprentices across every cohort
(2025-01 to 2027-12 by default); about 36 % of them are in learning on the benchmark day
(2026-11-02), so 28,000 gives ~10,000 and 280,000 ~100,000. The exact count is printed.

* build: `build_population` once (Faker names, latent stories); cached per process.
* events per second: one run generates the seven days of a week with `generate_day`;
  events are the rows of every activity table; a run's rate is its rows over its
  generate_day wall time. Each run takes the next week (as a backfill would), so no day
  is generated twice; the figure is the median of the runs.

Run: .venv/bin/python scripts/benchmark_simulator.py [--runs N] [--quick] [--json]
With --json the last stdout line is {"rows": [{"figure", "value", "target", "met"}]}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date, timedelta

from pipeline_health.config import SimulationConfig
from pipeline_health.simulator import build_population, generate_day

TARGET = 1_000_000
# (label, population) giving about that many apprentices in learning on the day.
SIZES = (("10,000", 28_000), ("100,000", 280_000))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(label: str, population: int, first_day: date, runs: int) -> list[dict[str, object]]:
    config = SimulationConfig(population=population)
    t0 = time.perf_counter()
    pop = build_population(config)
    built = time.perf_counter() - t0
    d = first_day.toordinal()
    in_learning = int(((pop.start <= d) & (d <= pop.end)).sum())
    print(f"~{label} in learning: population {population:,} -> {in_learning:,} in learning on "
          f"{first_day}; built in {built:.1f} s (load {_load()})")
    rates, per_day = [], []
    for run in range(runs):
        rows, seconds = 0, 0.0
        for n in range(7):
            day = first_day + timedelta(days=7 * run + n)
            t = time.perf_counter()
            batch = generate_day(config, day)
            seconds += time.perf_counter() - t
            rows += sum(batch.row_counts.values())
        rates.append(rows / seconds)
        per_day.append(seconds / 7)
        print(f"  week {run + 1}: {rows:,} events in {seconds:.2f} s = {rows / seconds:,.0f}/s")
    rate = statistics.median(rates)
    print(f"  events per second: median {rate:,.0f} of {runs} weeks (target >= {TARGET:,}); "
          f"mean day {statistics.median(per_day) * 1000:.0f} ms (load {_load()})")
    build_population.cache_clear()  # free the population before the next size
    return [
        {"figure": f"simulator events/s, ~{label} in learning ({in_learning:,}; "
                   f"population {population:,})",
         "value": f"{rate:,.0f} events/s", "target": f">= {TARGET:,} events/s",
         "met": rate >= TARGET},
        {"figure": f"simulator population build, population {population:,}",
         "value": f"{built:.1f} s", "target": "", "met": None},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="weeks per size (at least 3)")
    parser.add_argument("--quick", action="store_true",
                        help="only ~10,000 in learning (skips the 100,000 build, ~40 s)")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 2),
                        help="first day (a Monday)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    args = parser.parse_args()
    runs = max(args.runs, 3)
    sizes = SIZES[:1] if args.quick else SIZES
    rows: list[dict[str, object]] = []
    for label, population in sizes:
        rows += measure(label, population, args.day, runs)
    if args.json:
        print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
