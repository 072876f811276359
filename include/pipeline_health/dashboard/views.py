"""What each tab shows: mart rows from the reader, turned into template context.

Presentation only: choosing, labelling and formatting columns the marts computed.
A tab whose mart is not built yet gets a notice instead of failing the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline_health.dashboard import charts
from pipeline_health.dashboard.queries import REJECTION_REASONS
from pipeline_health.dashboard.reader import Reader, Row
from pipeline_health.source_freshness import format_age

FEWER_THAN_10 = "fewer than 10"


@dataclass(frozen=True)
class Filters:
    """Query parameters shared by the tabs; '' means "all"/"not chosen"."""

    week: date | None = None
    coach: str = ""
    programme: str = ""
    cohort: str = ""
    bad_week: str = ""  # a `week` value that is not a date, to say so on the page

    @classmethod
    def parse(cls, week: str | None, coach: str | None, programme: str | None,
              cohort: str | None) -> Filters:
        raw = (week or "").strip()
        try:
            parsed = date.fromisoformat(raw) if raw else None
            bad = ""
        except ValueError:
            parsed, bad = None, raw
        return cls(parsed, (coach or "").strip(), (programme or "").strip(),
                   (cohort or "").strip(), bad)


def _not_built(reader: Reader, query: str) -> str | None:
    missing = reader.missing(query)
    if missing:
        return (f"{', '.join(missing)} is not built yet: it appears after the next "
                "pipeline run that builds it (see the Pipeline tab).")
    return None


def pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def signed(value: float | None, unit: str = "", digits: int = 1, scale: float = 1.0) -> str:
    return "–" if value is None else f"{value * scale:+.{digits}f}{unit}"


def _pick_week(weeks: list[date], wanted: date | None, notices: list[str]) -> date | None:
    if wanted is not None and wanted not in weeks and weeks:
        notices.append(f"No data for the week starting {wanted.isoformat()}; showing the latest week.")
    if wanted in weeks:
        return wanted
    return weeks[0] if weeks else None


def _scores(csv: str | None) -> list[int | None]:
    return [int(p) if p.strip() else None for p in (csv or "").split(",")]


def _factors(r: Row) -> list[tuple[str, int | None, str]]:
    """(factor, points, the measure behind the points) in the email's order."""
    # Contact: days since the last coach contact, NULL when none was ever recorded (unknown,
    # never risk: the score gives it no points).
    att, quiz, days = r["attendance_rate_last_30d"], r["quiz_score_avg_last_30d"], r[
        "days_since_last_contact"]
    otj = r["otj_plan_attainment_last_30d"]
    return [
        ("Attendance", r["points_attendance"], "no sessions" if att is None else f"{att * 100:.0f}% (30 d)"),
        ("Quiz", r["points_quiz"], "no attempts" if quiz is None else f"avg {quiz:.0f}/100"),
        ("Coach contact", r["points_feedback"], "none recorded" if days is None else f"{days} days ago"),
        ("Status", r["points_status"], r["current_progression_status"] or "unknown"),
        ("Off-the-job", r["points_otj"], "no plan" if otj is None else f"{otj * 100:.0f}% of plan"),
    ]


def _options(rows: list[Row], key: str, label: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for r in rows:
        if r[key] is not None:
            seen.setdefault(r[key], r[label] or r[key])
    return sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))


