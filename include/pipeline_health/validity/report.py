"""The validity and fairness report of the risk score: `make validity`.

    python -m pipeline_health.validity.report --seed 303 --population 3000 \
        --output docs/validity.md --plot docs/validity.png

1. Builds its own warehouse of a full simulated history for a TEST seed (never the tuning
   seed of the fit, named in dbt_project.yml) under --workdir, scores it with the current
   var `risk_scoring` and measures it against the truth table (scoring/evaluate.py,
   validity/simulated.py).
2. Builds two short histories with the simulator's equity effect off and on and reads the
   equity mart's gap for the affected group (validity/equity_check.py).
3. Imports the real learners (OULAD) into a warehouse of their own, scores them with the
   pipeline's dbt models and measures the score against their real withdrawals
   (validity/oulad_evaluation.py), with a fitted-on-real-data yardstick
   (validity/oulad_ceiling.py).
4. Writes the Markdown report and its PNG figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import platform
import re
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from pipeline_health.config import SimulationConfig
from pipeline_health.scoring import evaluate
from pipeline_health.scoring.data import load_weeks
from pipeline_health.scoring.warehouse import DBT_DIR, build_history, history_config
from pipeline_health.validity import simulated
from pipeline_health.validity.equity_check import EquityGap, compare

log = logging.getLogger(__name__)

KINDS = ("gradual", "step", "abrupt")
LEAD_WEEKS = (0, 2, 4, 8)
TARGET_DECLINE_CAUGHT = 0.80
TARGET_NEWLY_RED_PRECISION = 0.60
TARGET_FNR_RATIO = 1.25
TARGET_OULAD_AUC = 0.75
TARGET_OULAD_LIFT = 3.0


class ReportError(RuntimeError):
    """A report that cannot be produced as asked (e.g. evaluating on the tuning seed)."""


def tuning_seed() -> int | None:
    """The --seed of the fit command recorded above the var risk_scoring."""
    text = (DBT_DIR / "dbt_project.yml").read_text()
    found = re.search(r"pipeline_health\.scoring\.fit --seed (\d+)", text)
    return int(found.group(1)) if found else None


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f} %"


def num(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def interval(ci: tuple[float, float] | None, scale: float = 100, unit: str = " %") -> str:
    if ci is None or any(math.isnan(v) for v in ci):
        return "–"
    return f"{scale * ci[0]:.1f}–{scale * ci[1]:.1f}{unit}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


# ---------------------------------------------------------------------------- simulated


def truth_declines(warehouse: Path) -> dict:
    """Declines and recovering dips of the truth table (evaluation only; the marts never read it)."""
    from pipeline_health.warehouse import open_duckdb

    with open_duckdb(warehouse, read_only=True) as con:
        declines = con.execute(
            """SELECT withdrawal_kind, decline_shape, decline_depth,
                      date_diff('day', decline_onset_date, withdrawal_date)
               FROM truth.apprentice_outcomes
               WHERE decline_onset_date IS NOT NULL AND withdrawal_date IS NOT NULL"""
        ).fetchall()
        dips, dip_depth = con.execute(
            """SELECT count(*), median(decline_depth) FROM truth.apprentice_outcomes
               WHERE decline_recovered_date IS NOT NULL"""
        ).fetchone()
    kind, shape, depth, days = (
        (np.array(c, dtype=object) for c in zip(*declines, strict=True))
        if declines
        else (np.array([], dtype=object),) * 4
    )
    return {
        "lost_by_21d": simulated.engagement_lost_by(kind, shape, depth.astype(float), days.astype(float)),
        "recovering_dips": int(dips),
        "recovering_dip_depth": dip_depth,
    }


def simulated_figures(rows: dict, config: dict, warehouse: Path) -> dict:
    """Every figure of the simulated sections, on one seed's apprentice-weeks."""
    result = evaluate.evaluate_seed(rows, config)  # also checks the mart against the var
    behaviour = simulated.without_status(config)
    refit = simulated.refit_in_sample(rows, config)
    variants = {"current": ("current weights", rows["risk_band"], rows["risk_score"].astype(float))}
    for name, label, cfg in (
        ("behaviour", "current weights without the status points", behaviour),
        ("refit", "best alternative found: refit on this seed", refit),
    ):
        variants[name] = (label, *simulated.scored(cfg, rows))
    metrics = {name: evaluate.band_metrics(rows, band, score) for name, (_, band, score) in variants.items()}
    metrics["old"] = result["old_score"]
    metrics["status_only"] = result["status_only"]
    labels = {name: label for name, (label, _, _) in variants.items()}
    labels["old"] = "hand-set score before the fit (status 60)"
    labels["status_only"] = "status only: At Risk => Red"
    kinds = rows["withdrawal_kind"][np.r_[True, rows["apprentice_id"][1:] != rows["apprentice_id"][:-1]]]
    return {
        "summary": result,
        "metrics": metrics,
        "labels": labels,
        "refit_config": refit,
        "latency": simulated.detection_latency(rows, rows["risk_band"]),
        "errors": simulated.group_errors(rows, rows["risk_band"]),
        "kinds": {k: int((kinds == k).sum()) for k in KINDS},
        "truth": truth_declines(warehouse),
    }


