"""A student's time in learning, in presentation days: shared by the mapping and the evaluation.

The evaluation's label ("withdraws within N weeks") uses `withdrawal_day`, the same date
the importer records as 'Withdrawn', so scored rows and labels always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline_health.oulad.reader import Presentation, Student


@dataclass(frozen=True)
class Timeline:
    start_day: int  # first day in learning: day 0, or a later registration
    exit_day: int  # first day out of learning (the exit status change's day)
    exit_status: str  # 'Withdrawn' | 'Completed'
    exit_reason: str  # 'withdrawn' | 'completed' | 'failed'
    withdrawal_day: int | None  # dated unregistration within the presentation, else None

    @property
    def started(self) -> bool:
        """False for a student who unregistered on or before their first day."""
        return self.exit_day > self.start_day


def timeline(student: Student, presentation: Presentation) -> Timeline:
    length = presentation.length_days
    start = max(0, student.date_registration or 0)
    unregistered = student.date_unregistration
    if unregistered is not None and unregistered <= length:
        # The unregistration date decides, whatever final_result says.
        return Timeline(start, max(start, unregistered), "Withdrawn", "withdrawn", unregistered)
    if student.final_result in ("Pass", "Distinction"):
        return Timeline(start, max(start, length), "Completed", "completed", None)
    if student.final_result == "Fail":
        # Not a withdrawal: the learner stayed to the end. 'Completed' is the contract's only
        # non-withdrawal exit; the reason keeps the failure visible.
        return Timeline(start, max(start, length), "Completed", "failed", None)
    # final_result 'Withdrawn' without a usable date: out at the presentation's end.
    return Timeline(start, max(start, length), "Withdrawn", "withdrawn", None)


def learning_days(student: Student, presentation: Presentation) -> tuple[int, int]:
    """(first day in learning, first day out of learning)."""
    t = timeline(student, presentation)
    return t.start_day, t.exit_day
