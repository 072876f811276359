"""How well a risk score foresees real withdrawals: a scored OULAD warehouse against the OULAD files.

The evaluation table has one row per student per scored week (fct_apprentice_risk_weekly
holds students in learning at the week's end, so every row is before the student's
unregistration). Its columns are read from the mart itself: risk_score, risk_band,
is_newly_red, every `points_*` column and every other numeric measure, so a new factor
or signal is evaluated without a code change here.

Label: the student unregisters (OULAD date_unregistration, mapped by the importer's
calendar) within 8 weeks after the week's Sunday: (Sunday, Sunday + 56 days]; within 12
weeks for newly-Red precision, compared with the 12-week base rate. A final_result of
'Withdrawn' without a date is not a positive (there is no date to be "within").

Single signals: each measure alone, oriented in the direction that makes it a risk (the
one with AUC >= 0.5, chosen on the same data: a conservative bar for the combined score),
NULL (no data in the window) imputed with the measure's median; the AUC over the rows with
a value is shown too. Points columns are risk-oriented by construction and are not
flipped: a points AUC under 0.5 says the factor points the wrong way on these learners.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from pipeline_health.oulad.calendar import day_to_date
from pipeline_health.oulad.mapping import apprentice_id
from pipeline_health.oulad.reader import read_oulad
from pipeline_health.oulad.timeline import timeline
from pipeline_health.validity import metrics

MART = "marts.fct_apprentice_risk_weekly"
HORIZON_WEEKS = 8
NEWLY_RED_HORIZON_WEEKS = 12
LEAD_WEEKS = (0, 2, 4, 8)
NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
)
# Numeric mart columns that are the score itself or its history, not a signal of their own.
NOT_SIGNALS = {"risk_score", "points_total", "previous_risk_score"}
EPOCH = date(1970, 1, 1)


@dataclass
class EvaluationTable:
    apprentice_id: np.ndarray  # str
    week_end: np.ndarray  # day number (days since 1970-01-01)
    risk_score: np.ndarray
    risk_band: np.ndarray  # 'Red' | 'Amber' | 'Green'
    is_newly_red: np.ndarray
    withdrawal_day: np.ndarray  # day number of the dated unregistration, NaN when none
    points: dict[str, np.ndarray] = field(default_factory=dict)
    measures: dict[str, np.ndarray] = field(default_factory=dict)  # NaN = NULL

    def label(self, weeks: int) -> np.ndarray:
        """Withdraws within `weeks` weeks after the week's end."""
        ahead = self.withdrawal_day - self.week_end
        return (ahead > 0) & (ahead <= 7 * weeks)


@dataclass
class SignalAuc:
    name: str
    kind: str  # 'points' | 'measure'
    auc: float
    direction: str  # 'higher' | 'lower' = which values mean risk
    coverage: float  # share of rows with a value
    auc_non_null: float


@dataclass
class OuladEvaluation:
    students_scored: int
    student_weeks: int
    withdrawers_scored: int
    base_rate_8w: float
    base_rate_12w: float
    auc: float
    auc_ci_95: tuple[float, float]
    auc_ci_method: str
    red_share: float
    amber_share: float
    red_precision_8w: float
    newly_red_alerts: int
    newly_red_precision_8w: float
    newly_red_precision_12w: float
    newly_red_ratio_to_base_rate_12w: float
    best_single_signal: str
    best_single_signal_auc: float
    signals: list[SignalAuc]
    recall_before_withdrawal: list[dict]  # weeks_before, withdrawers, amber_or_red, red

    def as_dict(self) -> dict:
        return asdict(self)


def _days(column: str) -> str:
    return f"datediff('day', DATE '{EPOCH.isoformat()}', {column})"


