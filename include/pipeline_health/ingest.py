"""Simulate and load days: what the daily DAG's first task and the CLI call."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline_health.config import SimulationConfig
from pipeline_health.loaders.base import RawLoader
from pipeline_health.simulator import generate_day, generate_reference

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    days: list[date] = field(default_factory=list)
    reference_rows: dict[str, int] = field(default_factory=dict)
    event_rows: Counter = field(default_factory=Counter)
    malformed: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "days": [d.isoformat() for d in self.days],
            "reference_rows": dict(self.reference_rows),
            "event_rows": dict(self.event_rows),
            "malformed_injected": dict(self.malformed),
        }


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def ingest_days(loader: RawLoader, config: SimulationConfig, days: list[date]) -> IngestSummary:
    """Replace the reference tables, then each day's raw partitions (idempotent)."""
    summary = IngestSummary()
    loader.ensure_tables()
    summary.reference_rows = loader.load_reference(generate_reference(config))
    per_day: dict[date, dict[str, int]] = {}

    def batches():
        for day in days:
            batch = generate_day(config, day)
            per_day[day] = batch.row_counts
            for kinds in batch.malformed.values():
                summary.malformed.update(kinds)
            yield day, batch.tables

    load_days = getattr(loader, "load_days", None)
    if load_days is not None:  # one connection for the whole range (DuckDB)
        summary.event_rows.update(load_days(batches()))
    else:
        for day, tables in batches():
            summary.event_rows.update(loader.load_day(day, tables))
    summary.days.extend(days)
    log.debug("loaded %s day(s): %s", len(days), per_day)
    return summary
