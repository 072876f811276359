"""OULAD importer (pipeline_health.oulad) and evaluation (pipeline_health.validity.oulad_evaluation).

Most tests use a small synthetic OULAD module 'ZZZ' written here (two presentations, one
starting in February); one slow test imports the real AAA slice and scores it with dbt.
"""

from __future__ import annotations

import csv
import random
import re
import shutil
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import table_fingerprints

from pipeline_health import cli
from pipeline_health.loaders.duckdb_loader import DuckDBLoader
from pipeline_health.oulad import ImportSummary, OuladInputError, duckdb_event_days, import_oulad
from pipeline_health.oulad.calendar import presentation_day0

REPO = Path(__file__).resolve().parents[1]
AAA_DIR = REPO.parent / "shared" / "data" / "oulad-aaa"
LENGTHS = {"2014B": 241, "2014J": 262}
DAY0 = {"2014B": date(2014, 2, 3), "2014J": date(2014, 10, 6)}  # first Mondays of Feb / Oct 2014
ASSESSMENTS = {"2014B": [("9001", "TMA", "20"), ("9002", "TMA", "90"), ("9003", "Exam", "")],
               "2014J": [("9011", "TMA", "20"), ("9012", "CMA", "90"), ("9013", "Exam", "")]}

# Hand-made students: (presentation, id, gender, imd_band, disability, final_result,
# date_registration, date_unregistration, click days, submissions (assessment, day, banked, score)).
NAMED = [
    ("2014B", "1001", "M", "0-10%", "N", "Pass", "-30", "", [0, 1, 15, 241],
     [("9001", "18", "0", "80.0"), ("9002", "88", "0", "")]),
    ("2014B", "1002", "F", "", "Y", "Withdrawn", "-10", "40", [3, 39, 41],
     [("9001", "-20", "1", "65.0")]),
    ("2014J", "1003", "F", "50-60%", "N", "Withdrawn", "-60", "-5", [-10], []),
    ("2014J", "1004", "M", "10-20", "N", "Fail", "10", "", [12, 30],
     [("9011", "21", "0", "45.5"), ("9011", "25", "0", "55")]),
]


