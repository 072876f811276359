"""The README's first command: run the pipeline end to end on the local DuckDB warehouse."""

from __future__ import annotations

from pipeline_health import cli


def run_demo(days: int) -> int:
    return cli.main(["load", "--days", str(days)])