def simulated_section(fig: dict, seed: int, tuned_on: int | None, cfg: SimulationConfig) -> list[str]:
    s, m = fig["summary"], fig["metrics"]
    kinds = fig["kinds"]
    withdrawals = sum(kinds.values())
    lines = [
        f"## Simulated apprentices: test seed {seed}",
        "",
        f"The points were fitted on seed **{tuned_on}** (the command is above the var `risk_scoring` in "
        f"`dbt/dbt_project.yml`); every figure here is on seed **{seed}**, which the fit never saw. "
        f"{cfg.population:,} apprentices in cohorts {cfg.first_cohort} to {cfg.last_cohort}, every day "
        f"until the last one leaves; {s['apprentice_weeks']:,} scored apprentice-weeks after a 5-week "
        f'warm-up; base rate of "withdraws within 8 weeks" {pct(s["base_rate_8w"])}.',
        "",
        "Withdrawals by kind (truth table): "
        + ", ".join(
            f"{k} {kinds[k]:,} ({pct(kinds[k] / withdrawals if withdrawals else math.nan, 0)})" for k in KINDS
        )
        + ".",
        "",
        "### The current weights against the alternatives",
        "",
        "Same apprentice-weeks for every column. *Refit on this seed* is the best alternative this report "
        "found: the same factors and method as the fit, refitted on the test history itself (in-sample, so "
        "an optimistic ceiling for these factors).",
        "",
    ]
    names = list(fig["labels"])
    header = ["figure", *(fig["labels"][n] for n in names)]
    rows = [
        ["AUC, withdraws within 8 weeks", *(num(m[n]["auc_8w"]) for n in names)],
        *[[f"  AUC, {k} withdrawals", *(num(m[n][f"auc_8w_{k}"]) for n in names)] for k in KINDS],
        [
            "Red / Amber share of weeks",
            *(f"{pct(m[n]['red_share_of_weeks'])} / {pct(m[n]['amber_share_of_weeks'])}" for n in names),
        ],
        ["newly-Red alerts", *(str(m[n]["newly_red_weeks"]) for n in names)],
        [
            "newly-Red precision (withdraws within 12 weeks)",
            *(pct(m[n]["newly_red_precision_12w"]) for n in names),
        ],
        [
            "declines flagged Amber/Red within 3 weeks of onset",
            *(pct(m[n]["decline_caught_3w"]) for n in names),
        ],
        [
            "withdrawers never Red in their last 8 weeks (FNR)",
            *(pct(m[n]["fnr_withdrawers_overall"]) for n in names),
        ],
        ["highest group FNR / overall", *(num(m[n]["fnr_max_ratio"], 2) for n in names)],
    ]
    lines += table(header, rows)
    current = m["current"]
    lines += [
        f"Red weeks that carry a recorded At Risk status: {pct(current['red_weeks_with_at_risk'])}; "
        f"Red weeks that are Red only through the status points: "
        f"{pct(current.get('red_weeks_decided_by_status'))} (At Risk "
        f"{pct(current.get('red_weeks_decided_by_at_risk'))}, Delayed, i.e. a recorded break in learning, "
        f"{pct(current.get('red_weeks_decided_by_delayed'))}).",
        "",
    ]

    lines += [
        "### Recall before withdrawal (current weights)",
        "",
        "Of the withdrawers scored in the week ending 7k+1 to 7k+7 days before their withdrawal, the "
        "share flagged that week: Amber or Red / Red.",
        "",
    ]
    lines += table(
        ["weeks before", *KINDS, "all"],
        [
            [
                str(w),
                *(
                    f"{pct(current[f'recall_flagged_{w}w_{k}'], 0)} / "
                    f"{pct(current[f'recall_red_{w}w_{k}'], 0)}"
                    for k in (*KINDS, "all")
                ),
            ]
            for w in LEAD_WEEKS
        ],
    )

    lines += [
        "### Detection latency from the onset of a decline (current weights)",
        "",
        "Withdrawers whose engagement declined (truth `decline_onset_date`): days from the onset to the "
        "first Amber or Red week ending on or after it, before the withdrawal. Abrupt withdrawals have "
        "no decline to detect.",
        "",
    ]
    lat = fig["latency"]
    lines += table(
        [
            "kind",
            "decliners",
            "flagged within 21 days",
            "median days (never = ∞)",
            "75th percentile",
            "median if flagged",
            "never flagged",
        ],
        [
            [
                k,
                str(v["decliners"]),
                pct(v["caught_21d"]),
                _days(v["median_days"]),
                _days(v["p75_days"]),
                _days(v["median_days_if_caught"]),
                pct(v["never"]),
            ]
            for k, v in sorted(lat.items(), key=lambda kv: kv[0] == "all")
        ],
    )
    truth = fig["truth"]
    lost = truth["lost_by_21d"]
    lines += [
        "How much there is to see by day 21 (truth table): the share of their engagement that decliners "
        "have lost 21 days after the onset, 25th / 50th / 75th percentile: "
        + "; ".join(f"{k} {pct(q[0], 0)} / {pct(q[1], 0)} / {pct(q[2], 0)}" for k, q in lost.items())
        + f". Meanwhile {truth['recovering_dips']:,} apprentices who stay have a dip that recovers "
        f"(median depth {pct(truth['recovering_dip_depth'], 0)}): early in a decline the two look alike.",
        "",
    ]

    lines += [
        "### Error rates by group (current weights)",
        "",
        "FNR: withdrawers never Red in the 8 weeks before withdrawing (Wilson 95 % interval). FPR: Red "
        "weeks among weeks not followed by a withdrawal within 8 weeks (95 % bootstrap over apprentices). "
        "Groups with fewer than 10 withdrawers (FNR) or apprentices (FPR) are suppressed (–).",
        "",
    ]
    overall = next(e for e in fig["errors"] if e.dimension == "all")
    lines += table(
        [
            "dimension",
            "group",
            "apprentices",
            "withdrawers",
            "FNR",
            "FNR 95 %",
            "FNR / overall",
            "FPR",
            "FPR 95 %",
        ],
        [
            [
                e.dimension,
                e.group,
                f"{e.apprentices:,}",
                f"{e.withdrawers:,}",
                pct(e.fnr),
                interval(e.fnr_ci),
                num(e.fnr / overall.fnr, 2) if e.fnr is not None and overall.fnr else "–",
                pct(e.fpr, 2),
                interval(e.fpr_ci, unit=" %"),
            ]
            for e in fig["errors"]
        ],
    )
    return lines


