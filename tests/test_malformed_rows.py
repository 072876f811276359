"""Malformed-row injection: off by default, at the configured rate, every kind detectable."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from datetime import date, timedelta

from pipeline_health.simulator import generate_day, generate_reference
from pipeline_health.simulator.malformed import KINDS

DAY = date(2026, 3, 11)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
NUMERIC_RANGES = {"score": (0, 100), "hours": (0, 24), "minutes_attended": (0, 600),
                  "review_number": (1, 100)}
ENUMS = {"feedback_type": {"feedback", "check_in"}, "employer_attended": {"true", "false"},
         "to_status": {"Active", "Delayed", "At Risk", "Completed", "Promoted",
                       "Withdrawn"}}


def detect(row: dict, day: date, known: set[str], seen: set[str]) -> str | None:
    """An independent check of what staging will have to reject."""
    if row["event_id"] is None or row["apprentice_id"] is None:
        return "null_key"
    if row["event_id"] in seen:
        return "duplicate_event_id"
    seen.add(row["event_id"])
    if row["apprentice_id"] not in known:
        return "unknown_apprentice"
    ts = next(v for k, v in row.items() if k.endswith("_at"))
    if not TIMESTAMP.match(ts):
        return "unparseable"
    if not ts.startswith(day.isoformat()):
        return "outside_day"
    for col, allowed in ENUMS.items():
        if col in row and row[col] not in allowed:
            return "unparseable"
    for col, (lo, hi) in NUMERIC_RANGES.items():
        if col in row:
            try:
                value = float(row[col])
            except ValueError:
                return "unparseable"
            if not lo <= value <= hi:
                return "out_of_range"
    return None


def test_no_malformed_rows_by_default(small_config):
    known = {a["apprentice_id"] for a in generate_reference(small_config)["raw_apprentices"]}
    for n in range(7):
        day = DAY + timedelta(days=n)
        batch = generate_day(small_config, day)
        assert sum(sum(c.values()) for c in batch.malformed.values()) == 0
        seen: set[str] = set()
        for rows in batch.tables.values():
            assert all(detect(r, day, known, seen) is None for r in rows)


def test_injected_rows_match_the_rate_and_are_all_detectable(small_config):
    config = dataclasses.replace(small_config, malformed_rate=0.05)
    known = {a["apprentice_id"] for a in generate_reference(config)["raw_apprentices"]}
    detected: Counter = Counter()
    injected: Counter = Counter()
    clean_rows = 0
    for n in range(10):
        day = DAY + timedelta(days=n)
        clean = generate_day(small_config, day)
        batch = generate_day(config, day)
        clean_rows += sum(clean.row_counts.values())
        for counts in batch.malformed.values():
            injected.update(counts)
        for rows in batch.tables.values():
            seen: set[str] = set()
            for row in rows:
                kind = detect(row, day, known, seen)
                if kind:
                    detected[kind] += 1
    total = sum(injected.values())
    assert 0.04 <= total / clean_rows <= 0.06
    assert set(injected) == set(KINDS)
    # Every injected row is caught by the independent check (nulls may hide other faults).
    assert sum(detected.values()) == total
    assert detected["duplicate_event_id"] == injected["duplicate_event_id"]


def test_malformed_rows_are_deterministic(small_config):
    config = dataclasses.replace(small_config, malformed_rate=0.1)
    assert generate_day(config, DAY).tables == generate_day(config, DAY).tables
