"""Offline proof of the LookML project (looker/): it parses, reads real mart columns, and keeps
the row-level security and privacy rules. Looker itself cannot run here; see lookml_checks.py."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import lookml_checks as checks
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
LOOKER = REPO / "looker"
DBT_DIR = REPO / "dbt"
MANIFEST = DBT_DIR / "target" / "manifest.json"
EXPOSURES = REPO / "dbt" / "models" / "marts" / "_exposures.yml"
DASHBOARD_MARTS = {
    "coach_caseload": {"fct_coach_caseload_weekly"},
    "programme_manager": {"fct_programme_weekly_trends"},
    "equity_lens": {"fct_equity_gaps_weekly", "fct_programme_weekly_trends"},
}

# The module reads the session's built warehouse (warehouse_path): on the worker that builds it.
pytestmark = pytest.mark.uses_heavy_setup("built")


def _report(problems: list[str]) -> str:
    return "\n".join(["", *problems])


@pytest.fixture(scope="module")
def project() -> checks.Project:
    return checks.load_project(LOOKER)


@pytest.fixture(scope="module")
def warehouse_path(request, tmp_path_factory) -> Path:
    """The session's real DuckDB build (fixture `built_warehouse` of conftest.py), opened
    read-only. PIPELINE_HEALTH_LOOKML_WAREHOUSE=<a DuckDB file with the marts> uses a copy of
    that file instead (quick iterations on the LookML without the build)."""
    override = os.environ.get("PIPELINE_HEALTH_LOOKML_WAREHOUSE")
    if override:
        copy_path = tmp_path_factory.mktemp("lookml") / "warehouse.duckdb"
        shutil.copy(override, copy_path)
        return copy_path
    return Path(request.getfixturevalue("built_warehouse"))


@pytest.fixture(scope="module")
def catalogue(warehouse_path: Path) -> dict:
    return checks.read_column_catalogue(warehouse_path)


def _newest_source_mtime() -> float:
    files = [p for sub in ("models", "macros", "snapshots") for p in (DBT_DIR / sub).rglob("*")
             if p.is_file()]
    return max(p.stat().st_mtime for p in [*files, DBT_DIR / "dbt_project.yml"])


@pytest.fixture(scope="module")
def dbt_models(tmp_path_factory) -> dict:
    """Models from dbt/target/manifest.json; when it is older than the dbt sources, from a
    fresh `dbt parse` into a temporary target path (dbt/target is left alone)."""
    manifest = MANIFEST
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        target = tmp_path_factory.mktemp("dbt-parse")
        env = {**os.environ, "PIPELINE_HEALTH_DUCKDB_PATH": str(target / "unused.duckdb"),
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        subprocess.run([str(Path(sys.executable).with_name("dbt")), "parse", "--project-dir", str(DBT_DIR),
                        "--profiles-dir", str(DBT_DIR), "--target", "duckdb", "--target-path", str(target),
                        "--log-path", str(target / "logs"), "--no-partial-parse"],
                       env=env, cwd=REPO, check=True, capture_output=True, timeout=600)
        manifest = target / "manifest.json"
    return checks.read_dbt_models(manifest)


def test_every_file_parses(project):
    assert not project.parse_problems, _report(project.parse_problems)
    assert set(project.models) == {"pipeline_health"}
    assert {"marts_dataset", "connection_name"} <= set(project.constants)
    assert set(project.explores) == {"coach_caseload", "risk_history", "programme_trends", "equity_gaps"}
    assert set(project.dashboards) == set(DASHBOARD_MARTS)
    model = project.models["pipeline_health"]
    assert model["connection"] == "@{connection_name}"


def test_no_hard_coded_project_or_dataset(project):
    for view in project.views.values():
        table = view.block.get("sql_table_name", "")
        assert checks.resolve_table(project, table), f"{view.file}: {table!r}"
    for path in LOOKER.rglob("*.lkml"):
        text = path.read_text()
        assert "pipeline_health_marts" not in text or path.name == "manifest.lkml", path


def test_tables_and_columns_exist_in_the_built_marts(project, catalogue, dbt_models):
    problems = checks.check_tables(project, catalogue, dbt_models)
    assert not problems, _report(problems)


def test_descriptions_come_from_dbt_docs(project, dbt_models):
    problems = checks.check_descriptions_match_dbt(project, dbt_models)
    assert not problems, _report(problems)


def test_renamed_mart_column_is_reported(project, catalogue, dbt_models):
    renamed = copy.deepcopy(catalogue)
    columns = renamed[("marts", "fct_coach_caseload_weekly")]
    columns["risk_reason_text"] = columns.pop("risk_reasons")
    problems = checks.check_tables(project, renamed, dbt_models)
    assert problems and all("risk_reasons" in p for p in problems), _report(problems)
    assert any("fct_coach_caseload_weekly.view.lkml" in p and "field risk_reasons" in p for p in problems)


def test_lint_primary_keys_descriptions_relationships(project):
    problems = checks.check_lint(project)
    assert not problems, _report(problems)


def test_lint_catches_a_missing_primary_key_and_relationship(project):
    broken = copy.deepcopy(project)
    view = broken.views["fct_programme_weekly_trends"]
    view.block["dimensions"] = [d for d in view.block["dimensions"] if d["name"] != "pk"]
    del broken.explores["risk_history"][1]["joins"][0]["relationship"]
    problems = checks.check_lint(broken)
    assert any("fct_programme_weekly_trends" in p and "primary_key" in p for p in problems)
    assert any("risk_history" in p and "relationship" in p for p in problems)


def test_lint_catches_a_field_name_defined_twice(project):
    """A duration group with interval day names a field days_<group>: next to the mart's
    days_since_last_contact dimension, `since_last_contact` with [day, week] collides."""
    broken = copy.deepcopy(project)
    view = broken.views["fct_coach_caseload_weekly"]
    for group in view.block["dimension_groups"]:
        if group["name"] == "since_last_contact":
            group["intervals"] = ["day", "week"]
    problems = checks.check_lint(broken)
    assert any("fct_coach_caseload_weekly" in p and "days_since_last_contact" in p for p in problems), \
        _report(problems)


def test_field_sql_is_bigquery_sql(project):
    problems = checks.check_sql_parses(project)
    assert not problems, _report(problems)


def test_coach_access_filter_and_demographics_only_in_equity(project):
    problems = checks.check_security(project)
    assert not problems, _report(problems)


def test_security_check_catches_leaks(project):
    broken = copy.deepcopy(project)
    broken.explores["coach_caseload"][1].pop("access_filters")
    broken.views["fct_equity_gaps_weekly"].fields["apprentice_id"] = checks.Field(
        "apprentice_id", "dimension", {"sql": "${TABLE}.apprentice_id"}, False)
    broken.views["fct_programme_weekly_trends"].fields["gender"] = checks.Field(
        "gender", "dimension", {"sql": "${TABLE}.gender"}, False)
    problems = checks.check_security(broken)
    assert any("coach_caseload" in p and "access_filter" in p for p in problems)
    assert any("equity_gaps" in p and "apprentice_id" in p for p in problems)
    assert any("programme_trends" in p and "gender" in p for p in problems)


def test_dashboards_use_existing_fields_and_wire_filters(project):
    problems = checks.check_dashboards(project)
    assert not problems, _report(problems)
    for file, dash in project.dashboards.values():
        targets = {f["name"]: f["field"].split(".")[-1] for f in dash["filters"]}
        assert {"week_start_date", "programme_name", "cohort_name"} <= set(targets.values()), file


def test_dashboard_check_catches_bad_field_and_missing_listen(project):
    broken = copy.deepcopy(project)
    element = broken.dashboards["coach_caseload"][1]["elements"][0]
    element["fields"] = ["fct_coach_caseload_weekly.no_such_measure"]
    del element["listen"]["cohort"]
    problems = checks.check_dashboards(broken)
    assert any("no_such_measure" in p for p in problems), _report(problems)
    assert any(element["name"] in p and "filter cohort" in p for p in problems), _report(problems)


def test_exposures_one_per_dashboard():
    exposures = {e["name"]: e for e in yaml.safe_load(EXPOSURES.read_text())["exposures"]}
    assert "pipeline_health_dashboard" not in exposures
    assert "coach_newly_red_alerts" in exposures
    for dashboard, marts in DASHBOARD_MARTS.items():
        exposure = exposures[f"looker_{dashboard}"]
        assert exposure["type"] == "dashboard" and exposure["owner"]["name"]
        assert exposure["url"].endswith(f"/dashboards/pipeline_health::{dashboard}")
        assert {d.removeprefix("ref('").removesuffix("')") for d in exposure["depends_on"]} == marts