def _days(value: float) -> str:
    if math.isinf(value):
        return "∞"
    return "–" if math.isnan(value) else f"{value:.0f}"


# ---------------------------------------------------------------------------- equity


def equity_section(off: EquityGap, on: EquityGap, weeks: int, cfg: SimulationConfig) -> list[str]:
    lines = [
        "## Equity lens: a gap put there is found, and none otherwise",
        "",
        f"Two histories of {weeks} weeks from {cfg.first_cohort}-01, seed {cfg.seed}, "
        f"{cfg.population:,} apprentices, identical except the simulator's equity effect: coach feedback for "
        f"*{cfg.equity_effect_group}* apprentices at {cfg.equity_effect_feedback_factor:g} x the usual rate. "
        "Read from `marts.fct_equity_gaps_weekly` (all programmes, ethnicity group), in the last week "
        "where the group is shown; gaps are the group minus everyone else, with the mart's 95 % interval.",
        "",
    ]
    rows = []
    for gap in (off, on):
        state = "on" if gap.effect_on else "off"
        if gap.week_start_date is None:
            rows.append([state, "suppressed in every week", "–", "–", "–"])
            continue
        rows.append(
            [
                state,
                str(gap.week_start_date),
                str(gap.group_in_learning),
                f"{num(gap.gap_mean_days_since_feedback, 1)} "
                f"({interval(gap.gap_mean_days_since_feedback_ci, 1, '')})",
                f"{pct(gap.gap_red_share)} ({interval(gap.gap_red_share_ci)})",
            ]
        )
    lines += table(
        [
            "equity effect",
            "week",
            "group in learning (rounded to 5)",
            "gap, mean days since feedback (95 %)",
            "gap, Red share (95 %)",
        ],
        rows,
    )
    lines += [equity_verdict(off, on), ""]
    return lines