def caseload(reader: Reader, f: Filters) -> dict[str, Any]:
    ctx: dict[str, Any] = {"notices": [], "filters": f}
    if (msg := _not_built(reader, "caseload_weeks")) is not None:
        return {**ctx, "not_built": msg}
    weeks = [r["week_start_date"] for r in reader.rows("caseload_weeks")]
    week = _pick_week(weeks, f.week, ctx["notices"])
    ctx.update(weeks=weeks, week=week)
    if week is None:
        return {**ctx, "not_built": "No week has been scored yet."}
    options = reader.rows("caseload_filter_options", week=week)
    ctx.update(coaches=_options(options, "coach_id", "coach_name"),
               programmes=_options(options, "programme_id", "programme_name"),
               cohorts=_options([o for o in options if f.programme in ("", o["programme_id"])],
                                "cohort_id", "cohort_name"))
    params = {"week": week, "programme": f.programme, "cohort": f.cohort, "coach": f.coach}
    if not f.coach:
        ctx["overview"] = reader.rows("coach_overview", **params)
        return ctx
    if f.coach not in dict(ctx["coaches"]):
        ctx["notices"].append(f"Coach {f.coach} has no apprentices in learning in the week starting "
                              f"{week.isoformat()}.")
    ctx["coach_name"] = dict(ctx["coaches"]).get(f.coach, f.coach)
    ctx["tiles"] = reader.rows("caseload_tiles", **params)[0]
    rows = reader.rows("caseload_rows", **params)
    for r in rows:
        r["factors"] = _factors(r)
        r["spark"] = charts.sparkline(_scores(r["risk_scores_last_8_weeks"]),
                                      charts.BAND_COLOURS.get(r["risk_band"], "#555"))
    ctx["rows"] = rows
    return ctx


def trends(reader: Reader, f: Filters) -> dict[str, Any]:
    ctx: dict[str, Any] = {"notices": [], "filters": f}
    if (msg := _not_built(reader, "trend_weeks")) is not None:
        return {**ctx, "not_built": msg}
    options = reader.rows("trend_filter_options")
    ctx.update(programmes=_options(options, "programme_id", "programme_name"),
               cohorts=_options([o for o in options if f.programme in ("", o["programme_id"])],
                                "cohort_id", "cohort_name"))
    weeks = reader.rows("trend_weeks", programme=f.programme, cohort=f.cohort)
    if not weeks:
        return {**ctx, "not_built": "No weeks match these filters."}
    labels = [w["week_start_date"].isoformat() for w in weeks]

    def series(label: str, colour: str, column: str) -> charts.Series:
        return charts.Series(label, colour, [w[column] for w in weeks])

    ctx["latest"] = weeks[-1]
    ctx["charts"] = [
        charts.line_chart("Apprentices in learning per risk band", labels, [
            series("Red", charts.BAND_COLOURS["Red"], "red_count"),
            series("Amber", charts.BAND_COLOURS["Amber"], "amber_count"),
            series("Green", charts.BAND_COLOURS["Green"], "green_count")]),
        charts.line_chart("Apprentices in learning per status (week end)", labels, [
            series("Active", "#2e7d32", "active_count"),
            series("Delayed", "#6a1b9a", "delayed_count"),
            series("At Risk", "#c62828", "at_risk_count")]),
        charts.line_chart("Left learning in the week", labels, [
            series("Withdrawn", "#c62828", "withdrawn_in_week_count"),
            series("Completed", "#1565c0", "completed_in_week_count"),
            series("Promoted", "#2e7d32", "promoted_in_week_count")]),
        charts.line_chart("Newly Red in the week", labels, [
            series("Newly Red", charts.BAND_COLOURS["Red"], "newly_red_count")]),
    ]
    ctx["table"] = list(reversed(weeks[-12:]))
    return ctx


# (label, metric column suffix, how to show a value, how to show a gap, axis span of the plot)
EQUITY_METRICS = (
    ("Red share", "red_share", pct, lambda v: signed(v, " pp", scale=100), 0.3),
    ("Amber share", "amber_share", pct, lambda v: signed(v, " pp", scale=100), 0.3),
    ("Mean days since feedback", "mean_days_since_feedback", lambda v: signed(v, "", 1).lstrip("+"),
     lambda v: signed(v, " days"), 20.0),
    ("Withdrawals per 100 (12 weeks)", "withdrawals_12w_per_100", lambda v: signed(v, "", 1).lstrip("+"),
     lambda v: signed(v), 20.0),
    ("Completion rate", "completion_rate", pct, lambda v: signed(v, " pp", scale=100), 0.3),
    ("Promotion rate", "promotion_rate", pct, lambda v: signed(v, " pp", scale=100), 0.3),
)


