"""Shared fixtures: small simulation configs and throwaway DuckDB warehouses."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from pipeline_health.config import SimulationConfig
from pipeline_health.schemas import ALL_TABLES, LOADED_AT, schema_for


@pytest.fixture
def small_config() -> SimulationConfig:
    return SimulationConfig(seed=7, population=600, first_cohort="2025-06", last_cohort="2026-12")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def table_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and a content checksum per raw/truth table, ignoring load timestamps."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table in ALL_TABLES:
            cols = [c for c in table.column_names if c != LOADED_AT]
            rows = con.execute(
                f"SELECT {', '.join(cols)} FROM {schema_for(table)}.{table.name} "
                f"ORDER BY ALL").fetchall()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            out[table.name] = (len(rows), digest)
    return out