def equity_verdict(off: EquityGap, on: EquityGap) -> str:
    if off.gap_mean_days_since_feedback_ci is None or on.gap_mean_days_since_feedback_ci is None:
        return "**Not measured**: the group is suppressed (fewer than 10) in one of the histories."
    found = on.gap_mean_days_since_feedback_ci[0] > 0
    low, high = off.gap_mean_days_since_feedback_ci
    quiet = low <= 0 <= high or abs(off.gap_mean_days_since_feedback) < 0.5 * abs(
        on.gap_mean_days_since_feedback
    )
    return (
        f"With the effect on, the interval of the feedback gap {'excludes' if found else 'does not exclude'} "
        f"zero; with it off, {'no gap of that size' if quiet else 'a gap of similar size'} "
        f"({num(off.gap_mean_days_since_feedback, 1)} days). "
        + (
            "The lens finds the planted gap and only it."
            if found and quiet
            else "**The lens does not separate the two histories: see the figures.**"
        )
    )


# ---------------------------------------------------------------------------- OULAD


def alerts_by_final_result(warehouse: Path, data_dir: Path) -> dict[tuple[bool, str], int]:
    """Newly-Red alerts on the real learners by (inactivity had points, the student's final_result).

    The label counts only dated unregistrations; a student who stops and ends with Fail has
    disengaged too. This shows whom the alerts reach, not a second label."""
    import duckdb

    from pipeline_health.oulad.mapping import apprentice_id
    from pipeline_health.oulad.reader import read_oulad

    students = read_oulad(data_dir, activity=False).students
    final = {apprentice_id(key): student.final_result for key, student in students.items()}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.sql("select apprentice_id, points_inactivity > 0 from marts.fct_apprentice_risk_weekly "
                       "where is_newly_red").fetchall()
    finally:
        con.close()
    counts: dict[tuple[bool, str], int] = {}
    for apprentice, inactive in rows:
        key = (bool(inactive), final.get(apprentice, "unknown"))
        counts[key] = counts.get(key, 0) + 1
    return counts


def oulad_figures(data_dir: Path, workdir: Path, n_boot: int) -> dict:
    from pipeline_health.loaders.duckdb_loader import DuckDBLoader
    from pipeline_health.oulad import duckdb_event_days, import_oulad
    from pipeline_health.oulad.scoring import score_warehouse
    from pipeline_health.validity.metrics import oriented_auc
    from pipeline_health.validity.oulad_ceiling import cross_presentation_auc
    from pipeline_health.validity.oulad_evaluation import evaluate, load_table
    from pipeline_health.validity.oulad_overdue import overdue_assessments

    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "warehouse.duckdb"
    started = time.perf_counter()
    summary = import_oulad(data_dir, DuckDBLoader(warehouse), existing_days=duckdb_event_days(warehouse))
    score_warehouse(warehouse, summary.first_day, summary.last_day)
    table_ = load_table(warehouse, data_dir)
    overdue = overdue_assessments(table_, data_dir)
    label = table_.label(8)
    with_overdue = dataclasses.replace(table_, measures={**table_.measures, "overdue_assessments": overdue})
    return {
        "evaluation": evaluate(table_, n_boot=n_boot),
        "ceiling": cross_presentation_auc(table_),
        "ceiling_with_overdue": cross_presentation_auc(with_overdue),
        "overdue_auc": oriented_auc(overdue, label),
        "overdue_share": float((overdue > 0).mean()) if len(overdue) else math.nan,
        "alerts_by_final_result": alerts_by_final_result(warehouse, data_dir),
        "presentations": summary.presentations,
        "students": summary.students,
        "seconds": time.perf_counter() - started,
    }


