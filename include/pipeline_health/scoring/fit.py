"""Fit the risk score's points from simulated history and write them into dbt_project.yml.

    python -m pipeline_health.scoring.fit --seed 101 --population 3000

1. Builds its own DuckDB warehouse of a full simulated history (scoring/warehouse.py).
2. Label: the apprentice withdraws within 8 weeks of the week's Sunday (truth table).
3. Factors: cumulative threshold indicators per factor (scorecard.FACTORS); NULL (unknown
   source) crosses no threshold. Model: logistic regression with an L2 penalty and
   non-negative coefficients (scipy L-BFGS-B), the penalty chosen by 4-fold cross-validation
   grouped by apprentice.
4. Points = scale x coefficients, rounded. The scale is the largest one (most Red) whose
   newly-Red alerts withdraw within 12 weeks at least `--red-precision` of the time on this
   tuning history, so Red >= 80 means high precision; Amber 50-79 and Green < 50 follow.
5. Writes the var `risk_scoring` (the ONE place the points live), with the command, seed
   and date in a comment. Evaluate on other seeds with pipeline_health.scoring.evaluate.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from pipeline_health.scoring.data import load_weeks, withdraws_within
from pipeline_health.scoring.scorecard import (
    BY_VALUE,
    FACTORS,
    design_matrix,
    newly_red,
    points_from_coefficients,
    score_rows,
)
from pipeline_health.scoring.warehouse import DBT_DIR, build_history, history_config, refresh_risk_mart
from pipeline_health.validity.metrics import auc

log = logging.getLogger(__name__)

BANDS = {"red_min_score": 80, "amber_min_score": 50, "score_cap": 100}
LAMBDAS = (1e-5, 1e-4, 1e-3, 1e-2)
HORIZON_WEEKS = 8
ALERT_HORIZON_WEEKS = 12


def _loss(params: np.ndarray, x: np.ndarray, y: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    """Mean logistic loss + lam/2 ||beta||^2 (intercept params[0] unpenalised), and its gradient."""
    z = params[0] + x @ params[1:]
    p = 1.0 / (1.0 + np.exp(-z))
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z)) + 0.5 * lam * float(params[1:] @ params[1:])
    residual = (p - y) / len(y)
    grad = np.concatenate([[residual.sum()], x.T @ residual + lam * params[1:]])
    return loss, grad


def fit_logistic(x: np.ndarray, y: np.ndarray, lam: float, *, non_negative: bool = True) -> np.ndarray:
    """[intercept, beta...]; beta >= 0 unless non_negative is False."""
    start = np.zeros(x.shape[1] + 1)
    start[0] = np.log(y.mean() / (1 - y.mean()))
    bounds = [(None, None)] + [(0.0 if non_negative else None, None)] * x.shape[1]
    result = minimize(_loss, start, args=(x, y, lam), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 2000})
    return result.x


def choose_lambda(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int = 4) -> tuple[float, dict]:
    """Penalty with the best held-out log loss, folds grouped by apprentice."""
    _, group_index = np.unique(groups, return_inverse=True)
    fold_of = np.random.default_rng(0).integers(0, folds, size=group_index.max() + 1)[group_index]
    scores = {}
    for lam in LAMBDAS:
        losses = []
        for k in range(folds):
            train, test = fold_of != k, fold_of == k
            params = fit_logistic(x[train], y[train], lam)
            z = params[0] + x[test] @ params[1:]
            losses.append(float(np.mean(np.logaddexp(0.0, z) - y[test] * z)))
        scores[lam] = float(np.mean(losses))
    return min(scores, key=scores.get), scores


@dataclass(frozen=True)
class Scorecard:
    """A fitted scorecard: the var's factors and what produced them."""

    factors: dict[str, dict]
    labels: list[tuple[str, object]]  # (factor, threshold or value) per indicator
    intercept: float
    coefficients: np.ndarray  # per indicator; 0 for a dropped one
    lam: float
    cv: dict[float, float]  # held-out log loss per penalty
    scale: float


