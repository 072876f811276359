"""Validity metrics on hand-made cases (pipeline_health.validity.metrics)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline_health.validity import metrics


def _pairwise_auc(scores, labels) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_auc_perfect_reversed_and_uninformative():
    assert metrics.auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert metrics.auc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert metrics.auc([5, 5, 5, 5], [0, 1, 0, 1]) == 0.5
    assert metrics.auc([1, 2, 1, 2], [0, 0, 1, 1]) == 0.5


def test_auc_counts_ties_as_one_half():
    # pairs (pos, neg): (2,1)=1, (2,2)=0.5, (3,1)=1, (3,2)=1 -> 3.5 / 4
    assert metrics.auc([1, 2, 2, 3], [0, 0, 1, 1]) == pytest.approx(0.875)


def test_auc_matches_pairwise_definition_with_many_ties():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, 300)
    labels = rng.random(300) < 0.2 + 0.1 * scores
    assert metrics.auc(scores, labels) == pytest.approx(_pairwise_auc(scores, labels))


def test_auc_without_both_classes_is_nan_and_nan_scores_are_refused():
    assert math.isnan(metrics.auc([1, 2, 3], [0, 0, 0]))
    assert math.isnan(metrics.auc([1, 2, 3], [1, 1, 1]))
    with pytest.raises(ValueError, match="NaN"):
        metrics.auc([1.0, float("nan")], [0, 1])


def test_oriented_auc_flips_a_protective_signal():
    value, direction = metrics.oriented_auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])
    assert (value, direction) == (1.0, "lower")
    assert metrics.oriented_auc([1, 2, 3, 4], [0, 0, 1, 1]) == (1.0, "higher")


def test_bootstrap_interval_brackets_the_auc_and_is_reproducible():
    rng = np.random.default_rng(5)
    clusters = np.repeat(np.arange(200), 5)
    risk = np.repeat(rng.random(200), 5)
    labels = rng.random(1000) < risk
    scores = risk + rng.normal(0, 0.3, 1000)
    value = metrics.auc(scores, labels)
    low, high = metrics.auc_bootstrap_ci(scores, labels, clusters, n_boot=300, seed=1)
    assert low < value < high and high - low < 0.2
    assert (low, high) == metrics.auc_bootstrap_ci(scores, labels, clusters, n_boot=300, seed=1)
    # Rows of one cluster are not independent: resampling rows gives a narrower interval.
    row_low, row_high = metrics.auc_bootstrap_ci(scores, labels, n_boot=300, seed=1)
    assert row_high - row_low < high - low
    assert metrics.auc_bootstrap_ci([1, 2, 3, 4], [0, 0, 1, 1], n_boot=50) == (1.0, 1.0)


def test_rates_carry_numerator_and_denominator():
    flags = [True, True, False, False, True]
    labels = [True, False, True, False, False]
    assert metrics.precision(flags, labels) == metrics.Rate(1, 3)
    assert metrics.recall(flags, labels) == metrics.Rate(1, 2)
    assert metrics.base_rate(labels).value == pytest.approx(0.4)
    assert metrics.share(flags).value == pytest.approx(0.6)
    assert math.isnan(metrics.precision([False, False], [True, False]).value)


def test_recall_before_event_takes_the_week_ending_k_weeks_earlier():
    # A: weeks ending days 7..28, withdraws day 30, flagged only in the week ending day 21.
    # B: never withdraws (flagged, but not a positive). C: withdraws day 10, observed from day 7.
    entity = ["A", "A", "A", "A", "B", "B", "C"]
    week_end = [7, 14, 21, 28, 7, 14, 7]
    flags = [False, False, True, False, True, True, True]
    event = [30, 30, 30, 30, np.nan, np.nan, 10]
    assert metrics.recall_before_event(entity, week_end, flags, event, 0) == metrics.Rate(1, 2)  # A no, C yes
    assert metrics.recall_before_event(entity, week_end, flags, event, 1) == metrics.Rate(1, 1)  # A's day 21
    assert metrics.recall_before_event(entity, week_end, flags, event, 2) == metrics.Rate(0, 1)  # C not seen
    assert metrics.recall_before_event(entity, week_end, flags, event, 8) == metrics.Rate(0, 0)


def test_impute_median():
    np.testing.assert_array_equal(metrics.impute_median([1.0, np.nan, 3.0, 10.0]), [1, 3, 3, 10])
    np.testing.assert_array_equal(metrics.impute_median([np.nan, np.nan]), [0, 0])