def load_table(
    warehouse: Path | str,
    data_dir: Path | str,
    modules: Collection[str] = (),
    presentations: Collection[str] = (),
) -> EvaluationTable:
    import duckdb

    from pipeline_health.warehouse import open_duckdb

    with open_duckdb(warehouse, read_only=True) as con:
        described = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = 'fct_apprentice_risk_weekly' "
            "ORDER BY ordinal_position"
        ).fetchall()
        if not described:
            raise RuntimeError(f"{warehouse} has no {MART}: run import-oulad (it scores) first")
        numeric = [
            name
            for name, kind in described
            if kind.split("(")[0] in NUMERIC_TYPES and name not in NOT_SIGNALS
        ]
        select = ", ".join(
            [
                "apprentice_id",
                f"{_days('week_end_date')} AS week_end",
                "CAST(risk_score AS DOUBLE) AS risk_score",
                "risk_band",
                "is_newly_red",
                *[f'CAST("{c}" AS DOUBLE) AS "{c}"' for c in numeric],
            ]
        )
        try:
            query = f"SELECT {select} FROM {MART} ORDER BY apprentice_id, week_end_date"
            rows = con.execute(query).fetchnumpy()
        except duckdb.Error as exc:
            raise RuntimeError(f"cannot read {MART} from {warehouse}: {exc}") from exc
    as_float = {
        k: np.ma.filled(np.ma.asarray(v, dtype=float), np.nan)
        for k, v in rows.items()
        if k in numeric or k in ("week_end", "risk_score")
    }
    ids = np.asarray(rows["apprentice_id"], dtype=object)
    withdrawals = _withdrawal_days(data_dir, modules, presentations)
    unknown = sorted(set(ids) - set(withdrawals))
    if unknown:
        raise RuntimeError(
            f"{len(unknown)} scored apprentice(s) are not students of {data_dir} "
            f"(e.g. {unknown[0]}): evaluate with the folder that was imported"
        )
    table = EvaluationTable(
        apprentice_id=ids,
        week_end=as_float["week_end"],
        risk_score=as_float["risk_score"],
        risk_band=np.asarray(rows["risk_band"], dtype=object),
        is_newly_red=np.ma.filled(np.ma.asarray(rows["is_newly_red"]), False).astype(bool),
        withdrawal_day=np.array([withdrawals[i] for i in ids], dtype=float),
        points={c: as_float[c] for c in numeric if c.startswith("points_")},
        measures={c: as_float[c] for c in numeric if not c.startswith("points_")},
    )
    # Defensive: a week ending on or after the unregistration is not "before" it.
    keep = ~(table.withdrawal_day <= table.week_end)
    return _subset(table, keep) if not keep.all() else table


def _withdrawal_days(
    data_dir: Path | str, modules: Collection[str], presentations: Collection[str]
) -> dict[str, float]:
    """apprentice_id -> day number of the dated withdrawal (NaN when the student did not withdraw)."""
    data = read_oulad(data_dir, modules, presentations, activity=False)
    out: dict[str, float] = {}
    for key, student in data.students.items():
        presentation = data.presentations[key[:2]]
        day = timeline(student, presentation).withdrawal_day
        out[apprentice_id(key)] = (
            math.nan if day is None else float((day_to_date(presentation.day0, day) - EPOCH).days)
        )
    return out


def _subset(table: EvaluationTable, keep: np.ndarray) -> EvaluationTable:
    return EvaluationTable(
        table.apprentice_id[keep],
        table.week_end[keep],
        table.risk_score[keep],
        table.risk_band[keep],
        table.is_newly_red[keep],
        table.withdrawal_day[keep],
        {k: v[keep] for k, v in table.points.items()},
        {k: v[keep] for k, v in table.measures.items()},
    )


def _signal(name: str, kind: str, values: np.ndarray, label: np.ndarray) -> SignalAuc:
    present = ~np.isnan(values)
    if kind == "points":  # risk-oriented by construction: an AUC under 0.5 means the factor misleads
        value, direction = metrics.auc(metrics.impute_median(values), label), "higher"
    else:
        value, direction = metrics.oriented_auc(metrics.impute_median(values), label)
    non_null = metrics.auc(values[present], label[present]) if present.any() else math.nan
    if not math.isnan(non_null) and direction == "lower":
        non_null = 1 - non_null
    return SignalAuc(
        name, kind, value, direction, float(present.mean()) if present.size else math.nan, non_null
    )