def oulad_section(fig: dict, data_dir: Path) -> list[str]:
    e = fig["evaluation"]
    lines = [
        "## Real learners: the Open University Learning Analytics Dataset",
        "",
        f"{', '.join(fig['presentations'])} from `{data_dir}` ({fig['students']:,} students), imported with "
        "`import-oulad` (mapping: `docs/oulad_mapping.md`) and scored by the pipeline's own dbt models with "
        "the current weights. Label: the student's dated unregistration within 8 weeks of the week's Sunday. "
        "No coach contact, no off-the-job plan and no recorded status exist in these data: those factors "
        "are unknown (0 points), never risk.",
        "",
        '> Data: Kuzilek, J., Hlosta, M. and Zdrahal, Z. (2017), "Open University Learning Analytics '
        'dataset", *Scientific Data* 4, 170171, doi:10.1038/sdata.2017.171. CC BY 4.0.',
        "",
    ]
    lines += table(
        ["figure", "value"],
        [
            [
                "students scored / student-weeks / withdrawers scored",
                f"{e.students_scored:,} / {e.student_weeks:,} / {e.withdrawers_scored:,}",
            ],
            ["base rate, withdraws within 8 / 12 weeks", f"{pct(e.base_rate_8w)} / {pct(e.base_rate_12w)}"],
            [
                "AUC of risk_score (8 weeks)",
                f"**{num(e.auc)}** (95 % {num(e.auc_ci_95[0])}–{num(e.auc_ci_95[1])}, {e.auc_ci_method})",
            ],
            ["best single signal", f"{e.best_single_signal}: {num(e.best_single_signal_auc)}"],
            ["Red / Amber share of student-weeks", f"{pct(e.red_share)} / {pct(e.amber_share)}"],
            ["newly-Red alerts", str(e.newly_red_alerts)],
            [
                "newly-Red precision, 8 / 12 weeks",
                f"{pct(e.newly_red_precision_8w)} / {pct(e.newly_red_precision_12w)}",
            ],
            [
                "newly-Red precision (12 weeks) / 12-week base rate",
                num(e.newly_red_ratio_to_base_rate_12w, 2),
            ],
        ],
    )
    by_final = fig["alerts_by_final_result"]
    results = ("Withdrawn", "Fail", "Pass", "Distinction")
    lines += [
        "Whom the newly-Red alerts reach: the student's final result in OULAD, by whether the inactivity "
        "run (6 weeks with nothing done) gave the points. The label counts only dated unregistrations; a "
        "student who stops and ends with Fail without unregistering has disengaged as well.",
        "",
    ]
    lines += table(
        ["newly-Red alerts", *results, "all"],
        [
            [label, *(str(by_final.get((inactive, r), 0)) for r in results),
             str(sum(v for (i, _), v in by_final.items() if i == inactive))]
            for inactive, label in ((True, "with inactivity points"), (False, "without"))
        ],
    )
    lines += ["Withdrawers flagged k weeks before withdrawing (Amber or Red / Red):", ""]
    lines += table(
        ["weeks before", "withdrawers", "Amber or Red", "Red"],
        [
            [str(r["weeks_before"]), str(r["withdrawers"]), pct(r["amber_or_red"], 0), pct(r["red"], 0)]
            for r in e.recall_before_withdrawal
        ],
    )
    lines += [
        "Each signal on its own (AUC, direction chosen on the same data; NULL = median; signals that are "
        "constant here, the absent sources, left out):",
        "",
    ]
    shown = [s for s in e.signals if s.coverage > 0 and not (s.auc == 0.5 and s.auc_non_null == 0.5)]
    lines += table(
        ["signal", "AUC", "risk when", "coverage", "AUC where present"],
        [
            [s.name, num(s.auc), s.direction, pct(s.coverage, 0), num(s.auc_non_null)]
            for s in sorted(shown, key=lambda s: -s.auc)
        ],
    )
    lines += [
        "**Yardstick**: how far could any weighting of these measures go? An L2 logistic regression on "
        "every measure of the risk mart (with missing-value flags), fitted on one presentation's real "
        "learners and tested on the other (`validity/oulad_ceiling.py`):",
        "",
    ]
    with_overdue = {(c["train"], c["test"]): c["auc"] for c in fig["ceiling_with_overdue"]}
    lines += table(
        ["fitted on", "tested on", "measures", "test student-weeks", "AUC", "AUC with overdue assessments"],
        [
            [
                c["train"],
                c["test"],
                str(c["measures"]),
                f"{c['test_rows']:,}",
                num(c["auc"]),
                num(with_overdue.get((c["train"], c["test"]))),
            ]
            for c in fig["ceiling"]
        ],
    )
    auc_overdue, direction = fig["overdue_auc"]
    lines += [
        "**A signal the raw contract cannot carry**: non-exam assessments past their due date without a "
        "submission (`assessments.csv` has due days; the contract has quiz attempts but no schedule of what "
        f"was due; `validity/oulad_overdue.py`). On its own: AUC {num(auc_overdue)} (risk when {direction}; "
        f"{pct(fig['overdue_share'], 0)} of student-weeks have one). The last column above adds it to the "
        "yardstick's measures.",
        "",
    ]
    return lines


