"""The run's days reach dbt as environment variables, and partial parsing keeps them right.

The DAGs' Cosmos tasks give dbt the run's days through PIPELINE_HEALTH_RUN_START_DATE /
PIPELINE_HEALTH_RUN_END_DATE (cosmos_setup.run_dates_env): a changed dbt var would make
every run's first dbt task parse the whole project again. What must hold when the days
change between runs: dbt re-parses only what reads them, and BigQuery's static partitions
(fixed at parse time) are the new run's days, never the previous run's. Offline: `dbt parse`
for the BigQuery target needs no credentials.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline_health.config import PROJECT_ROOT

FULL_PARSE = "Unable to do partial parsing"


def literals(*days: str) -> list[str]:
    return [f"cast('{d}' as date)" for d in days]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run-dates")
    shutil.copytree(PROJECT_ROOT / "dbt", root / "dbt",
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (root / "home").mkdir()
    return root


def run_parse(project: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GOOGLE_", "CLOUDSDK_", "PIPELINE_HEALTH_", "DBT_"))}
    clean.update(HOME=str(project / "home"), PIPELINE_HEALTH_BQ_PROJECT="offline-test", **env)
    dbt = str(Path(sys.executable).with_name("dbt"))
    # --no-static-parser: as Cosmos runs dbt in the DAGs' tasks.
    return subprocess.run([dbt, "parse", "--project-dir", "dbt", "--profiles-dir", "dbt",
                           "--target", "bigquery", "--no-static-parser", *extra],
                          cwd=project, env=clean, capture_output=True, text=True, timeout=600)


def parse(project: Path, env: dict[str, str], *extra: str) -> tuple[str, dict]:
    done = run_parse(project, env, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((project / "dbt" / "target" / "manifest.json").read_text())
    partitions = {n["name"]: n["config"].get("partitions") for n in manifest["nodes"].values()
                  if n["resource_type"] == "model"}
    return done.stdout, partitions


def week(monday: str, sunday: str) -> dict[str, str]:
    return {"PIPELINE_HEALTH_RUN_START_DATE": monday, "PIPELINE_HEALTH_RUN_END_DATE": sunday}


def test_next_runs_days_are_reparsed_without_a_full_parse(project: Path) -> None:
    _, first = parse(project, week("2026-11-16", "2026-11-22"))
    assert first["fct_apprentice_risk_weekly"] == literals("2026-11-16")

    out, second = parse(project, week("2026-11-23", "2026-11-29"))
    assert FULL_PARSE not in out, out
    # The weekly marts' partition is the new week's, not the one parsed before.
    assert second["fct_apprentice_risk_weekly"] == literals("2026-11-23")
    assert second["fct_programme_weekly_trends"] == literals("2026-11-23")
    # The daily fact rewrites [start - lookback_days (3), end].
    assert second["fct_apprentice_daily"] == literals(
        "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25",
        "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29")


def test_a_var_wins_over_the_environment(project: Path) -> None:
    """Hand runs and dbt unit tests give the days as vars; they are never overridden."""
    _, partitions = parse(project, week("2026-11-23", "2026-11-29"), "--vars",
                          json.dumps({"run_start_date": "2026-11-02", "run_end_date": "2026-11-08"}))
    assert partitions["fct_apprentice_risk_weekly"] == literals("2026-11-02")


def test_a_malformed_date_in_the_environment_is_named(project: Path) -> None:
    done = run_parse(project, week("2026-11-23", "29/11/2026"))
    assert done.returncode != 0
    assert "run_end_date=29/11/2026 is not a date in the form YYYY-MM-DD" in done.stdout


def test_on_duckdb_new_days_reparse_nothing(project: Path) -> None:
    """DuckDB needs the days only when a model runs: a daily run's first dbt command re-parsed
    20 files (~3 s) for them, every run."""
    log = project / "dbt" / "logs" / "dbt.log"
    for monday, sunday in (("2026-11-16", "2026-11-22"), ("2026-11-23", "2026-11-29")):
        log.unlink(missing_ok=True)
        done = run_parse(project, {**week(monday, sunday), "PIPELINE_HEALTH_DUCKDB_PATH": "/parse/w.duckdb"},
                         "--target", "duckdb")
        assert done.returncode == 0, done.stdout + done.stderr
    text = log.read_text()
    assert "Nothing changed, skipping partial parsing" in text, text[-3000:]
    assert "Partial parsing: updated file" not in text


def test_a_work_folder_takes_the_set_ups_newer_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A work folder (the freshness check's, the initial load's) starts from the set-up's saved
    parse, and takes it again when the set-up parsed after it (a deploy): an older one costs
    a full parse. Its own newer parse is kept."""
    from pipeline_health import dbt_cli

    setup = tmp_path / "dbt"
    (setup / "target").mkdir(parents=True)
    monkeypatch.setattr(dbt_cli, "DBT_PROJECT_DIR", setup)
    saved = setup / "target" / "partial_parse.msgpack"
    seeded = tmp_path / "work" / "target" / "partial_parse.msgpack"
    saved.write_bytes(b"deploy 1")
    dbt_cli.seed_partial_parse(tmp_path / "work")
    assert seeded.read_bytes() == b"deploy 1"
    seeded.write_bytes(b"the folder's own parse")  # newer: dbt saved it after a run
    dbt_cli.seed_partial_parse(tmp_path / "work")
    assert seeded.read_bytes() == b"the folder's own parse"
    saved.write_bytes(b"deploy 2")
    os.utime(saved, (seeded.stat().st_mtime + 60,) * 2)
    dbt_cli.seed_partial_parse(tmp_path / "work")
    assert seeded.read_bytes() == b"deploy 2"
