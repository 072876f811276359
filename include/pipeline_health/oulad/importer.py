"""Load a folder of OULAD files into the raw tables through a RawLoader (idempotent)."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline_health.loaders.base import RawLoader
from pipeline_health.oulad.mapping import map_oulad
from pipeline_health.oulad.reader import read_oulad
from pipeline_health.oulad.timeline import timeline
from pipeline_health.schemas import EVENT_TABLES, RAW_SCHEMA
from pipeline_health.warehouse import open_duckdb


@dataclass
class ImportSummary:
    presentations: list[str]
    students: int
    students_started: int  # in learning on at least one day
    dated_withdrawals: int
    vle_rows: int
    first_day: date
    last_day: date
    days_loaded: int = 0  # event partitions replaced
    stale_days_cleared: int = 0  # of which: partitions of an earlier load, now empty
    reference_rows: dict[str, int] = field(default_factory=dict)
    event_rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    adjusted: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["first_day"], out["last_day"] = self.first_day.isoformat(), self.last_day.isoformat()
        return out


def import_oulad(data_dir: Path | str, loader: RawLoader, *, modules: Collection[str] = (),
                 presentations: Collection[str] = (), existing_days: Iterable[date] = ()) -> ImportSummary:
    """Read and check every file, then replace the reference tables and each day's partitions.

    The days loaded are those with an event plus `existing_days`, the event partitions the
    warehouse already holds (an earlier load's days without a new event are emptied), so
    importing the same files twice, or other files over an earlier import, leaves exactly
    the new rows. Empty days are skipped otherwise: each day is a transaction of the loader.
    """
    started = time.perf_counter()
    data = read_oulad(data_dir, modules, presentations)
    read_done = time.perf_counter()
    mapped = map_oulad(data)
    first_day, last_day = min(mapped.events), max(mapped.events)
    stale = set(existing_days) - set(mapped.events)
    empty = {t.name: [] for t in EVENT_TABLES}
    timelines = [timeline(s, data.presentations[k[:2]]) for k, s in data.students.items()]
    summary = ImportSummary(
        presentations=[f"{m} {p}" for m, p in sorted(data.presentations)],
        students=len(data.students),
        students_started=sum(t.started for t in timelines),
        dated_withdrawals=sum(t.withdrawal_day is not None for t in timelines),
        vle_rows=data.vle_rows, first_day=first_day, last_day=last_day,
        days_loaded=len(mapped.events) + len(stale), stale_days_cleared=len(stale),
        skipped=dict(mapped.skipped), adjusted=dict(mapped.adjusted))
    map_done = time.perf_counter()

    loader.ensure_tables()
    summary.reference_rows = loader.load_reference(mapped.reference)
    batches = [(day, mapped.events.get(day, empty)) for day in sorted(stale | set(mapped.events))]
    load_days = getattr(loader, "load_days", None)
    if load_days is not None:  # one connection for the whole range (DuckDB)
        totals = load_days(batches)
    else:
        totals: dict[str, int] = {}
        for day, tables in batches:
            for name, n in loader.load_day(day, tables).items():
                totals[name] = totals.get(name, 0) + n
    summary.event_rows = dict(sorted(totals.items()))
    summary.seconds = {"read": round(read_done - started, 2), "map": round(map_done - read_done, 2),
                       "load": round(time.perf_counter() - map_done, 2)}
    return summary


def duckdb_other_apprentices(path: Path | str) -> int:
    """Apprentices in a DuckDB warehouse that an OULAD import did not write (e.g. simulated ones)."""
    path = Path(path)
    if not path.is_file():
        return 0
    with open_duckdb(path, read_only=True) as con:
        found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                            "AND table_name = 'raw_apprentices'", [RAW_SCHEMA]).fetchone()[0]
        if not found:
            return 0
        return con.execute(f"SELECT count(*) FROM {RAW_SCHEMA}.raw_apprentices "
                           "WHERE apprentice_id NOT LIKE 'OU-%'").fetchone()[0]


def duckdb_event_days(path: Path | str) -> set[date]:
    """Load days present in a DuckDB warehouse's raw event tables (empty if none yet)."""
    path = Path(path)
    if not path.is_file():
        return set()
    with open_duckdb(path, read_only=True) as con:
        existing = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            [RAW_SCHEMA]).fetchall()}
        names = [t.name for t in EVENT_TABLES if t.name in existing]
        if not names:
            return set()
        union = " UNION ".join(f"SELECT DISTINCT load_date FROM {RAW_SCHEMA}.{n}" for n in names)
        return {r[0] for r in con.execute(union).fetchall()}