def write_oulad(folder: Path, seed: int = 11, extra_students: int = 26) -> Path:
    """A synthetic OULAD module 'ZZZ' in `folder` (the 7 files, the real column layout)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    students = list(NAMED)
    for n in range(extra_students):
        presentation = "2014B" if n % 2 else "2014J"
        withdraws = rng.random() < 0.35
        unreg = str(rng.randint(5, 200)) if withdraws else ""
        last = int(unreg) if withdraws else LENGTHS[presentation]
        clicks = sorted(rng.sample(range(-10, last), k=min(25, last + 10)))
        subs = [(a, str(int(due) + rng.randint(-3, 2)), "0", f"{rng.uniform(30, 100):.1f}")
                for a, kind, due in ASSESSMENTS[presentation] if due and int(due) < last]
        students.append((presentation, str(2000 + n), rng.choice("MF"),
                         rng.choice(["", "20-30%", "30-40%", "70-80%", "90-100%"]), rng.choice("NNNY"),
                         "Withdrawn" if withdraws else rng.choice(["Pass", "Fail", "Distinction"]),
                         str(rng.randint(-100, -1)), unreg, clicks, subs))

    def write(name: str, header: list[str], rows: list[list]) -> None:
        with (folder / name).open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)

    write("courses.csv", ["code_module", "code_presentation", "module_presentation_length"],
          [["ZZZ", p, n] for p, n in LENGTHS.items()])
    write("assessments.csv", ["code_module", "code_presentation", "id_assessment", "assessment_type",
                              "date", "weight"],
          [["ZZZ", p, a, kind, due, 50] for p, items in ASSESSMENTS.items() for a, kind, due in items])
    write("vle.csv", ["id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"],
          [[f"7{p[-1] == 'J':d}0{n}", "ZZZ", p, "resource", "", ""] for p in LENGTHS for n in range(3)])
    write("studentInfo.csv", ["code_module", "code_presentation", "id_student", "gender", "region",
                              "highest_education", "imd_band", "age_band", "num_of_prev_attempts",
                              "studied_credits", "disability", "final_result"],
          [["ZZZ", p, s, g, "Wales", "A Level or Equivalent", imd, "0-35", 0, 60, dis, result]
           for p, s, g, imd, dis, result, *_ in students])
    write("studentRegistration.csv", ["code_module", "code_presentation", "id_student", "date_registration",
                                      "date_unregistration"],
          [["ZZZ", p, s, reg, unreg] for p, s, _, _, _, _, reg, unreg, _, _ in students])
    write("studentAssessment.csv", ["id_assessment", "id_student", "date_submitted", "is_banked", "score"],
          [[a, s, day, banked, score] for _, s, *_, subs in students for a, day, banked, score in subs])
    write("studentVle.csv", ["code_module", "code_presentation", "id_student", "id_site", "date",
                             "sum_click"],
          [["ZZZ", p, s, f"7{p[-1] == 'J':d}00", day, 3]
           for p, s, *_, clicks, _ in students for day in clicks])
    return folder


def _import(folder: Path, warehouse: Path, **kwargs):
    return import_oulad(folder, DuckDBLoader(warehouse), existing_days=duckdb_event_days(warehouse), **kwargs)


@dataclass
class Imported:
    folder: Path
    warehouse: Path
    summary: ImportSummary


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """ZZZ imported once; tests read it, or work on copies."""
    root = tmp_path_factory.mktemp("oulad-zzz")
    folder = write_oulad(root / "files")
    warehouse = root / "warehouse.duckdb"
    return Imported(folder, warehouse, _import(folder, warehouse))


@pytest.fixture
def zzz(tmp_path: Path) -> Path:
    return write_oulad(tmp_path / "oulad-zzz")


def _rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_calendar_day0_is_the_first_monday_of_the_start_month():
    assert presentation_day0("2013J") == date(2013, 10, 7)
    assert presentation_day0("2014J") == date(2014, 10, 6)
    assert presentation_day0("2014B") == date(2014, 2, 3)
    assert presentation_day0("2015J") == date(2015, 10, 5)
    with pytest.raises(ValueError, match="YYYYB or YYYYJ"):
        presentation_day0("2014X")


def test_import_maps_reference_tables_and_demographics(imported: Imported):
    summary, warehouse = imported.summary, imported.warehouse
    assert summary.presentations == ["ZZZ 2014B", "ZZZ 2014J"] and summary.students == 30
    assert summary.students_started == 29  # 1003 unregistered before day 0
    assert _rows(warehouse, "SELECT programme_id, level, otj_hours_per_week FROM raw.raw_programmes") == [
        ("OU-ZZZ", 0, 0.0)]
    assert _rows(warehouse, "SELECT cohort_id, start_date, planned_end_date FROM raw.raw_cohorts "
                 "ORDER BY 1") == [
        ("OU-ZZZ-2014B", DAY0["2014B"], DAY0["2014B"] + timedelta(days=241)),
        ("OU-ZZZ-2014J", DAY0["2014J"], DAY0["2014J"] + timedelta(days=262))]
    assert _rows(warehouse, "SELECT count(*) FROM raw.raw_coaches") == [(0,)]
    people = {r[0]: r[1:] for r in _rows(
        warehouse, "SELECT apprentice_id, coach_id, employer_id, start_date, gender, ethnicity_group, "
        "imd_quintile, has_ldd, ldd_category, email FROM raw.raw_apprentices")}
    assert len(people) == 30
    assert people["OU-ZZZ-2014B-1001"] == ("-1", "OU-NO-EMPLOYER", DAY0["2014B"], "Male", "Unknown", 1,
                                           False, None, "")
    # Missing imd_band: left empty (unknown), and reported.
    assert people["OU-ZZZ-2014B-1002"][3:8] == ("Female", "Unknown", None, True, "Not specified")
    assert summary.adjusted["imd_band missing: imd_quintile left empty (unknown)"] >= 1
    # Late registration (day 10) starts then; '10-20' (no % sign, as in OULAD) is quintile 1.
    assert people["OU-ZZZ-2014J-1004"][2] == DAY0["2014J"] + timedelta(days=10)
    assert people["OU-ZZZ-2014J-1004"][5] == 1


def test_weekly_activity_becomes_attendance(imported: Imported):
    warehouse = imported.warehouse
    sql = ("SELECT event_id, session_start_at, attendance_status, minutes_attended, load_date "
           "FROM raw.raw_session_attendance WHERE apprentice_id = ? ORDER BY event_id")
    full = _rows(warehouse, sql, ["OU-ZZZ-2014B-1001"])
    assert len(full) == 35  # Mondays of days 0, 7, ..., 238 < 241
    assert full[0] == ("OU-ZZZ-2014B-1001-W00", "2014-02-03T09:00:00Z", "attended", "60", date(2014, 2, 9))
    assert [r[2] for r in full[:3]] == ["attended", "absent", "attended"]  # clicks on days 0, 1, 15
    assert full[-1][2] == "absent"  # a click on day 241 is after the presentation's end
    # Withdrew on day 40 (a Saturday): weeks 0-5; the click on day 41 is after leaving.
    withdrawn = _rows(warehouse, sql, ["OU-ZZZ-2014B-1002"])
    assert [r[2] for r in withdrawn] == ["attended", "absent", "absent", "absent", "absent", "attended"]
    assert _rows(warehouse, sql, ["OU-ZZZ-2014J-1003"]) == []  # never started
    late = _rows(warehouse, sql, ["OU-ZZZ-2014J-1004"])  # started day 10: weeks 1 .. 37
    assert late[0][0] == "OU-ZZZ-2014J-1004-W01" and len(late) == 37
    assert [r[2] for r in late[:4]] == ["attended", "absent", "absent", "attended"]  # days 12, 30


def test_assessments_become_quiz_attempts(imported: Imported):
    summary, warehouse = imported.summary, imported.warehouse
    quizzes = _rows(warehouse, "SELECT apprentice_id, quiz_id, attempted_at, score, attempt_number, "
                    "load_date FROM raw.raw_quiz_attempts WHERE apprentice_id IN (?, ?, ?) ORDER BY 1, 3",
                    ["OU-ZZZ-2014B-1001", "OU-ZZZ-2014B-1002", "OU-ZZZ-2014J-1004"])
    assert quizzes == [
        ("OU-ZZZ-2014B-1001", "OU-ZZZ-2014B-A9001", "2014-02-21T12:00:00Z", "80", "1", date(2014, 2, 21)),
        ("OU-ZZZ-2014J-1004", "OU-ZZZ-2014J-A9011", "2014-10-27T12:00:00Z", "45.5", "1", date(2014, 10, 27)),
        ("OU-ZZZ-2014J-1004", "OU-ZZZ-2014J-A9011", "2014-10-31T12:00:00Z", "55", "2", date(2014, 10, 31)),
    ]  # 1001's second submission has no score; 1002's is banked
    assert summary.skipped["assessment submission without a score"] == 1
    assert summary.skipped["banked assessment result (carried over from an earlier presentation)"] == 1


def test_statuses_follow_registration_and_final_result(imported: Imported):
    warehouse = imported.warehouse
    statuses = {}
    for aid, changed_at, from_status, to_status, reason in _rows(
            warehouse, "SELECT apprentice_id, changed_at, from_status, to_status, reason "
            "FROM raw.raw_status_changes ORDER BY apprentice_id, event_id"):
        statuses.setdefault(aid, []).append((changed_at[:10], from_status, to_status, reason))
    assert statuses["OU-ZZZ-2014B-1001"] == [("2014-02-03", None, "Active", "new_start"),
                                             ("2014-10-02", "Active", "Completed", "completed")]
    assert statuses["OU-ZZZ-2014B-1002"] == [("2014-02-03", None, "Active", "new_start"),
                                             ("2014-03-15", "Active", "Withdrawn", "withdrawn")]
    assert statuses["OU-ZZZ-2014J-1003"] == [("2014-10-06", None, "Withdrawn", "withdrawn")]
    assert statuses["OU-ZZZ-2014J-1004"] == [("2014-10-16", None, "Active", "new_start"),
                                             ("2015-06-25", "Active", "Completed", "failed")]
    every = [s for changes in statuses.values() for s in changes]
    assert {s[2] for s in every} <= {"Active", "Withdrawn", "Completed"}  # never At Risk
    for table in ("raw_coach_feedback", "raw_progress_reviews", "raw_otj_hours"):
        assert _rows(warehouse, f"SELECT count(*) FROM raw.{table}") == [(0,)]


def test_import_is_idempotent_and_replaces_an_earlier_import(imported: Imported, tmp_path: Path):
    again = tmp_path / "again.duckdb"
    shutil.copy(imported.warehouse, again)
    _import(imported.folder, again)
    assert table_fingerprints(again) == table_fingerprints(imported.warehouse)
    # A narrower import over it keeps no row of the earlier one (its days are emptied).
    first = again
    summary = _import(imported.folder, first, presentations=["2014J"])
    assert summary.stale_days_cleared > 0
    ids = _rows(first, "SELECT DISTINCT apprentice_id FROM raw.raw_session_attendance UNION "
                "SELECT DISTINCT apprentice_id FROM raw.raw_status_changes UNION "
                "SELECT apprentice_id FROM raw.raw_apprentices")
    assert ids and all(i.startswith("OU-ZZZ-2014J-") for (i,) in ids)


def _corrupt(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    path.write_text(path.read_text().replace(old, new, 1))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda f: (f / "studentVle.csv").unlink(), r"studentVle.csv: file not found"),
    (lambda f: _corrupt(f, "studentInfo.csv", "imd_band", "imd"),
     r"studentInfo.csv line 1: missing column\(s\) \['imd_band'\]"),
    (lambda f: _corrupt(f, "studentRegistration.csv", "ZZZ,2014B,1002,-10,40", "ZZZ,2014B,1002,-10,4O"),
     r"studentRegistration.csv line 3, column date_unregistration: '4O' is not a whole number"),
    (lambda f: _corrupt(f, "studentInfo.csv", "0-10%", "0-15%"),
     r"studentInfo.csv line 2, column imd_band: '0-15%' is not an IMD decile band"),
    (lambda f: _corrupt(f, "courses.csv", "2014B", "2014X"),
     r"courses.csv line 2, column code_presentation: '2014X' is not YYYYB or YYYYJ"),
    (lambda f: _corrupt(f, "studentAssessment.csv", "9001,1001,18,0,80.0", "9001,1001,18,0,eighty"),
     r"studentAssessment.csv line 2, column score: 'eighty' is not a number"),
], ids=["missing-file", "missing-column", "bad-integer", "bad-imd-band", "bad-presentation", "bad-score"])
def test_bad_input_names_file_line_and_column_and_loads_nothing(imported: Imported, zzz: Path,
                                                                warehouse: Path, damage, message, capsys):
    shutil.copy(imported.warehouse, warehouse)
    before = table_fingerprints(warehouse)
    damage(zzz)
    with pytest.raises(OuladInputError, match=message):
        _import(zzz, warehouse)
    assert table_fingerprints(warehouse) == before
    code = cli.main(["import-oulad", "--data-dir", str(zzz), "--warehouse", str(warehouse), "--no-score"])
    assert code == 2 and "error: " in capsys.readouterr().err


def test_cli_refuses_a_warehouse_with_other_apprentices(imported: Imported, warehouse: Path, capsys):
    shutil.copy(imported.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE raw.raw_apprentices SET apprentice_id = 'APP-000001' "
                    "WHERE apprentice_id = 'OU-ZZZ-2014B-1001'")
    before = table_fingerprints(warehouse)
    args = ["import-oulad", "--data-dir", str(imported.folder), "--warehouse", str(warehouse), "--no-score"]
    assert cli.main(args) == 2
    assert "1 apprentices that are not OULAD learners" in capsys.readouterr().err
    assert table_fingerprints(warehouse) == before


def test_module_filter_that_matches_nothing_is_an_error(zzz: Path, warehouse: Path):
    with pytest.raises(OuladInputError, match="no presentation matches module"):
        _import(zzz, warehouse, modules=["AAA"])
    assert not warehouse.exists()


@pytest.mark.skipif(not (AAA_DIR / "studentVle.csv").is_file(),
                    reason=f"the OULAD AAA slice is not at {AAA_DIR} (../shared/data/oulad-aaa)")
def test_real_aaa_slice_imports_scores_and_evaluates(tmp_path: Path, capsys):
    """The whole path on real learners: import-oulad (raw load + dbt), then the evaluation."""
    from pipeline_health.validity.oulad_evaluation import evaluate_oulad

    data = AAA_DIR  # read only
    warehouse = tmp_path / "aaa.duckdb"
    started = time.perf_counter()
    assert cli.main(["import-oulad", "--data-dir", str(data), "--warehouse", str(warehouse)]) == 0
    output = capsys.readouterr().out
    assert re.search(r"students \(student x presentation\)\s+748\n", output) and "dbt_weekly" in output
    assert _rows(warehouse, "SELECT count(*) FROM staging.stg_apprenticeship__rejected_rows") == [(0,)]
    result = evaluate_oulad(warehouse, data, n_boot=200)
    assert 700 <= result.students_scored <= 748 and result.student_weeks > 20_000
    assert 0.01 <= result.base_rate_8w <= 0.2 and result.base_rate_8w <= result.base_rate_12w
    assert 0 < result.auc < 1 and result.auc_ci_95[0] <= result.auc <= result.auc_ci_95[1]
    # Factors and measures are read from the mart, whatever the risk score's current factors are.
    kinds = {s.kind for s in result.signals}
    assert kinds == {"points", "measure"} and "risk_score" not in {s.name for s in result.signals}
    assert all(0 <= s.auc <= 1 for s in result.signals if s.coverage > 0)
    assert 0 <= result.red_share <= 1 and [r["weeks_before"] for r in result.recall_before_withdrawal] == [
        0, 2, 4, 8]
    json_out = tmp_path / "eval.json"
    assert cli.main(["evaluate-oulad", "--warehouse", str(warehouse), "--data-dir", str(data),
                     "--json-out", str(json_out), "--bootstrap", "100"]) == 0
    assert "AUC of risk_score" in capsys.readouterr().out and json_out.read_text().startswith("{")
    print(f"import, dbt and evaluation of the AAA slice: {time.perf_counter() - started:.0f} s")
