"""The risk scorecard in Python: candidate thresholds, the design matrix, and the var's scoring.

The factors, their measures and the direction of each threshold mirror the var
`risk_scoring` (dbt/dbt_project.yml) and macros/risk/risk_scoring.sql. `score_rows` applies
a var configuration exactly as the macro's CASE expressions do, so the fit can try scales
before writing the var, and the evaluation can check the mart against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BELOW, AT_LEAST, BY_VALUE = "points_below", "points_at_least", "points_by_value"


@dataclass(frozen=True)
class Factor:
    name: str
    measure: str  # column of fct_apprentice_risk_weekly
    kind: str  # BELOW | AT_LEAST | BY_VALUE
    candidates: tuple  # thresholds (numbers) or values (status), least severe last for BELOW
    comment: str  # one line for dbt_project.yml


# Candidate thresholds: round, readable numbers; the fit gives each one points (>= 0, and
# more severe thresholds never fewer points). Thresholds left with 0 points are dropped.
FACTORS: tuple[Factor, ...] = (
    Factor("status", "current_progression_status", BY_VALUE, ("At Risk", "Delayed"),
           "current_progression_status on Sunday (At Risk = the coach's judgement; Delayed = break)."),
    Factor("attendance", "attendance_rate_last_30d", BELOW, (0.5, 0.65, 0.8),
           "attendance_rate_last_30d (0-1). NULL = no session scheduled in 30 days."),
    Factor("attendance_drop", "attendance_change_vs_prior", BELOW, (-0.4, -0.25, -0.1),
           "attendance rate of the last 4 weeks minus the 8 weeks before (own baseline)."),
    Factor("attendance_trend", "attendance_trend_6_weeks", BELOW, (-0.1, -0.05, -0.02),
           "least-squares slope of the weekly attendance rate over 6 weeks (per week)."),
    Factor("missed_sessions", "sessions_missed_in_a_row", AT_LEAST, (2, 4, 6),
           "sessions missed since the last attended one (within 12 weeks)."),
    Factor("quiz", "quiz_score_avg_last_30d", BELOW, (50, 60, 70),
           "quiz_score_avg_last_30d (0-100). NULL = no attempt in 30 days."),
    Factor("quiz_drop", "quiz_change_vs_prior", BELOW, (-20, -10, -5),
           "quiz average of the last 4 weeks minus the 8 weeks before (points)."),
    Factor("quiz_activity", "quiz_attempts_ratio_vs_prior", BELOW, (0.25, 0.5, 0.75),
           "quiz attempts a week, last 4 weeks / the 8 weeks before. NULL = no earlier attempts."),
    Factor("otj", "otj_plan_attainment_last_30d", BELOW, (0.5, 0.7, 0.85),
           "otj_hours_last_30d / otj_hours_planned_last_30d. NULL = no plan."),
    Factor("otj_drop", "otj_ratio_vs_prior", BELOW, (0.5, 0.7, 0.85),
           "OTJ plan attainment of the last 4 weeks / the 8 weeks before (own baseline)."),
    Factor("otj_trend", "otj_trend_6_weeks", BELOW, (-0.1, -0.05, -0.02),
           "least-squares slope of weekly OTJ plan attainment over 6 weeks (per week)."),
    Factor("otj_gap", "weeks_without_otj_in_a_row", AT_LEAST, (2, 3, 4),
           "weeks with an OTJ plan but no hours logged, in a row (within 12 weeks)."),
    Factor("inactivity", "weeks_inactive_in_a_row", AT_LEAST, (2, 3, 4, 6),
           "weeks with a session or OTJ plan but no activity of any kind, in a row (within 12 weeks)."),
    Factor("feedback", "days_since_last_contact", AT_LEAST, (14, 28, 42),
           "days since the last coach contact. NULL = none ever recorded (unknown)."),
)
FACTOR_NAMES = tuple(f.name for f in FACTORS)
MEASURES = tuple(f.measure for f in FACTORS)


def _crosses(factor: Factor, values: np.ndarray, threshold) -> np.ndarray:
    """Rows whose measure crosses `threshold` (NULL = NaN / None never crosses)."""
    if factor.kind == BY_VALUE:
        return values == threshold
    with np.errstate(invalid="ignore"):
        if factor.kind == BELOW:
            return values < threshold
        return values >= threshold


def design_matrix(rows: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[str, object]]]:
    """Cumulative indicators: one column per (factor, candidate), 1 when the value crosses it.

    With non-negative coefficients, a more severe bin (crossing more thresholds) always
    earns at least the points of a milder one, and NULL (unknown) crosses none: 0 points.
    """
    columns, labels = [], []
    for factor in FACTORS:
        values = rows[factor.measure]
        for candidate in factor.candidates:
            columns.append(_crosses(factor, values, candidate).astype(np.float64))
            labels.append((factor.name, candidate))
    return np.column_stack(columns), labels


def points_from_coefficients(coefficients: np.ndarray, labels: list[tuple[str, object]],
                             scale: float) -> dict[str, dict]:
    """Var-style factor configurations: each threshold's points = scale x the coefficients
    of every indicator a value crossing it also crosses, rounded; 0-point thresholds dropped."""
    by_factor: dict[str, list[tuple[object, float]]] = {}
    for (name, candidate), beta in zip(labels, coefficients, strict=True):
        by_factor.setdefault(name, []).append((candidate, float(beta)))
    config: dict[str, dict] = {}
    for factor in FACTORS:
        pairs = by_factor[factor.name]
        if factor.kind == BY_VALUE:
            config[factor.name] = {BY_VALUE: {v: round(scale * b) for v, b in pairs if round(scale * b) > 0},
                                   "if_null": 0}
            continue
        ordered = sorted(pairs, key=lambda p: p[0])  # ascending thresholds
        rules = []
        for i, (threshold, _) in enumerate(ordered):
            # below t_i implies below every larger t; at_least t_i implies at_least every smaller t
            crossed = ordered[i:] if factor.kind == BELOW else ordered[: i + 1]
            points = round(scale * sum(b for _, b in crossed))
            if points > 0:
                key = "below" if factor.kind == BELOW else "at_least"
                rules.append({key: threshold, "points": points})
        config[factor.name] = {factor.kind: rules, "if_null": 0}
    return config


def factor_points(factor: Factor, cfg: dict, values: np.ndarray) -> np.ndarray:
    """The macro's CASE: NULL -> if_null; else the most points among the rules it meets."""
    points = np.zeros(len(values), dtype=np.int64)
    if factor.kind == BY_VALUE:
        null = np.array([v is None or v == "" for v in values])
        for value, p in cfg.get(BY_VALUE, {}).items():
            points = np.where(values == value, np.maximum(points, p), points)
    else:
        null = np.isnan(values)
        key = "below" if factor.kind == BELOW else "at_least"
        for rule in cfg.get(factor.kind, []):
            hit = _crosses(factor, values, rule[key])
            points = np.where(hit, np.maximum(points, rule["points"]), points)
    return np.where(null, cfg.get("if_null", 0), points)


def score_rows(config: dict, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """points_<factor>, points_total, risk_score and risk_band for a var configuration."""
    out = {f"points_{f.name}": factor_points(f, config["factors"][f.name], rows[f.measure])
           for f in FACTORS}
    total = sum(out.values())
    score = np.minimum(total, config["score_cap"])
    out["points_total"] = total
    out["risk_score"] = score
    out["risk_band"] = np.where(score >= config["red_min_score"], "Red",
                                np.where(score >= config["amber_min_score"], "Amber", "Green"))
    return out


def newly_red(apprentice_ids: np.ndarray, week_starts: np.ndarray, red: np.ndarray) -> np.ndarray:
    """Red and not Red in the apprentice's row of the previous ISO week (rows in any order)."""
    order = np.lexsort((week_starts, apprentice_ids))
    a, w, r = apprentice_ids[order], week_starts[order], red[order]
    previous_red = np.zeros(len(a), dtype=bool)
    same = (a[1:] == a[:-1]) & ((w[1:] - w[:-1]) == np.timedelta64(7, "D"))
    previous_red[1:] = same & r[:-1]
    result = np.empty(len(a), dtype=bool)
    result[order] = r & ~previous_red
    return result
