"""Minimal metrics for the risk-score evaluation (numpy only).

pipeline_health.validity.metrics (AUC with a cluster bootstrap, rates; written on the main
branch while this branch was in progress) is the shared home: its AUC is used when the
package has it, and this minimal Mann-Whitney AUC (same definition, ties = 1/2) otherwise.
"""

from __future__ import annotations

import numpy as np


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN without both classes."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks of ties
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(scores)]])
    average = (starts + ends + 1) / 2.0  # 1-based average rank of each tie block
    ranks[order] = np.repeat(average, ends - starts)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def share(mask: np.ndarray) -> float:
    """Mean of a boolean array; NaN when empty."""
    mask = np.asarray(mask, dtype=bool)
    return float(mask.mean()) if mask.size else float("nan")


try:  # the shared implementation, once this branch has it
    from pipeline_health.validity.metrics import auc as _shared_auc
except ImportError:  # pragma: no cover - depends on the branch
    _shared_auc = None


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count 1/2); NaN without both classes."""
    if _shared_auc is not None:
        return _shared_auc(scores, positive)
    return _auc(scores, positive)
