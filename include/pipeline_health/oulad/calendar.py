"""OULAD has no calendar: every date is a whole day relative to the presentation's start.

Day 0 of a presentation is the first Monday of its start month ('YYYYB' = February,
'YYYYJ' = October), so presentation weeks are ISO weeks and the weekly risk mart's
Monday-to-Sunday weeks line up with the learners' study weeks.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

PRESENTATION_PATTERN = re.compile(r"^(\d{4})([BJ])$")
START_MONTHS = {"B": 2, "J": 10}


def presentation_day0(code_presentation: str) -> date:
    """The calendar date of day 0 of a presentation such as '2013J'."""
    match = PRESENTATION_PATTERN.match(code_presentation)
    if match is None:
        raise ValueError(f"{code_presentation!r} is not a presentation code (YYYYB or YYYYJ)")
    first = date(int(match.group(1)), START_MONTHS[match.group(2)], 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def day_to_date(day0: date, day: int) -> date:
    return day0 + timedelta(days=day)
