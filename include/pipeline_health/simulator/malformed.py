"""Deliberately broken rows, for testing that the pipeline keeps bad input aside.

With rate r, each clean row is corrupted with probability r (a duplicate adds a
copy instead of changing the row). The kinds mirror what real feeds send: null
keys, values out of range, duplicate event ids, events dated outside the load
day, unknown apprentices and values that do not parse. Rate 0 (the default)
leaves the day untouched.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np

from pipeline_health.schemas import EVENT_TABLES

STREAM_MALFORMED = 12

KINDS = ("null_key", "out_of_range", "duplicate_event_id", "outside_day",
         "unknown_apprentice", "unparseable")

# Per event table, from the raw contract (schemas.py): the id and apprentice key columns and
# the timestamp column that dates the event.
_KEYS = {t.name: (t.event_id_column, t.apprentice_column) for t in EVENT_TABLES}
_TIMESTAMP = {t.name: t.occurred_column for t in EVENT_TABLES}
# Per table: a numeric column with values out of its valid range, and a column with values
# that do not parse as its type or vocabulary (tests/test_raw_contract.py checks that each is
# a contract column with a validation rule that rejects them).
_OUT_OF_RANGE = {
    "raw_session_attendance": ("minutes_attended", ("-15", "9999")),
    "raw_quiz_attempts": ("score", ("-5", "104", "250")),
    "raw_otj_hours": ("hours", ("-2.00", "30.00", "96.5")),
    "raw_progress_reviews": ("review_number", ("0", "-1")),
}
_UNPARSEABLE = {
    "raw_session_attendance": ("minutes_attended", ("n/a", "ninety")),
    "raw_quiz_attempts": ("score", ("abc", "n/a", "")),
    "raw_otj_hours": ("hours", ("two", "n/a")),
    "raw_progress_reviews": ("employer_attended", ("maybe", "")),
    "raw_coach_feedback": ("feedback_type", ("unknown", "")),
    "raw_status_changes": ("to_status", ("Paused", "")),
}


def corrupted_columns(table_name: str) -> dict[str, set[str]]:
    """Per kind, the columns `inject` may change in a row of `table_name` (a duplicate may
    also move its timestamp within the day)."""
    event_id, apprentice_id = _KEYS[table_name]
    timestamp = _TIMESTAMP[table_name]
    out = {
        "null_key": {event_id, apprentice_id},
        "duplicate_event_id": {timestamp},
        "outside_day": {timestamp},
        "unknown_apprentice": {apprentice_id},
    }
    if table_name in _OUT_OF_RANGE:
        out["out_of_range"] = {_OUT_OF_RANGE[table_name][0]}
    if table_name in _UNPARSEABLE:
        out["unparseable"] = {timestamp, _UNPARSEABLE[table_name][0]}
    return out


def inject(tables: dict[str, list[dict]], day: date, seed: int, rate: float
           ) -> tuple[dict[str, list[dict]], dict[str, Counter]]:
    """Return corrupted copies of the day's tables and the count of each kind per table."""
    counts: dict[str, Counter] = {name: Counter() for name in tables}
    if rate <= 0:
        return tables, counts
    rng = np.random.default_rng([seed, STREAM_MALFORMED, day.toordinal()])
    out: dict[str, list[dict]] = {}
    for name in sorted(tables):
        rows = tables[name]
        kinds = [k for k in KINDS
                 if (k != "out_of_range" or name in _OUT_OF_RANGE)
                 and (k != "unparseable" or name in _UNPARSEABLE)]
        hit = rng.random(len(rows)) < rate
        choice = rng.integers(0, len(kinds), size=len(rows))
        pick = rng.integers(0, 1_000_000, size=len(rows))
        new_rows: list[dict] = []
        for k, row in enumerate(rows):
            if not hit[k]:
                new_rows.append(row)
                continue
            kind = kinds[choice[k]]
            counts[name][kind] += 1
            bad = dict(row)
            p = int(pick[k])
            event_id, apprentice_id = _KEYS[name]
            if kind == "null_key":
                bad[apprentice_id if p % 2 else event_id] = None
            elif kind == "out_of_range":
                col, values = _OUT_OF_RANGE[name]
                bad[col] = values[p % len(values)]
            elif kind == "duplicate_event_id":
                new_rows.append(row)  # the original stays; a second row reuses its id
                if p % 2:
                    bad[_TIMESTAMP[name]] = bad[_TIMESTAMP[name]][:11] + "23:59:59Z"
            elif kind == "outside_day":
                shift = -(8 + p % 400) if p % 3 else 1 + p % 30
                moved = day + timedelta(days=shift)
                bad[_TIMESTAMP[name]] = moved.isoformat() + bad[_TIMESTAMP[name]][10:]
            elif kind == "unknown_apprentice":
                bad[apprentice_id] = f"APP-X{p:06d}"
            else:  # unparseable
                if p % 3 == 0:
                    bad[_TIMESTAMP[name]] = "not-a-timestamp"
                else:
                    col, values = _UNPARSEABLE[name]
                    bad[col] = values[p % len(values)]
            new_rows.append(bad)
        out[name] = new_rows
    return out, counts