# ---------------------------------------------------------------------------- targets


def targets_section(sim: dict, oulad: dict | None, seed: int) -> list[str]:
    m = sim["metrics"]["current"]
    ratio, worst = simulated.max_fnr_ratio(sim["errors"])
    kinds = sim["kinds"]
    abrupt = kinds["abrupt"] / max(1, sum(kinds.values()))
    rows = [
        ["abrupt share of withdrawals (truth) near a third", pct(abrupt), _met(0.25 <= abrupt <= 0.42)],
        [
            "declining withdrawers flagged Amber/Red within 3 weeks of onset ≥ 80 %",
            pct(m["decline_caught_3w"]),
            _met(
                m["decline_caught_3w"] >= TARGET_DECLINE_CAUGHT,
                m["decline_caught_3w"] - TARGET_DECLINE_CAUGHT,
                "points",
            ),
        ],
        [
            "newly-Red precision (withdraws within 12 weeks) ≥ 60 %",
            pct(m["newly_red_precision_12w"]),
            _met(
                m["newly_red_precision_12w"] >= TARGET_NEWLY_RED_PRECISION,
                m["newly_red_precision_12w"] - TARGET_NEWLY_RED_PRECISION,
                "points",
            ),
        ],
        [
            f"no group's FNR above 1.25 x overall (highest: {worst})",
            num(ratio, 2),
            _met(ratio <= TARGET_FNR_RATIO),
        ],
        [
            "the status factor no longer decides most Red weeks (share Red only through its points: "
            "At Risk + Delayed)",
            f"{pct(m.get('red_weeks_decided_by_status'))} ({pct(m.get('red_weeks_decided_by_at_risk'))} + "
            f"{pct(m.get('red_weeks_decided_by_delayed'))})",
            _met((m.get("red_weeks_decided_by_status") or 0) < 0.5),
        ],
        [
            "... and most newly-Red alerts (share Red only through its points)",
            pct(m.get("newly_red_decided_by_status")),
            _met((m.get("newly_red_decided_by_status") or 0) < 0.5),
        ],
    ]
    if oulad:
        e = oulad["evaluation"]
        rows += [
            [
                "OULAD: AUC (withdraws within 8 weeks) ≥ 0.75",
                num(e.auc),
                _met(e.auc >= TARGET_OULAD_AUC, e.auc - TARGET_OULAD_AUC, ""),
            ],
            [
                "OULAD: AUC above every single signal",
                f"{num(e.auc)} vs {num(e.best_single_signal_auc)}",
                _met(e.auc > e.best_single_signal_auc, e.auc - e.best_single_signal_auc, ""),
            ],
            [
                "OULAD: newly-Red precision ≥ 3 x base rate",
                f"{num(e.newly_red_ratio_to_base_rate_12w, 2)} x ({e.newly_red_alerts} alerts)",
                _met(e.newly_red_ratio_to_base_rate_12w >= TARGET_OULAD_LIFT),
            ],
        ]
    return [
        f"## Targets (issue 9), on test seed {seed} and the real learners",
        "",
        *table(["target", "measured", "met"], rows),
    ]


def _met(ok: bool, by: float | None = None, unit: str = "") -> str:
    if ok:
        return "yes"
    if by is None:
        return "**no**"
    amount = f"{100 * by:+.1f} {unit}" if unit == "points" else f"{by:+.3f}"
    return f"**no** ({amount.strip()})"


