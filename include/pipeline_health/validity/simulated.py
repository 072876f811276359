"""Validity figures on a simulated history that the score was not tuned on.

Inputs are the apprentice-weeks of `scoring.data.load_weeks` (risk mart + truth table,
sorted by apprentice and week). Everything here is pure numpy: the report module builds
the warehouse and writes the document.

* Error rates per group (gender, ethnicity group, IMD quintile, LDD):
  - false-negative rate: withdrawers never Red in the 8 weeks before withdrawing (one per
    withdrawer; Wilson 95 % interval);
  - false-positive rate: Red apprentice-weeks among weeks not followed by a withdrawal
    within 8 weeks (weeks of one apprentice are not independent, so the 95 % interval is a
    percentile bootstrap over apprentices).
  A group with fewer than 10 withdrawers (FNR) or apprentices (FPR) is suppressed.
* Detection latency: for withdrawers whose engagement declined, the days from the onset to
  the first Amber or Red week ending on or after it (and before the withdrawal).
* Alternatives to the current weights, on the same weeks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline_health.scoring.data import withdraws_within
from pipeline_health.scoring.scorecard import score_rows
from pipeline_health.validity.metrics import wilson_interval

GROUPS = ("gender", "ethnicity_group", "imd_quintile", "ldd")
MIN_GROUP = 10
DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class GroupErrors:
    dimension: str
    group: str
    apprentices: int
    withdrawers: int
    fnr: float | None  # None = suppressed
    fnr_ci: tuple[float, float] | None
    fpr: float | None
    fpr_ci: tuple[float, float] | None


def apprentice_spans(ids: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each apprentice's rows; rows are sorted by apprentice."""
    cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    starts = np.concatenate([[0], cuts]).tolist()
    stops = np.concatenate([cuts, [len(ids)]]).tolist()
    return list(zip(starts, stops, strict=True))


def group_members(rows: dict, spans: list[tuple[int, int]]) -> list[tuple[str, str, np.ndarray]]:
    """('all', 'all') and every (dimension, group) with its mask over the apprentices of `spans`."""
    first = np.array([a for a, _ in spans])
    members = [("all", "all", np.ones(len(spans), dtype=bool))]
    for dimension in GROUPS:
        values = rows[dimension][first].astype(str)
        members += [(dimension, v, values == v) for v in sorted(set(values))]
    return members


