"""Does the equity lens find a gap the simulator put there, and only then?

Builds two short histories that differ only in the simulator's equity effect (coach
feedback for one ethnicity group at half the usual rate): the same seed, population and
days. Each is loaded, modelled (daily selector, then the risk mart and the equity mart for
every week) and the equity mart read for the affected group across all programmes, in the
last week where it is shown (not suppressed). Activity streams are independent, so the
only difference between the two warehouses is that group's coach contacts.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipeline_health import dbt_cli
from pipeline_health.config import SimulationConfig
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders.duckdb_loader import DuckDBLoader
from pipeline_health.warehouse import open_duckdb

log = logging.getLogger(__name__)

MART = "marts.fct_equity_gaps_weekly"
FIGURES = ("gap_mean_days_since_feedback", "gap_red_share")


@dataclass(frozen=True)
class EquityGap:
    effect_on: bool
    group: str
    week_start_date: date | None  # None: the group is suppressed in every week
    group_in_learning: int | None  # rounded to 5, as the mart shows it
    gap_mean_days_since_feedback: float | None
    gap_mean_days_since_feedback_ci: tuple[float, float] | None
    gap_red_share: float | None
    gap_red_share_ci: tuple[float, float] | None
    seconds: float


def build_and_read(root: Path, config: SimulationConfig, weeks: int) -> EquityGap:
    """Simulate `weeks` weeks from the first cohort's start, model them, read the gap."""
    root.mkdir(parents=True, exist_ok=True)
    warehouse = root / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    first = date.fromisoformat(f"{config.first_cohort}-01")
    last = first + timedelta(days=7 * weeks)
    last += timedelta(days=(6 - last.weekday()) % 7)  # a Sunday: the last week is complete
    started = time.perf_counter()
    ingest_days(DuckDBLoader(warehouse), config, days_between(first, last))
    common = {
        "work_dir": root,
        "duckdb_path": warehouse,
        "run_dates": (first, last),
        "target": "duckdb",
        "timeout": 3600,
    }
    dbt_cli.run_dbt(["run", "--selector", "daily"], **common)
    dbt_cli.run_dbt(
        ["run", "--select", "fct_apprentice_risk_weekly", "fct_equity_gaps_weekly", "--full-refresh"],
        **common,
    )
    gap = read_gap(warehouse, config.equity_effect_group)
    return dataclasses.replace(gap, effect_on=config.equity_effect, seconds=time.perf_counter() - started)


def read_gap(warehouse: Path, group: str) -> EquityGap:
    """The affected group's gaps (all programmes) in the last week the mart shows them."""
    with open_duckdb(warehouse, read_only=True) as con:
        row = con.execute(
            f"""SELECT week_start_date, group_in_learning_count,
                       gap_mean_days_since_feedback, gap_mean_days_since_feedback_ci_low,
                       gap_mean_days_since_feedback_ci_high,
                       gap_red_share, gap_red_share_ci_low, gap_red_share_ci_high
                FROM {MART}
                WHERE programme_id = 'ALL' AND dimension = 'ethnicity_group' AND group_value = ?
                  AND NOT is_suppressed
                ORDER BY week_start_date DESC LIMIT 1""",
            [group],
        ).fetchone()
    if row is None:
        return EquityGap(False, group, None, None, None, None, None, None, 0.0)
    week, n, fb, fb_low, fb_high, red, red_low, red_high = row
    return EquityGap(False, group, week, n, fb, (fb_low, fb_high), red, (red_low, red_high), 0.0)


def compare(root: Path, config: SimulationConfig, weeks: int) -> tuple[EquityGap, EquityGap]:
    """(effect off, effect on) for otherwise identical histories."""
    off = build_and_read(root / "equity_off", dataclasses.replace(config, equity_effect=False), weeks)
    log.info("equity effect off: built and read in %.0f s", off.seconds)
    on = build_and_read(root / "equity_on", dataclasses.replace(config, equity_effect=True), weeks)
    log.info("equity effect on: built and read in %.0f s", on.seconds)
    return off, on