def fit_scorecard(rows: dict, red_precision: float, *, drop: Collection[tuple[str, object]] = (),
                  lam: float | None = None) -> Scorecard:
    """Steps 2-4 of the module docstring on the apprentice-weeks; indicators in `drop` (e.g.
    ("status", "At Risk")) are left out of the fit and earn no points. `lam` None: the penalty
    is cross-validated; else that penalty is used."""
    y = withdraws_within(rows, HORIZON_WEEKS).astype(np.float64)
    x, labels = design_matrix(rows)
    dropped = set(drop)
    keep = [i for i, label in enumerate(labels) if label not in dropped]
    if lam is None:
        lam, cv = choose_lambda(x[:, keep], y, rows["apprentice_id"])
    else:
        cv = {}
    params = fit_logistic(x[:, keep], y, lam)
    coefficients = np.zeros(len(labels))
    coefficients[keep] = params[1:]
    scale, _ = choose_scale(rows, coefficients, labels, red_precision)
    return Scorecard(points_from_coefficients(coefficients, labels, scale), labels, float(params[0]),
                     coefficients, lam, cv, scale)


def alert_precision(rows: dict, scored: dict) -> tuple[float, int]:
    new = newly_red(rows["apprentice_id"], rows["week_start_date"], scored["risk_band"] == "Red")
    hits = withdraws_within(rows, ALERT_HORIZON_WEEKS)[new]
    return (float(hits.mean()) if len(hits) else float("nan")), int(new.sum())


def choose_scale(rows: dict, coefficients: np.ndarray, labels: list, target: float) -> tuple[float, list]:
    """Largest points-per-logit scale whose newly-Red precision (12 weeks) meets the target."""
    trials = []
    for scale in np.arange(8.0, 40.01, 0.5):
        config = {**BANDS, "factors": points_from_coefficients(coefficients, labels, scale)}
        precision, alerts = alert_precision(rows, score_rows(config, rows))
        trials.append((float(scale), precision, alerts))
    meeting = [t for t in trials if t[1] >= target and t[2] >= 30]
    chosen = max(meeting, key=lambda t: t[0]) if meeting else max(trials, key=lambda t: t[1])
    return chosen[0], trials