def write_report(path: Path, parts: list[list[str]], header: list[str]) -> None:
    text = "\n".join([*header, *(line for part in parts for line in part)]).rstrip() + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=303, help="test seed (must not be the tuning seed)")
    parser.add_argument("--population", type=int, default=3000)
    parser.add_argument("--first-cohort", default="2024-01")
    parser.add_argument("--last-cohort", default="2024-12")
    parser.add_argument("--equity-weeks", type=int, default=26,
                        help="length of the equity on/off histories (0: leave the equity check out)")
    parser.add_argument(
        "--equity-population", type=int, help="apprentices of the equity histories (default: --population)"
    )
    parser.add_argument("--workdir", type=Path, default=Path(".state/validity"))
    parser.add_argument("--oulad-dir", type=Path, default=Path("../shared/data/oulad-aaa"))
    parser.add_argument("--no-oulad", action="store_true", help="leave out the real-data section")
    parser.add_argument("--bootstrap", type=int, default=1000, help="resamples of the OULAD AUC interval")
    parser.add_argument("--output", type=Path, default=Path("docs/validity.md"))
    parser.add_argument("--plot", type=Path, default=Path("docs/validity.png"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    tuned_on = tuning_seed()
    if args.seed == tuned_on:
        raise ReportError(
            f"--seed {args.seed} is the tuning seed of the fit (dbt_project.yml): "
            "evaluate on a seed the weights never saw"
        )
    if not args.no_oulad and not (args.oulad_dir / "studentInfo.csv").is_file():
        raise ReportError(
            f"--oulad-dir {args.oulad_dir}: no OULAD files (studentInfo.csv) there; "
            "pass the folder or --no-oulad"
        )
    started = time.perf_counter()
    timings: dict[str, float] = {}
    cfg = history_config(args.seed, args.population, args.first_cohort, args.last_cohort)
    history, _ = build_history(args.workdir / f"seed{args.seed}", cfg)
    rows = load_weeks(history.path)
    sim = simulated_figures(rows, evaluate.current_config(), history.path)
    timings["simulated history"] = time.perf_counter() - started

    step = time.perf_counter()
    equity_cfg = dataclasses.replace(cfg, population=args.equity_population or args.population)
    equity = None
    if args.equity_weeks > 0:
        equity = compare(args.workdir, equity_cfg, args.equity_weeks)
        timings["equity on/off"] = time.perf_counter() - step

    oulad = None
    if not args.no_oulad:
        step = time.perf_counter()
        oulad = oulad_figures(args.oulad_dir, args.workdir / "oulad", args.bootstrap)
        timings["real learners"] = time.perf_counter() - step

    from pipeline_health.validity.plot import draw

    draw(
        args.plot,
        seed=args.seed,
        metrics=sim["metrics"]["current"],
        errors=sim["errors"],
        oulad_recall=oulad["evaluation"].recall_before_withdrawal if oulad else None,
    )
    timings["total"] = time.perf_counter() - started
    command = (
        "python -m pipeline_health.validity.report " + " ".join(argv if argv is not None else sys.argv[1:])
    ).strip()
    header = [
        "# Validity and fairness of the risk score",
        "",
        f"Written by `make validity` (`{command}`) on {date.today().isoformat()}, "
        f"{platform.machine()} with {_cpus()} cores, in {timings['total']:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items() if k != 'total')}). "
        "Do not edit by hand: re-run the command. What the figures mean and why targets are missed: "
        "`docs/validity_notes.md`.",
        "",
        f"![Recall before withdrawal and error rates by group]({args.plot.name})",
        "",
    ]
    parts = [
        targets_section(sim, oulad, args.seed),
        simulated_section(sim, args.seed, tuned_on, cfg),
        equity_section(*equity, args.equity_weeks, equity_cfg) if equity
        else ["## Equity lens", "", "Not run (`--equity-weeks 0`).", ""],
    ]
    if oulad:
        parts.append(oulad_section(oulad, args.oulad_dir))
    write_report(args.output, parts, header)
    print(f"wrote {args.output} and {args.plot} in {timings['total']:.0f} s")
    return 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ReportError as exc:
        print(f"validity report: {exc}", file=sys.stderr)
        sys.exit(2)
