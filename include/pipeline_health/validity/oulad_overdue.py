"""A signal the raw contract cannot carry: assessments past their due date with no submission.

OULAD publishes each assessment's due day (`assessments.csv`, column `date`); the raw
contract has quiz attempts but no schedule of what was due, so the pipeline cannot see a
missed deadline. This module measures what that signal would be worth on the same
student-weeks as the evaluation: for each week, how many of the presentation's
non-exam assessments were due by the week's Sunday without a (non-banked) submission by then.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from pipeline_health.oulad.calendar import presentation_day0
from pipeline_health.validity.oulad_evaluation import EPOCH, EvaluationTable


def _due_days(data_dir: Path) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """(module, presentation) -> [(id_assessment, due day)], exams and undated ones left out."""
    out: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    with (data_dir / "assessments.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["assessment_type"] != "Exam" and row["date"].strip():
                out[(row["code_module"], row["code_presentation"])].append(
                    (row["id_assessment"], int(float(row["date"])))
                )
    return out


def _submitted(data_dir: Path) -> dict[tuple[str, str], int]:
    """(id_assessment, id_student) -> day of the first non-banked submission."""
    out: dict[tuple[str, str], int] = {}
    with (data_dir / "studentAssessment.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["is_banked"].strip() == "1" or not row["date_submitted"].strip():
                continue
            key = (row["id_assessment"], row["id_student"])
            day = int(float(row["date_submitted"]))
            out[key] = min(day, out.get(key, day))
    return out


def overdue_assessments(table: EvaluationTable, data_dir: Path | str) -> np.ndarray:
    """Per student-week: non-exam assessments due by the week's Sunday and not submitted by then."""
    data_dir = Path(data_dir)
    due, submitted = _due_days(data_dir), _submitted(data_dir)
    out = np.zeros(len(table.apprentice_id))
    day0_cache: dict[str, int] = {}
    for i, (apprentice, week_end) in enumerate(zip(table.apprentice_id, table.week_end, strict=True)):
        _, module, presentation, student = str(apprentice).split("-", 3)  # OU-<module>-<pres>-<id>
        if presentation not in day0_cache:
            day0_cache[presentation] = (presentation_day0(presentation) - EPOCH).days
        day = int(week_end) - day0_cache[presentation]
        out[i] = sum(
            1
            for assessment, due_day in due.get((module, presentation), ())
            if due_day <= day and submitted.get((assessment, student), day + 1) > day
        )
    return out