def evaluate(table: EvaluationTable, *, n_boot: int = 1000, seed: int = 0) -> OuladEvaluation:
    if table.apprentice_id.size == 0:
        raise RuntimeError("the risk mart has no scored student-week to evaluate")
    label = table.label(HORIZON_WEEKS)
    label_12 = table.label(NEWLY_RED_HORIZON_WEEKS)
    red = table.risk_band == "Red"
    amber = table.risk_band == "Amber"
    signals = [_signal(n, "points", v, label) for n, v in sorted(table.points.items())]
    signals += [_signal(n, "measure", v, label) for n, v in sorted(table.measures.items())]
    best = max(signals, key=lambda s: -1.0 if math.isnan(s.auc) else s.auc, default=None)
    base_12 = metrics.base_rate(label_12).value
    newly_12 = metrics.precision(table.is_newly_red, label_12).value
    withdrawers = set(table.apprentice_id[~np.isnan(table.withdrawal_day)])
    recall = []
    for weeks in LEAD_WEEKS:
        flagged = metrics.recall_before_event(
            table.apprentice_id, table.week_end, red | amber, table.withdrawal_day, weeks
        )
        flagged_red = metrics.recall_before_event(
            table.apprentice_id, table.week_end, red, table.withdrawal_day, weeks
        )
        recall.append(
            {
                "weeks_before": weeks,
                "withdrawers": flagged.denominator,
                "amber_or_red": flagged.value,
                "red": flagged_red.value,
            }
        )
    return OuladEvaluation(
        students_scored=len(set(table.apprentice_id)),
        student_weeks=int(table.apprentice_id.size),
        withdrawers_scored=len(withdrawers),
        base_rate_8w=metrics.base_rate(label).value,
        base_rate_12w=base_12,
        auc=metrics.auc(table.risk_score, label),
        auc_ci_95=metrics.auc_bootstrap_ci(
            table.risk_score, label, table.apprentice_id, n_boot=n_boot, seed=seed
        ),
        auc_ci_method=f"percentile bootstrap over students ({n_boot} resamples, seed {seed})",
        red_share=metrics.share(red).value,
        amber_share=metrics.share(amber).value,
        red_precision_8w=metrics.precision(red, label).value,
        newly_red_alerts=int(table.is_newly_red.sum()),
        newly_red_precision_8w=metrics.precision(table.is_newly_red, label).value,
        newly_red_precision_12w=newly_12,
        newly_red_ratio_to_base_rate_12w=newly_12 / base_12 if base_12 else math.nan,
        best_single_signal=best.name if best else "",
        best_single_signal_auc=best.auc if best else math.nan,
        signals=signals,
        recall_before_withdrawal=recall,
    )


def evaluate_oulad(
    warehouse: Path | str,
    data_dir: Path | str,
    *,
    modules: Collection[str] = (),
    presentations: Collection[str] = (),
    n_boot: int = 1000,
) -> OuladEvaluation:
    return evaluate(load_table(warehouse, data_dir, modules, presentations), n_boot=n_boot)


def format_report(result: OuladEvaluation) -> str:
    def pct(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{100 * x:.1f} %"

    def num(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.3f}"

    low, high = result.auc_ci_95
    lines = [
        f"Scored: {result.students_scored:,} students, {result.student_weeks:,} student-weeks, "
        f"{result.withdrawers_scored:,} of them withdraw (dated unregistration)",
        "",
        f"{'metric':<52} value",
        f"{'base rate: withdraws within 8 weeks':<52} {pct(result.base_rate_8w)}",
        f"{'base rate: withdraws within 12 weeks':<52} {pct(result.base_rate_12w)}",
        f"{'AUC of risk_score (withdraws within 8 weeks)':<52} {num(result.auc)}  "
        f"[95 % {num(low)} .. {num(high)}]",
        f"{'Red / Amber share of student-weeks':<52} {pct(result.red_share)} / {pct(result.amber_share)}",
        f"{'Red precision (withdraws within 8 weeks)':<52} {pct(result.red_precision_8w)}",
        f"{'newly-Red alerts':<52} {result.newly_red_alerts:,}",
        f"{'newly-Red precision, 8 weeks':<52} {pct(result.newly_red_precision_8w)}",
        f"{'newly-Red precision, 12 weeks':<52} {pct(result.newly_red_precision_12w)}",
        f"{'  ratio to the 12-week base rate':<52} {num(result.newly_red_ratio_to_base_rate_12w)}",
        "",
        f"{'single signal (NULL = median)':<36} {'AUC':>6} {'risk when':>10} {'coverage':>9} "
        f"{'AUC non-null':>13}",
    ]
    for s in sorted(result.signals, key=lambda s: -s.auc if not math.isnan(s.auc) else 1):
        lines.append(
            f"{s.name:<36} {num(s.auc):>6} {s.direction:>10} {pct(s.coverage):>9} {num(s.auc_non_null):>13}"
        )
    lines += [
        "",
        f"{'withdrawers flagged, k weeks before':<36} {'k':>3} {'n':>5} {'Amber/Red':>10} {'Red':>8}",
    ]
    for r in result.recall_before_withdrawal:
        lines.append(
            f"{'':<36} {r['weeks_before']:>3} {r['withdrawers']:>5} {pct(r['amber_or_red']):>10} "
            f"{pct(r['red']):>8}"
        )
    lines += [
        "",
        f"AUC interval: {result.auc_ci_method}. Single signals: direction chosen on the data, "
        "NULL imputed with the median.",
    ]
    return "\n".join(lines)


def to_json(result: OuladEvaluation) -> str:
    """The figures as JSON (NaN written as null)."""
    import json

    def clean(value: object) -> object:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(result.as_dict()), indent=2) + "\n"
