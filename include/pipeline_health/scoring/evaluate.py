"""Evaluate the weekly risk score against the simulated truth, on several seeds.

    python -m pipeline_health.scoring.evaluate --seeds 101 202 303 --population 3000

For each seed: builds (or reuses) a full simulated history (scoring/warehouse.py), rebuilds
fct_apprentice_risk_weekly with the current var `risk_scoring`, and measures, on the mart's
own risk_score / risk_band (checked against scorecard.score_rows):

* AUC for "withdraws within 8 weeks" (apprentice-weeks), overall and per withdrawal kind
  (positives of that kind against every negative week), beside attendance alone, the old
  hand-set score and the "status only" rule (At Risk => Red);
* newly-Red precision: newly-Red weeks whose apprentice withdraws within 12 weeks;
* the share of Red weeks that carry At Risk;
* declines caught: withdrawers whose engagement declined (truth decline_onset_date) flagged
  Amber or Red in a week ending within 3 weeks (21 days) of the onset;
* recall 0/2/4/8 weeks before withdrawal: the withdrawer's week ending at least 7k+1 days
  before the withdrawal is Red (and Amber or Red), per withdrawal kind;
* false-negative rate per group (gender, ethnicity group, IMD quintile, LDD): withdrawers
  never Red in the 8 weeks before withdrawing; groups under 10 withdrawers suppressed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from pipeline_health.scoring.data import load_weeks, withdraws_within
from pipeline_health.scoring.scorecard import FACTORS, newly_red, score_rows
from pipeline_health.scoring.warehouse import DBT_DIR, build_history, history_config
from pipeline_health.validity.metrics import auc
from pipeline_health.validity.simulated import MIN_GROUP, apprentice_spans, group_members, missed_withdrawers

log = logging.getLogger(__name__)

KINDS = ("gradual", "step", "abrupt")
DAY = np.timedelta64(1, "D")

# The hand-set score before the fit (status 60 points), for comparison only. Its feedback
# measure was days_since_last_feedback, counted from the start when no contact exists.
OLD_SCORE = {
    "red_min_score": 80, "amber_min_score": 50, "score_cap": 100,
    "factors": {
        "status": {"points_by_value": {"At Risk": 60, "Delayed": 10}},
        "attendance": {"points_below": [{"below": 0.5, "points": 40}, {"below": 0.65, "points": 25},
                                        {"below": 0.8, "points": 10}]},
        "quiz": {"points_below": [{"below": 50, "points": 30}, {"below": 60, "points": 20},
                                  {"below": 70, "points": 10}], "if_null": 10},
        "otj": {"points_below": [{"below": 0.5, "points": 25}, {"below": 0.7, "points": 15},
                                 {"below": 0.85, "points": 5}]},
        "old_feedback": {"points_at_least": [{"at_least": 42, "points": 15}, {"at_least": 28, "points": 10},
                                             {"at_least": 14, "points": 5}]},
    },
}



def share(mask: np.ndarray) -> float:
    """Mean of a boolean array; NaN when empty."""
    mask = np.asarray(mask, dtype=bool)
    return float(mask.mean()) if mask.size else float("nan")

def current_config() -> dict:
    return yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]["risk_scoring"]


def old_score(rows: dict) -> np.ndarray:
    from pipeline_health.scoring.scorecard import AT_LEAST, Factor, factor_points

    factors = [f for f in FACTORS if f.name in OLD_SCORE["factors"]]
    factors.append(Factor("old_feedback", "days_since_last_feedback", AT_LEAST, (), ""))
    total = sum(factor_points(f, {"if_null": 0, **OLD_SCORE["factors"][f.name]}, rows[f.measure])
                for f in factors)
    return np.minimum(total, 100)


def band_metrics(rows: dict, band: np.ndarray, score: np.ndarray) -> dict:
    """Every metric of the module docstring for one banding of the apprentice-weeks."""
    y8 = withdraws_within(rows, 8)
    red = band == "Red"
    flagged = red | (band == "Amber")
    kind = rows["withdrawal_kind"]
    out: dict = {"auc_8w": auc(score, y8)}
    for k in KINDS:
        keep = ~y8 | (kind == k)
        out[f"auc_8w_{k}"] = auc(score[keep], y8[keep])
    new = newly_red(rows["apprentice_id"], rows["week_start_date"], red)
    out["newly_red_weeks"] = int(new.sum())
    out["newly_red_precision_12w"] = share(withdraws_within(rows, 12)[new])
    out["newly_red_precision_8w"] = share(y8[new])
    out["red_share_of_weeks"] = share(red)
    out["amber_share_of_weeks"] = share(band == "Amber")
    out["red_precision_8w"] = share(y8[red])
    out["red_weeks_with_at_risk"] = share(rows["current_progression_status"][red] == "At Risk")
    if "points_status" in rows and band is rows["risk_band"]:
        # Red only because of the recorded status: below 80 without its points.
        decided = (rows["points_total"] - rows["points_status"]) < 80
        status = rows["current_progression_status"]
        out["red_weeks_decided_by_status"] = share(decided[red])
        out["red_weeks_decided_by_at_risk"] = share((decided & (status == "At Risk"))[red])
        out["red_weeks_decided_by_delayed"] = share((decided & (status == "Delayed"))[red])
        out["newly_red_decided_by_status"] = share(decided[new])
        out["newly_red_decided_by_at_risk"] = share((decided & (status == "At Risk"))[new])

    end, withdrawal, onset = rows["week_end_date"], rows["withdrawal_date"], rows["decline_onset_date"]
    spans = apprentice_spans(rows["apprentice_id"])  # rows are sorted by apprentice, week
    caught: dict[str, list[bool]] = {k: [] for k in ("gradual", "step")}
    recall: dict[tuple[str, int], list[tuple[bool, bool]]] = {}
    for a, b in spans:
        w = withdrawal[a]
        if np.isnat(w):
            continue
        k = kind[a]
        if not np.isnat(onset[a]) and k in caught:
            window = (end[a:b] >= onset[a]) & (end[a:b] <= onset[a] + 21 * DAY)
            if window.any():
                caught[k].append(bool(flagged[a:b][window].any()))
        for weeks_before in (0, 2, 4, 8):
            latest = w - (1 + 7 * weeks_before) * DAY
            hit = np.flatnonzero((end[a:b] <= latest) & (end[a:b] > latest - 7 * DAY))
            if len(hit):
                i = a + hit[-1]
                recall.setdefault((k, weeks_before), []).append((bool(red[i]), bool(flagged[i])))
    for k, hits in caught.items():
        out[f"decline_caught_3w_{k}"] = share(np.array(hits))
        out[f"decline_withdrawers_{k}"] = len(hits)
    all_hits = caught["gradual"] + caught["step"]
    out["decline_caught_3w"] = share(np.array(all_hits))
    for weeks_before in (0, 2, 4, 8):
        for k in (*KINDS, "all"):
            pairs = [p for kk in (KINDS if k == "all" else (k,)) for p in recall.get((kk, weeks_before), [])]
            out[f"recall_red_{weeks_before}w_{k}"] = share(np.array([p[0] for p in pairs]))
            out[f"recall_flagged_{weeks_before}w_{k}"] = share(np.array([p[1] for p in pairs]))
    is_withdrawer, missed = missed_withdrawers(rows, red, spans)
    overall = share(missed[is_withdrawer])
    out["fnr_withdrawers_overall"] = overall
    groups = {}
    for group, value, member in sorted(group_members(rows, spans)[1:], key=lambda m: m[:2]):
        n = int((member & is_withdrawer).sum())
        if n == 0:  # no withdrawer scored in the group: no row
            continue
        rate = share(missed[member & is_withdrawer]) if n >= MIN_GROUP else None
        groups[f"{group}={value}"] = {"withdrawers": n, "fnr": rate,
                                      "ratio": None if rate is None else rate / overall}
    out["fnr_groups"] = groups
    ratios = [g["ratio"] for g in groups.values() if g["ratio"] is not None]
    out["fnr_max_ratio"] = max(ratios) if ratios else float("nan")
    return out


def oulad_like(rows: dict) -> dict:
    """The same apprentice-weeks as a source like the Open University data would give them:
    weekly activity (sessions) and assessments (quizzes) only; no coach contact, no
    off-the-job plan, no recorded status (the daily mart's default, Active)."""
    nan = np.full(len(rows["apprentice_id"]), np.nan)
    out = dict(rows)
    out["current_progression_status"] = np.full(len(nan), "Active", dtype=object)
    for f in FACTORS:
        if f.name.startswith("otj") or f.name == "feedback":
            out[f.measure] = nan
    # Without any contact the old measure was a clock: days since the start.
    out["days_since_last_feedback"] = rows["days_since_start"]
    return out


def bands(score: np.ndarray) -> np.ndarray:
    return np.where(score >= 80, "Red", np.where(score >= 50, "Amber", "Green"))


def evaluate_seed(rows: dict, config: dict) -> dict:
    python = score_rows(config, rows)
    mismatches = int((python["points_total"] != rows["points_total"]).sum())
    if mismatches:
        raise RuntimeError(f"{mismatches} apprentice-weeks: the mart's points_total differs from the var "
                           "(rebuild the risk mart after changing the var)")
    y8 = withdraws_within(rows, 8)
    status_band = np.where(rows["current_progression_status"] == "At Risk", "Red", "Green")
    attendance = np.where(np.isnan(rows["attendance_only"]), 1.0, rows["attendance_only"])
    previous = old_score(rows)
    oulad = oulad_like(rows)
    return {
        "auc_8w_oulad_like_score": auc(score_rows(config, oulad)["risk_score"].astype(float), y8),
        "auc_8w_oulad_like_old_score": auc(old_score(oulad).astype(float), y8),
        "apprentice_weeks": len(y8),
        "apprentices": int(len(np.unique(rows["apprentice_id"]))),
        "withdrawers": int(len(np.unique(rows["apprentice_id"][~np.isnat(rows["withdrawal_date"])]))),
        "base_rate_8w": share(y8),
        "auc_8w_points_total": auc(rows["points_total"].astype(float), y8),
        "auc_8w_attendance_only": auc(-attendance, y8),
        "auc_8w_old_score": auc(previous.astype(float), y8),
        "score": band_metrics(rows, rows["risk_band"], rows["risk_score"].astype(float)),
        "status_only": band_metrics(rows, status_band, (status_band == "Red").astype(float)),
        "old_score": band_metrics(rows, bands(previous), previous.astype(float)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 202, 303])
    parser.add_argument("--population", type=int, default=3000)
    parser.add_argument("--first-cohort", default="2024-01")
    parser.add_argument("--last-cohort", default="2024-12")
    parser.add_argument("--workdir", type=Path, default=Path(".state/scoring"))
    parser.add_argument("--output", type=Path, help="JSON file for the figures")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = current_config()
    results = {}
    for seed in args.seeds:
        started = time.perf_counter()
        history, timings = build_history(args.workdir / f"seed{seed}",
                                         history_config(seed, args.population, args.first_cohort,
                                                        args.last_cohort))
        rows = load_weeks(history.path)
        results[seed] = {**evaluate_seed(rows, config), "timings_s": timings,
                         "wall_s": time.perf_counter() - started}
        log.info("seed %s done in %.0f s", seed, results[seed]["wall_s"])
    text = json.dumps(results, indent=2, default=float)
    if args.output:
        args.output.write_text(text)
    print(report(results))
    return 0


def _pct(value) -> str:
    return "-" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{100 * value:.1f}"


def report(results: dict) -> str:
    """Plain-text tables: one column per seed."""
    seeds = list(results)
    lines = ["metric | " + " | ".join(f"seed {s}" for s in seeds)]

    def row(label: str, get, fmt=_pct) -> None:
        lines.append(f"{label} | " + " | ".join(fmt(get(results[s])) for s in seeds))

    num = str
    row("apprentice-weeks", lambda r: r["apprentice_weeks"], num)
    row("withdrawers", lambda r: r["withdrawers"], num)
    row("base rate withdraws in 8 weeks %", lambda r: r["base_rate_8w"])
    for name in ("score", "old_score", "status_only"):
        lines.append(f"-- {name}")
        row("AUC 8 weeks", lambda r, n=name: r[n]["auc_8w"], lambda v: f"{v:.3f}")
        for k in KINDS:
            row(f"AUC 8 weeks, {k}", lambda r, n=name, k=k: r[n][f"auc_8w_{k}"], lambda v: f"{v:.3f}")
        row("Red / Amber % of weeks",
            lambda r, n=name: (r[n]["red_share_of_weeks"], r[n]["amber_share_of_weeks"]),
            lambda v: f"{_pct(v[0])} / {_pct(v[1])}")
        row("Red precision 8 weeks %", lambda r, n=name: r[n]["red_precision_8w"])
        row("newly Red (weeks)", lambda r, n=name: r[n]["newly_red_weeks"], num)
        row("newly-Red precision 12 weeks %", lambda r, n=name: r[n]["newly_red_precision_12w"])
        row("Red weeks with At Risk %", lambda r, n=name: r[n]["red_weeks_with_at_risk"])
        row("Red weeks Red only through status points %",
            lambda r, n=name: r[n].get("red_weeks_decided_by_status"))
        row("declines flagged <= 3 weeks %", lambda r, n=name: r[n]["decline_caught_3w"])
        for k in ("gradual", "step"):
            row(f"  {k}", lambda r, n=name, k=k: r[n][f"decline_caught_3w_{k}"])
        for wb in (0, 2, 4, 8):
            for k in (*KINDS, "all"):
                row(f"recall Red / Amber+ {wb} weeks before, {k} %",
                    lambda r, n=name, wb=wb, k=k: (r[n][f"recall_red_{wb}w_{k}"],
                                                   r[n][f"recall_flagged_{wb}w_{k}"]),
                    lambda v: f"{_pct(v[0])} / {_pct(v[1])}")
        row("FNR withdrawers (never Red in last 8 weeks) %",
            lambda r, n=name: r[n]["fnr_withdrawers_overall"])
        row("max group FNR / overall", lambda r, n=name: r[n]["fnr_max_ratio"], lambda v: f"{v:.2f}")
    lines.append("-- comparisons")
    row("AUC 8 weeks, points_total (uncapped)", lambda r: r["auc_8w_points_total"], lambda v: f"{v:.3f}")
    row("AUC 8 weeks, attendance only", lambda r: r["auc_8w_attendance_only"], lambda v: f"{v:.3f}")
    row("AUC 8 weeks, OULAD-like sources, score", lambda r: r["auc_8w_oulad_like_score"],
        lambda v: f"{v:.3f}")
    row("AUC 8 weeks, OULAD-like sources, old score", lambda r: r["auc_8w_oulad_like_old_score"],
        lambda v: f"{v:.3f}")
    lines.append("-- FNR by group (score): fnr % (ratio; withdrawers)")
    for group in results[seeds[0]]["score"]["fnr_groups"]:
        row(group, lambda r, g=group: r["score"]["fnr_groups"].get(g),
            lambda v: "-" if v is None else ("suppressed" if v["fnr"] is None
                                             else f"{_pct(v['fnr'])} ({v['ratio']:.2f}; {v['withdrawers']})"))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
