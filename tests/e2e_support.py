"""Helpers for end-to-end tests: an isolated Airflow + DuckDB state, DAG runs, fingerprints."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb

from pipeline_health import local_airflow

VOLATILE_COLUMNS = {"loaded_at", "completed_at", "run_id", "sent_at", "message_id"}


def make_env(state: Path, **settings: str) -> dict[str, str]:
    env = local_airflow.airflow_env(state)
    env["PIPELINE_HEALTH_DUCKDB_PATH"] = str(state / "warehouse.duckdb")
    env.update(settings)
    local_airflow.prepare(state, env)
    return env


def run(args: list[str], env: dict[str, str], log: Path) -> subprocess.CompletedProcess:
    with open(log, "a") as fh:
        return subprocess.run([sys.executable, *args], env=env, stdout=fh,
                              stderr=subprocess.STDOUT)


def run_dag(kind: str, first: str, last: str, env: dict[str, str], state: Path) -> list[dict]:
    out = state / f"runs-{kind}-{first}-{last}.json"
    result = run(["-m", "pipeline_health.dag_runner", kind, first, last, "--json-out", str(out)],
                 env, state / "airflow-runs.log")
    runs = json.loads(out.read_text()) if out.exists() else []
    assert result.returncode == 0, f"{kind} DAG failed: {runs}; see {state / 'airflow-runs.log'}"
    return runs


def fingerprints(path: Path, schemas=("raw", "staging", "marts", "snapshots", "ops")
                 ) -> dict[str, tuple[int, str]]:
    """Row count and content hash of every table, ignoring load/run timestamps and ids."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
            f"IN ({', '.join('?' for _ in schemas)}) ORDER BY 1, 2", list(schemas)).fetchall()
        for schema, table in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
                "table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
                if c not in VOLATILE_COLUMNS]
            rows = con.execute(f'SELECT {", ".join(cols)} FROM "{schema}"."{table}" '
                               "ORDER BY ALL").fetchall()
            out[f"{schema}.{table}"] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out