def equity(reader: Reader, f: Filters) -> dict[str, Any]:
    ctx: dict[str, Any] = {"notices": [], "filters": f, "metrics": EQUITY_METRICS,
                           "fewer_than_10": FEWER_THAN_10}
    if (msg := _not_built(reader, "equity_options")) is not None:
        return {**ctx, "not_built": msg}
    options = reader.rows("equity_options")
    weeks = sorted({o["week_start_date"] for o in options}, reverse=True)
    week = _pick_week(weeks, f.week, ctx["notices"])
    if week is None:
        return {**ctx, "not_built": "No equity figures yet."}
    programmes = _options([o for o in options if o["week_start_date"] == week],
                          "programme_id", "programme_name")
    programme = f.programme if f.programme in dict(programmes) else "ALL"
    rows = reader.rows("equity_gaps", week=week, programme=programme)
    dimensions: dict[str, dict[str, Any]] = {}
    for r in rows:
        d = dimensions.setdefault(r["dimension"], {"label": r["dimension_label"], "groups": []})
        cells = []
        for _label, key, show, show_gap, span in EQUITY_METRICS:
            gap, low, high = r[f"gap_{key}"], r[f"gap_{key}_ci_low"], r[f"gap_{key}_ci_high"]
            cells.append({
                "group": show(r[f"group_{key}"]), "others": show(r[f"others_{key}"]),
                "gap": show_gap(gap), "ci": f"{show_gap(low)} to {show_gap(high)}",
                "plot": charts.interval(gap, low, high, span),
                "excludes_zero": low is not None and high is not None and (low > 0 or high < 0)})
        d["groups"].append({**r, "cells": cells})
    ctx.update(weeks=weeks, week=week, programmes=programmes, programme=programme,
               dimensions=list(dimensions.values()))
    return ctx


def _freshness(raw: list[Row], checked: list[Row]) -> tuple[list[Row], Row | None]:
    """Each raw table's last load with the last freshness check's status, age and thresholds
    (event tables; reference tables are replaced by every load and not checked)."""
    by_table = {r["source_table"]: r for r in checked}
    rows = []
    for r in raw:
        check = by_table.get(r["raw_table"])
        status = check["status"] if check else None
        rows.append({**r, "checked": check is not None, "status": status,
                     "status_label": {"runtime error": "error (not checked)"}.get(status, status),
                     "is_stale": status in ("warn", "error", "runtime error"),
                     "age": format_age(check["age_hours"]) if check and check["age_hours"] is not None
                     else ("never loaded" if check and status != "runtime error" else "–"),
                     "warn_after": _hours(check["warn_after_hours"]) if check else "–",
                     "error_after": _hours(check["error_after_hours"]) if check else "–"})
    latest = max(checked, key=lambda r: r["checked_at"], default=None)
    return rows, latest


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:g} h"


def pipeline(reader: Reader, f: Filters) -> dict[str, Any]:
    ctx: dict[str, Any] = {"notices": [], "filters": f, "reasons": REJECTION_REASONS, "sections": {}}
    for name in ("last_runs", "load_days", "raw_freshness", "snapshot_weeks", "emails_per_week"):
        msg = _not_built(reader, name)
        ctx["sections"][name] = {"not_built": msg, "rows": [] if msg else reader.rows(name)}
    runs = ctx["sections"]["last_runs"]["rows"]
    ctx["latest"] = {kind: next((r for r in runs if r["kind"] == kind), None) for kind in ("daily", "weekly")}
    # Before the first freshness check the table is missing: the raw tables show, unchecked.
    checked = [] if reader.missing("source_freshness") else reader.rows("source_freshness")
    section = ctx["sections"]["raw_freshness"]
    section["rows"], ctx["freshness_check"] = _freshness(section["rows"], checked)
    return ctx
