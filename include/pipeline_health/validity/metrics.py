"""Validity metrics of a risk score: pure functions over numpy arrays, no I/O.

* AUC is the Mann-Whitney statistic: the probability that a random positive scores above
  a random negative, ties counting one half. Computed from score levels (one sort), so a
  weighted version gives the bootstrap cheaply.
* The 95 % interval of the AUC is a percentile bootstrap that resamples clusters (by
  default each row is its own cluster). Student-weeks of one student are not independent,
  so the evaluation resamples students.
* Rates carry their numerator and denominator so a report can show how thin they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float:
        return self.numerator / self.denominator if self.denominator else math.nan


def _levels(scores: ArrayLike) -> tuple[np.ndarray, int]:
    values = np.asarray(scores, dtype=float)
    if np.isnan(values).any():
        raise ValueError("scores contain NaN: impute or drop missing values first")
    _, level = np.unique(values, return_inverse=True)
    return level.ravel(), int(level.max()) + 1 if level.size else 0


def _weighted_auc(level: np.ndarray, n_levels: int, positive: np.ndarray, weights: np.ndarray) -> float:
    pos = np.bincount(level, weights=weights * positive, minlength=n_levels)
    neg = np.bincount(level, weights=weights * ~positive, minlength=n_levels)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos == 0 or total_neg == 0:
        return math.nan
    neg_below = np.cumsum(neg) - neg  # negatives scoring strictly lower than each level
    return float((pos * (neg_below + 0.5 * neg)).sum() / (total_pos * total_neg))


def auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Mann-Whitney AUC (ties = 1/2); NaN when there is no positive or no negative."""
    positive = np.asarray(labels, dtype=bool).ravel()
    level, n_levels = _levels(scores)
    if level.size != positive.size:
        raise ValueError("scores and labels differ in length")
    return _weighted_auc(level, n_levels, positive, np.ones(positive.size))


def auc_bootstrap_ci(
    scores: ArrayLike,
    labels: ArrayLike,
    clusters: ArrayLike | None = None,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUC, resampling whole clusters with replacement."""
    positive = np.asarray(labels, dtype=bool).ravel()
    score_level, n_levels = _levels(scores)
    if clusters is None:
        cluster = np.arange(positive.size)
    else:
        _, cluster = np.unique(np.asarray(clusters), return_inverse=True)
        cluster = cluster.ravel()
    n_clusters = int(cluster.max()) + 1 if cluster.size else 0
    if n_clusters == 0 or positive.all() or not positive.any():
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    draws = np.empty(n_boot)
    for b in range(n_boot):
        # Weight of a row = how many times its cluster was drawn.
        times = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
        draws[b] = _weighted_auc(score_level, n_levels, positive, times[cluster].astype(float))
    draws = draws[~np.isnan(draws)]
    tail = (1 - level) / 2 * 100
    return (float(np.percentile(draws, tail)), float(np.percentile(draws, 100 - tail)))


def oriented_auc(values: ArrayLike, labels: ArrayLike) -> tuple[float, str]:
    """AUC of a signal in the direction that makes it a risk: (auc >= 0.5, 'higher' | 'lower')."""
    value = auc(values, labels)
    if math.isnan(value) or value >= 0.5:
        return value, "higher"
    return 1 - value, "lower"


def base_rate(labels: ArrayLike) -> Rate:
    positive = np.asarray(labels, dtype=bool)
    return Rate(int(positive.sum()), int(positive.size))


def share(flags: ArrayLike) -> Rate:
    return base_rate(flags)


def precision(flags: ArrayLike, labels: ArrayLike) -> Rate:
    """Share of flagged rows that are positive."""
    flagged = np.asarray(flags, dtype=bool)
    positive = np.asarray(labels, dtype=bool)
    return Rate(int((flagged & positive).sum()), int(flagged.sum()))


def recall(flags: ArrayLike, labels: ArrayLike) -> Rate:
    """Share of positive rows that are flagged."""
    flagged = np.asarray(flags, dtype=bool)
    positive = np.asarray(labels, dtype=bool)
    return Rate(int((flagged & positive).sum()), int(positive.sum()))


def recall_before_event(
    entities: ArrayLike,
    period_end: ArrayLike,
    flags: ArrayLike,
    event_day: ArrayLike,
    weeks_before: int,
    period_days: int = 7,
) -> Rate:
    """Of the entities with an event, the share flagged in the period ending `weeks_before` weeks earlier.

    Rows are periods (e.g. scored weeks): `period_end` and `event_day` are day numbers
    (`event_day` NaN for an entity without an event, repeated on each of its rows). For each
    entity with an event, the row taken is the one whose period ends in
    (event - 7 * weeks_before - period_days, event - 7 * weeks_before]; entities with no such
    row (not yet observed that early) are left out of the denominator.
    """
    entity = np.asarray(entities)
    end = np.asarray(period_end, dtype=float)
    flagged = np.asarray(flags, dtype=bool)
    event = np.asarray(event_day, dtype=float)
    target = event - 7 * weeks_before
    eligible = ~np.isnan(event) & (end <= target) & (end > target - period_days)
    # If an entity has several eligible rows (periods shorter than period_days), take its latest.
    chosen: dict[object, tuple[float, bool]] = {}
    for e, day, flag in zip(entity[eligible], end[eligible], flagged[eligible], strict=True):
        if e not in chosen or day > chosen[e][0]:
            chosen[e] = (day, bool(flag))
    return Rate(sum(flag for _, flag in chosen.values()), len(chosen))


def impute_median(values: ArrayLike) -> np.ndarray:
    """Missing values (NaN) replaced by the median of the others (0 when all are missing)."""
    out = np.asarray(values, dtype=float).copy()
    missing = np.isnan(out)
    if missing.any():
        out[missing] = float(np.median(out[~missing])) if (~missing).any() else 0.0
    return out


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (sensible near 0 and 1 and for small n)."""
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))
