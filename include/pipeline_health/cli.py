"""Command line: `python -m pipeline_health.cli {load,demo,import-oulad,evaluate-oulad} ...`.

`load` simulates and loads a range of days into the configured warehouse.
`demo` is the README's first command: it runs the pipeline end to end on DuckDB.
`import-oulad` loads real learners (OULAD files) into a DuckDB warehouse and scores them
with the pipeline's dbt models; `evaluate-oulad` measures the risk score against their
real withdrawals (docs/oulad_mapping.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from pipeline_health.config import ConfigError, Settings, SimulationConfig
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders import LoadError, make_loader


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _sim_config(args: argparse.Namespace) -> SimulationConfig:
    config = SimulationConfig.from_env()
    overrides = {k: getattr(args, k) for k in ("seed", "population", "malformed_rate")
                 if getattr(args, k, None) is not None}
    return dataclasses.replace(config, **overrides)


def _add_sim_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, help="simulation seed (default: PIPELINE_HEALTH_SEED or 42)")
    p.add_argument("--population", type=int, help="apprentices across all cohorts")
    p.add_argument("--malformed-rate", type=float, help="share of rows to corrupt (0-0.5)")
    p.add_argument("--duckdb-path", help="DuckDB warehouse file (PIPELINE_HEALTH_DUCKDB_PATH)")


def cmd_load(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.duckdb_path:  # the option wins over PIPELINE_HEALTH_DUCKDB_PATH
        settings = dataclasses.replace(settings, duckdb_path=Path(args.duckdb_path))
    if args.days < 1:
        raise ValueError(f"--days must be at least 1, got {args.days}")
    end = args.end or date.today() - timedelta(days=1)
    start = args.start or end - timedelta(days=args.days - 1)
    days = days_between(start, end)
    summary = ingest_days(make_loader(settings), _sim_config(args), days)
    where = settings.duckdb_path if settings.warehouse == "duckdb" else settings.bq_project
    print(f"Loaded {len(days)} day(s) {start} .. {end} into {settings.warehouse} ({where})")
    print("Reference tables (replaced whole):")
    for name, n in sorted(summary.reference_rows.items()):
        print(f"  {name:<26} {n:>9,}")
    print("Event tables (rows over the loaded days):")
    for name, n in sorted(summary.event_rows.items()):
        print(f"  {name:<26} {n:>9,}")
    if summary.malformed:
        print("Malformed rows injected:", dict(sorted(summary.malformed.items())))
    return 0


def cmd_initial_load(args: argparse.Namespace) -> int:
    from pipeline_health.bootstrap import initial_load

    result = initial_load(Settings.from_env(), SimulationConfig.from_env(), args.until)
    print(f"Initial load: {result['days']} days ({result['first_day']} .. {result['last_day']}), "
          f"{result['event_rows']:,} raw events; daily models built; days marked complete")
    return 0


def cmd_import_oulad(args: argparse.Namespace) -> int:
    from pipeline_health.loaders.duckdb_loader import DuckDBLoader
    from pipeline_health.oulad import duckdb_event_days, import_oulad
    from pipeline_health.oulad.importer import duckdb_other_apprentices
    from pipeline_health.oulad.scoring import score_warehouse

    warehouse = Path(args.warehouse)
    others = duckdb_other_apprentices(warehouse)
    if others:  # an import replaces the whole warehouse's raw data: never over simulated data
        raise ValueError(f"{warehouse} holds {others:,} apprentices that are not OULAD learners; "
                         "import into a dedicated warehouse file")
    summary = import_oulad(args.data_dir, DuckDBLoader(warehouse), modules=args.module or (),
                           presentations=args.presentation or (),
                           existing_days=duckdb_event_days(warehouse))
    print(f"Imported OULAD {', '.join(summary.presentations)} from {args.data_dir} into {warehouse}")
    print(f"  students (student x presentation) {summary.students:>9,}")
    print(f"    in learning at least one day    {summary.students_started:>9,}")
    print(f"    with a dated withdrawal         {summary.dated_withdrawals:>9,}")
    print(f"  VLE click rows read               {summary.vle_rows:>9,}")
    print(f"  events {summary.first_day} .. {summary.last_day}: {summary.days_loaded} daily partitions "
          f"replaced ({summary.stale_days_cleared} of an earlier load emptied)")
    print("Raw rows loaded:")
    for name, n in {**summary.reference_rows, **summary.event_rows}.items():
        print(f"  {name:<26} {n:>9,}")
    for title, counts in (("Not loaded:", summary.skipped), ("Filled in (raw contract):", summary.adjusted)):
        if counts:
            print(title)
            for reason, n in counts.items():
                print(f"  {n:>6,}  {reason}")
    seconds = dict(summary.seconds)
    if not args.no_score:
        scoring = score_warehouse(warehouse, summary.first_day, summary.last_day)
        seconds.update(scoring.seconds)
        for step, result in scoring.dbt_results.items():
            print(f"{step}: {result}")
    print("Time: " + ", ".join(f"{step} {s:.1f} s" for step, s in seconds.items())
          + f" (total {sum(seconds.values()):.1f} s)")
    if not args.no_score:
        print(f"Scored: marts.fct_apprentice_risk_weekly. Next: evaluate-oulad --warehouse {warehouse} "
              f"--data-dir {args.data_dir}")
    return 0


def cmd_evaluate_oulad(args: argparse.Namespace) -> int:
    from pipeline_health.validity.oulad_evaluation import evaluate_oulad, format_report, to_json

    started = time.perf_counter()
    result = evaluate_oulad(args.warehouse, args.data_dir, n_boot=args.bootstrap)
    print(format_report(result))
    print(f"(evaluated in {time.perf_counter() - started:.1f} s)")
    if args.json_out:
        Path(args.json_out).write_text(to_json(result))
        print(f"JSON written to {args.json_out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline_health", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="simulate and load a range of days")
    load.add_argument("--start", type=_date, help="first day (default: --days before --end)")
    load.add_argument("--end", type=_date, help="last day (default: yesterday)")
    load.add_argument("--days", type=int, default=7, help="days to load when --start is absent")
    _add_sim_args(load)
    load.set_defaults(func=cmd_load)

    boot = sub.add_parser("initial-load", help="load simulated history from the first cohort "
                          "and build the daily models over it (a new warehouse's first step)")
    boot.add_argument("--until", type=_date, required=True, help="last day of the history")
    boot.set_defaults(func=cmd_initial_load)

    demo = sub.add_parser("demo", help="run the pipeline end to end on DuckDB")
    demo.add_argument("--live-weeks", type=int, default=1,
                      help="complete ISO weeks run day by day through the daily DAG")
    demo.add_argument("--history-weeks", type=int, default=2,
                      help="earlier weeks run through the weekly DAG from the initial load")
    demo.set_defaults(func=_demo)

    oulad = sub.add_parser("import-oulad", help="load OULAD files (real learners) into a DuckDB "
                           "warehouse and score them with the dbt models")
    oulad.add_argument("--data-dir", required=True, help="folder with the 7 OULAD CSV files")
    oulad.add_argument("--warehouse", required=True, help="DuckDB warehouse file (created if missing)")
    oulad.add_argument("--module", nargs="+", help="only these modules, e.g. AAA (default: all)")
    oulad.add_argument("--presentation", nargs="+", help="only these presentations, e.g. 2013J 2014B")
    oulad.add_argument("--no-score", action="store_true", help="load the raw tables only, no dbt")
    oulad.set_defaults(func=cmd_import_oulad)

    evaluate = sub.add_parser("evaluate-oulad", help="measure the risk score of an imported OULAD "
                              "warehouse against the learners' real withdrawals")
    evaluate.add_argument("--warehouse", required=True, help="DuckDB warehouse scored by import-oulad")
    evaluate.add_argument("--data-dir", required=True, help="the OULAD folder that was imported")
    evaluate.add_argument("--json-out", help="also write the figures as JSON to this file")
    evaluate.add_argument("--bootstrap", type=int, default=1000, help="resamples of the AUC interval")
    evaluate.set_defaults(func=cmd_evaluate_oulad)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (ConfigError, LoadError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _demo(args: argparse.Namespace) -> int:
    from pipeline_health.local.demo import run_demo

    return run_demo(live_weeks=args.live_weeks, history_weeks=args.history_weeks)


if __name__ == "__main__":
    sys.exit(main())
