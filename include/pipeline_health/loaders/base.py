"""The one interface both warehouses implement.

Rows are plain dicts keyed by column name, holding the payload columns of
`pipeline_health.schemas` (the loader adds `load_date` and `loaded_at`).
Event rows hold strings or None; reference rows hold typed Python values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

Rows = Sequence[Mapping[str, Any]]


class LoadError(RuntimeError):
    """A load could not be done; nothing was changed for the affected table(s)."""


class RawLoader(Protocol):
    def ensure_tables(self) -> None:
        """Create schemas/datasets and raw tables if they are missing."""

    def load_reference(self, tables: Mapping[str, Rows]) -> dict[str, int]:
        """Replace each named reference or truth table whole. Returns rows written per table."""

    def load_day(self, day: date, tables: Mapping[str, Rows]) -> dict[str, int]:
        """Replace exactly `day`'s partition of each named event table. Returns rows per table."""
