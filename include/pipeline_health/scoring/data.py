"""Apprentice-weeks of the risk mart joined to the simulated truth, as numpy columns.

Evaluation only: this reads `truth.apprentice_outcomes` (the marts never do). Labels are
relative to the week's Sunday: "withdraws within N weeks" = withdrawal_date in
(week_end_date, week_end_date + 7 N days].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline_health.scoring.scorecard import FACTORS, MEASURES
from pipeline_health.warehouse import open_duckdb

WARM_UP_DAYS = 35  # the first 5 weeks of history: 30-day windows still filling
STRING_MEASURES = {f.measure for f in FACTORS if f.kind == "points_by_value"}


def load_weeks(path: Path | str) -> dict[str, np.ndarray]:
    """One element per scored apprentice-week after the warm-up, with truth and demographics."""
    numeric = [m for m in MEASURES if m not in STRING_MEASURES]
    points = [f"points_{f.name}" for f in FACTORS]
    select = ",\n".join([
        "r.apprentice_id", "r.week_start_date", "r.week_end_date",
        *(f"coalesce(r.{m}, '') as {m}" for m in STRING_MEASURES),
        *(f"coalesce(cast(r.{m} as double), 'nan'::double) as {m}" for m in numeric),
        "coalesce(cast(r.attendance_rate_last_30d as double), 'nan'::double) as attendance_only",
        *(f"r.{p}" for p in points),
        "r.points_total", "r.risk_score", "r.risk_band", "r.is_newly_red",
        "coalesce(cast(r.days_since_last_feedback as double), 'nan'::double) as days_since_last_feedback",
        "coalesce(cast(r.otj_hours_last_30d as double), 'nan'::double) as otj_hours_last_30d",
        "coalesce(cast(r.otj_hours_planned_last_30d as double), 'nan'::double) as otj_hours_planned_last_30d",
        "t.outcome", "coalesce(t.withdrawal_kind, '') as withdrawal_kind",
        "t.withdrawal_date", "t.decline_onset_date",
        "a.gender", "a.ethnicity_group", "cast(a.imd_quintile as varchar) as imd_quintile",
        "case when a.has_ldd then 'LDD' else 'No LDD' end as ldd",
        "cast(date_diff('day', cast(a.start_date as date), r.week_end_date) as double) as days_since_start",
    ])
    sql = f"""
        select {select}
        from marts.fct_apprentice_risk_weekly as r
        inner join truth.apprentice_outcomes as t on r.apprentice_id = t.apprentice_id
        inner join raw.raw_apprentices as a on r.apprentice_id = a.apprentice_id
        where r.week_start_date >= (select min(as_of_date) from marts.fct_apprentice_daily) + {WARM_UP_DAYS}
        order by r.apprentice_id, r.week_start_date
    """
    con = open_duckdb(path, read_only=True)
    try:
        result = con.sql(sql).fetchnumpy()
    finally:
        con.close()
    rows = {k: (np.asarray(v.filled(np.nan) if isinstance(v, np.ma.MaskedArray) and v.dtype.kind == "f"
                           else v)) for k, v in result.items()}
    for column in ("week_start_date", "week_end_date", "withdrawal_date", "decline_onset_date"):
        rows[column] = _dates(result[column])
    for m in STRING_MEASURES:
        rows[m] = rows[m].astype(object)
    return rows


def _dates(values) -> np.ndarray:
    """datetime64[D] with NaT for NULL."""
    if isinstance(values, np.ma.MaskedArray):
        out = np.asarray(values.data).astype("datetime64[D]")
        out[np.ma.getmaskarray(values)] = np.datetime64("NaT")
        return out
    return np.asarray(values).astype("datetime64[D]")


def withdraws_within(rows: dict[str, np.ndarray], weeks: int) -> np.ndarray:
    """Withdrawal dated in (week_end_date, week_end_date + 7 x weeks days]."""
    w, end = rows["withdrawal_date"], rows["week_end_date"]
    with np.errstate(invalid="ignore"):
        return ~np.isnat(w) & (w > end) & (w <= end + np.timedelta64(7 * weeks, "D"))