def missed_withdrawers(rows: dict, red: np.ndarray, spans: list[tuple[int, int]]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per apprentice: scored in the 8 weeks before withdrawing (a withdrawer here), and never
    Red in those weeks (missed): the false negatives of every FNR in the reports."""
    end, withdrawal = rows["week_end_date"], rows["withdrawal_date"]
    is_withdrawer = np.zeros(len(spans), dtype=bool)
    missed = np.zeros(len(spans), dtype=bool)
    for i, (a, b) in enumerate(spans):
        w = withdrawal[a]
        if np.isnat(w):
            continue
        last_8 = (end[a:b] < w) & (end[a:b] >= w - 56 * DAY)
        if last_8.any():
            is_withdrawer[i] = True
            missed[i] = not red[a:b][last_8].any()
    return is_withdrawer, missed


def _bootstrap_ratio(
    num: np.ndarray, den: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[float, float]:
    """95 % percentile interval of sum(num) / sum(den) resampling clusters (apprentices)."""
    if len(num) == 0:
        return (math.nan, math.nan)
    picks = rng.integers(0, len(num), size=(n_boot, len(num)))
    ratios = num[picks].sum(axis=1) / np.maximum(den[picks].sum(axis=1), 1)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def group_errors(rows: dict, band: np.ndarray, *, n_boot: int = 400, seed: int = 0) -> list[GroupErrors]:
    """FNR and FPR of Red per group (plus 'all'), suppressing groups under MIN_GROUP."""
    red = band == "Red"
    negative = ~withdraws_within(rows, 8)
    spans = apprentice_spans(rows["apprentice_id"])
    # Per apprentice: Red negative weeks and negative weeks (FPR); missed withdrawers (FNR).
    fp = np.array([int((red[a:b] & negative[a:b]).sum()) for a, b in spans])
    neg = np.array([int(negative[a:b].sum()) for a, b in spans])
    is_withdrawer, missed = missed_withdrawers(rows, red, spans)
    rng = np.random.default_rng(seed)
    out = []
    for dimension, group, member in group_members(rows, spans):
        n_app, n_wd = int(member.sum()), int((member & is_withdrawer).sum())
        fnr = fnr_ci = fpr = fpr_ci = None
        if n_wd >= MIN_GROUP:
            k = int((member & missed).sum())
            fnr, fnr_ci = k / n_wd, wilson_interval(k, n_wd)
        if n_app >= MIN_GROUP and neg[member].sum():
            fpr = float(fp[member].sum() / neg[member].sum())
            fpr_ci = _bootstrap_ratio(fp[member], neg[member], n_boot, rng)
        out.append(GroupErrors(dimension, group, n_app, n_wd, fnr, fnr_ci, fpr, fpr_ci))
    return out


def max_fnr_ratio(errors: list[GroupErrors]) -> tuple[float, str]:
    """The highest group FNR over the overall FNR, and that group."""
    overall = next(e.fnr for e in errors if e.dimension == "all")
    shown = [e for e in errors if e.dimension != "all" and e.fnr is not None]
    if not overall or not shown:
        return math.nan, ""
    worst = max(shown, key=lambda e: e.fnr)
    return worst.fnr / overall, f"{worst.dimension} = {worst.group}"


def detection_latency(rows: dict, band: np.ndarray) -> dict[str, dict]:
    """Per decline kind (and 'all'): decliners, caught within 21 days, median and 75th
    percentile latency in days, never flagged before withdrawing."""
    flagged = (band == "Red") | (band == "Amber")
    ids, end = rows["apprentice_id"], rows["week_end_date"]
    onset, withdrawal, kind = rows["decline_onset_date"], rows["withdrawal_date"], rows["withdrawal_kind"]
    latencies: dict[str, list[float]] = {}
    for a, b in apprentice_spans(ids):
        if np.isnat(withdrawal[a]) or np.isnat(onset[a]):
            continue
        window = (end[a:b] >= onset[a]) & (end[a:b] < withdrawal[a])
        if not window.any():
            continue  # withdrew before a week ending after the onset was scored
        hits = np.flatnonzero(window & flagged[a:b])
        days = float((end[a + hits[0]] - onset[a]) / DAY) if len(hits) else math.inf
        latencies.setdefault(str(kind[a]), []).append(days)
        latencies.setdefault("all", []).append(days)
    out = {}
    for k, values in latencies.items():
        v = np.array(values)
        finite = v[np.isfinite(v)]
        out[k] = {
            "decliners": len(v),
            "caught_21d": float((v <= 21).mean()),
            # nearest rank, so that "never" (infinite) days need no interpolation
            "median_days": float(np.quantile(v, 0.5, method="inverted_cdf")),
            "p75_days": float(np.quantile(v, 0.75, method="inverted_cdf")),
            "median_days_if_caught": float(np.median(finite)) if len(finite) else math.nan,
            "never": float((~np.isfinite(v)).mean()),
        }
    return out


def without_status(config: dict) -> dict:
    """The current weights with the recorded status earning nothing (behaviour alone)."""
    factors = dict(config["factors"])
    factors["status"] = {**factors["status"], "points_by_value": {}}
    return {**config, "factors": factors}


def refit_in_sample(rows: dict, config: dict, *, lam: float = 1e-5, target: float = 0.65) -> dict:
    """The best alternative this report can find with the same factors: the scorecard refit
    on the test history itself (same method as scoring.fit), so an optimistic ceiling."""
    from pipeline_health.scoring.fit import fit_scorecard

    bands = {k: config[k] for k in ("red_min_score", "amber_min_score", "score_cap")}
    return {**bands, "factors": fit_scorecard(rows, target, lam=lam).factors}


def scored(config: dict, rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """(risk_band, risk_score) of a var configuration on the rows."""
    out = score_rows(config, rows)
    return out["risk_band"], out["risk_score"].astype(float)


# Exponent of each gradual decline shape (simulator/population.py GRADUAL_SHAPES); a step
# decline reaches its full depth at the onset.
SHAPE_EXPONENTS = {"linear": 1.0, "accelerating": 2.0, "decelerating": 0.5}


def engagement_lost_by(
    kind: np.ndarray,
    shape: np.ndarray,
    depth: np.ndarray,
    onset_to_withdrawal_days: np.ndarray,
    days: int = 21,
) -> dict[str, tuple[float, float, float]]:
    """Share of engagement a decline has taken `days` days after its onset (truth), per kind:
    (25th, 50th, 75th percentile). A gradual decline falls from the onset to the withdrawal
    as depth x progress ** exponent; a step falls to its depth at once."""
    out = {}
    for k in ("gradual", "step"):
        keep = kind == k
        if not keep.any():
            continue
        if k == "step":
            lost = depth[keep].astype(float)
        else:
            exponent = np.array([SHAPE_EXPONENTS.get(str(s), 1.0) for s in shape[keep]])
            progress = np.clip(days / np.maximum(onset_to_withdrawal_days[keep].astype(float), 1.0), 0.0, 1.0)
            lost = depth[keep].astype(float) * progress**exponent
        q = np.percentile(lost, [25, 50, 75])
        out[k] = (float(q[0]), float(q[1]), float(q[2]))
    return out
