"""Simulator speed: one day for a population with about 10,000 apprentices in learning.

Prints figures; it asserts nothing (targets are read, not enforced, here):
targets: one day for 10,000 apprentices in under 1 second; later, >= 1,000,000 events per second.
Run: make bench   (or .venv/bin/python scripts/benchmark_simulator.py [--repeat N])
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta

from pipeline_health.config import SimulationConfig
from pipeline_health.simulator import build_population, generate_day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population", type=int, default=38_000,
                        help="apprentices across all cohorts (38,000 gives ~10,000 in learning)")
    parser.add_argument("--repeat", type=int, default=10, help="days to time")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 2))
    args = parser.parse_args()

    config = SimulationConfig(population=args.population)
    t0 = time.perf_counter()
    pop = build_population(config)
    built = time.perf_counter() - t0
    d = args.day.toordinal()
    in_learning = int(((pop.start <= d) & (d <= pop.end)).sum())
    print(f"population {args.population:,}: built in {built:.2f} s (once per process, cached); "
          f"{in_learning:,} apprentices in learning on {args.day}")

    timings, rows = [], []
    for n in range(args.repeat):  # weekdays and weekends alike
        day = args.day + timedelta(days=n)
        t0 = time.perf_counter()
        batch = generate_day(config, day)
        timings.append(time.perf_counter() - t0)
        rows.append(sum(batch.row_counts.values()))
    weekdays = [t for n, t in enumerate(timings) if (args.day + timedelta(days=n)).weekday() < 5]
    print(f"one day: median {statistics.median(timings) * 1000:.1f} ms, "
          f"slowest {max(timings) * 1000:.1f} ms, weekday median "
          f"{statistics.median(weekdays) * 1000:.1f} ms (target < 1000 ms)")
    print(f"events per day: median {int(statistics.median(rows)):,}; "
          f"events per second: {sum(rows) / sum(timings):,.0f} (target >= 1,000,000)")


if __name__ == "__main__":
    main()