def _yaml_value(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_var(factors: dict, header: list[str]) -> str:
    lines = ["  # Risk score of fct_apprentice_risk_weekly: the ONE place its points and thresholds live.",
             "  # The SQL is generated from it (macros/risk/risk_scoring.sql) and checked. Per factor, a",
             "  # value earns the points of the most severe threshold it crosses (0 when it crosses none):",
             "  #   points_below: value < below earns points; points_at_least: value >= at_least earns",
             "  #   points; points_by_value: an exact value earns points; if_null: no data (unknown).",
             "  # risk_score = min(score_cap, sum of the factors); Red >= red_min_score, Amber >=",
             "  # amber_min_score, else Green (80 / 50 are the agreed bands of the brief).",
             "  # The points are FITTED, not hand-set (dbt/README.md, \"Risk score\"):",
             *(f"  #   {line}" for line in header),
             "  # A NULL measure (the source does not exist for the apprentice: no session scheduled, no",
             "  # quiz, no OTJ plan, no coach contact ever, no earlier weeks to compare with) earns 0.",
             "  # After a change: run pipeline_health.scoring.evaluate and update the unit tests",
             "  # risk_points_* in models/marts/risk/_risk.yml (they pin the thresholds on purpose).",
             "  risk_scoring:",
             *(f"    {k}: {v}" for k, v in BANDS.items()),
             "    factors:"]
    for factor in FACTORS:
        cfg = factors[factor.name]
        lines.append(f"      # {factor.comment}")
        lines.append(f"      {factor.name}:")
        if factor.kind == BY_VALUE:
            inner = ", ".join(f'"{v}": {p}' for v, p in cfg[BY_VALUE].items())
            lines.append(f"        {BY_VALUE}: {{{inner}}}")
        elif not cfg[factor.kind]:
            lines.append(f"        {factor.kind}: []")
        else:
            lines.append(f"        {factor.kind}:")
            key = "below" if factor.kind == "points_below" else "at_least"
            for rule in sorted(cfg[factor.kind], key=lambda r: -r["points"]):
                lines.append(f"          - {{{key}: {_yaml_value(rule[key])}, points: {rule['points']}}}")
        lines.append(f"        if_null: {cfg['if_null']}")
    return "\n".join(lines) + "\n"


def write_var(text: str, project: Path = DBT_DIR / "dbt_project.yml") -> None:
    """Replace the risk_scoring block (its comment header included) in dbt_project.yml."""
    source = project.read_text()
    pattern = re.compile(r"  # Risk score of fct_apprentice_risk_weekly.*?(?=\n\S)", re.S)
    if not pattern.search(source):
        raise RuntimeError(f"no risk_scoring block found in {project}")
    project.write_text(pattern.sub(lambda _: text.rstrip("\n"), source, count=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=101, help="tuning seed (never evaluate on it alone)")
    parser.add_argument("--population", type=int, default=3000)
    parser.add_argument("--first-cohort", default="2024-01")
    parser.add_argument("--last-cohort", default="2024-12")
    parser.add_argument("--workdir", type=Path, default=Path(".state/scoring"))
    parser.add_argument("--red-precision", type=float, default=0.65,
                        help="newly-Red alerts that withdraw within 12 weeks, on the tuning seed")
    parser.add_argument("--dry-run", action="store_true", help="print the var, do not write it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    config = history_config(args.seed, args.population, args.first_cohort, args.last_cohort)
    history, timings = build_history(args.workdir / f"seed{args.seed}", config)
    rows = load_weeks(history.path)
    y = withdraws_within(rows, HORIZON_WEEKS).astype(np.float64)
    x, labels = design_matrix(rows)
    log.info("%s apprentice-weeks, %.1f %% withdraw within %s weeks", len(y), 100 * y.mean(), HORIZON_WEEKS)

    fitted = fit_scorecard(rows, args.red_precision)
    lam, cv, intercept, coefficients = fitted.lam, fitted.cv, fitted.intercept, fitted.coefficients
    scale, factors = fitted.scale, fitted.factors
    scored = score_rows({**BANDS, "factors": factors}, rows)
    precision, alerts = alert_precision(rows, scored)
    linear_auc = auc(x @ coefficients, y.astype(bool))
    score_auc = auc(scored["risk_score"].astype(float), y.astype(bool))

    print(f"penalty (cross-validated): {lam:g}; held-out log loss by penalty: "
          + ", ".join(f"{k:g}: {v:.5f}" for k, v in cv.items()))
    print(f"intercept {intercept:.3f}; coefficients (log-odds per indicator):")
    for (name, candidate), beta in zip(labels, coefficients, strict=True):
        print(f"  {name:17s} {candidate!s:>8}  {beta:.3f}")
    p50, p80 = (1 / (1 + np.exp(-(intercept + score / scale))) for score in (50, 80))
    print(f"scale {scale:g} points per unit of log-odds; score 50 ~ p={p50:.2f}, score 80 ~ p={p80:.2f} "
          "(withdraw within 8 weeks, before rounding and the cap)")
    print(f"tuning seed: AUC linear {linear_auc:.3f}, AUC score {score_auc:.3f}; newly-Red alerts {alerts}, "
          f"precision (12 weeks) {precision:.3f}")
    header = [
        f"python -m pipeline_health.scoring.fit --seed {args.seed} --population {args.population} "
        f"--first-cohort {args.first_cohort} --last-cohort {args.last_cohort} "
        f"--red-precision {args.red_precision:g}",
        f"on {date.today().isoformat()}: {len(y):,} apprentice-weeks, label withdraws within 8 weeks "
        f"({100 * y.mean():.1f} %),",
        f"non-negative L2 logistic (penalty {lam:g}, 4-fold CV), intercept {intercept:.2f};",
        f"points = {scale:g} x coefficient (newly-Red precision within 12 weeks {precision:.2f} on seed "
        f"{args.seed}).",
    ]
    text = render_var(factors, header)
    if args.dry_run:
        print(text)
    else:
        write_var(text)
        timings["dbt_risk_mart_refit_s"] = refresh_risk_mart(history)
        print(f"wrote var risk_scoring to {DBT_DIR / 'dbt_project.yml'}")
    print("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
