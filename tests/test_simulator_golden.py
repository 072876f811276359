"""The simulator's exact output, pinned: a refactor (or a speed-up) must not change a row.

Backfills and re-runs rely on a day's rows being a pure function of (seed, day); a change
here means every warehouse built before it disagrees with a fresh regeneration. The digests
were taken from the simulator before its rows were built with lookup tables (issue 11); if
a change to the statistics is intended, regenerate them and say so in the commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date

import pytest

from pipeline_health.config import SimulationConfig
from pipeline_health.simulator import generate_day, generate_reference

BASE = SimulationConfig(seed=7, population=2000, first_cohort="2025-06", last_cohort="2026-12")
CONFIGS = {
    "plain": BASE,
    "malformed": dataclasses.replace(BASE, malformed_rate=0.05),
    "equity": dataclasses.replace(BASE, equity_effect=True),
}
# (config, day) -> (sha256 prefix of the day's tables as JSON, in generated order; row count).
# A Monday (reviews due at the weekend move to it, new starts), a Tuesday, a Saturday.
GOLDEN = {
    ("plain", date(2026, 3, 9)): ("51dd5bd490cd450c034e", 1072),
    ("plain", date(2026, 3, 10)): ("c7567b67bbc0f984668c", 907),
    ("plain", date(2026, 3, 14)): ("3733467edb93e94b1707", 4),
    ("plain", date(2026, 6, 1)): ("c471f3be3910119377c8", 1435),
    ("malformed", date(2026, 3, 9)): ("a671f8a6beee44e6e8cd", 1086),
    ("malformed", date(2026, 3, 10)): ("22fbbe556a29f49d42ff", 925),
    ("equity", date(2026, 3, 9)): ("7d5c82a559817e9e26ee", 1071),
    ("equity", date(2026, 3, 10)): ("803dec0aa7528be1109b", 905),
}
REFERENCE_DIGEST = "a0dea9967f2cd49437ad"


def _digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, default=str).encode()).hexdigest()[:20]


@pytest.mark.parametrize(("config", "day"), sorted(GOLDEN), ids=lambda v: str(v))
def test_day_rows_match_the_pinned_digest(config: str, day: date) -> None:
    batch = generate_day(CONFIGS[config], day)
    assert (_digest(batch.tables), sum(batch.row_counts.values())) == GOLDEN[(config, day)]


def test_reference_tables_match_the_pinned_digest() -> None:
    assert _digest(generate_reference(BASE)) == REFERENCE_DIGEST
