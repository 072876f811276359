"""Deterministic apprenticeship simulator: reference data, daily activity, simulated truth."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from pipeline_health.config import SimulationConfig
from pipeline_health.simulator.activity import simulate_day
from pipeline_health.simulator.malformed import inject
from pipeline_health.simulator.population import Population, build_population

__all__ = ["DayBatch", "Population", "build_population", "generate_day", "generate_reference"]


@dataclass(frozen=True)
class DayBatch:
    day: date
    tables: dict[str, list[dict]]
    malformed: dict[str, Counter]

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


def generate_reference(config: SimulationConfig) -> dict[str, list[dict]]:
    """Reference tables and the truth table (`apprentice_outcomes`) for a configuration."""
    return build_population(config).tables()


def generate_day(config: SimulationConfig, day: date) -> DayBatch:
    """All event rows for `day`: a pure function of (config, day)."""
    clean = simulate_day(build_population(config), day)
    tables, malformed = inject(clean, day, config.seed, config.malformed_rate)
    return DayBatch(day=day, tables=tables, malformed=malformed)
