"""How far could any weighting of the pipeline's measures go on the real learners?

A yardstick for the OULAD AUC target, not a score to ship: an L2 logistic regression on
every measure the risk mart holds (median-imputed, with a missing-value indicator,
standardised), fitted on one presentation and tested on another, in both directions.
Being fitted on real learners it is an optimistic bound for a score fitted on simulated
ones; if it stays under the target, the target needs a signal the raw contract lacks.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline_health.scoring.fit import fit_logistic
from pipeline_health.validity.metrics import auc
from pipeline_health.validity.oulad_evaluation import HORIZON_WEEKS, EvaluationTable

PENALTY = 1e-3


def presentation_of(apprentice_ids: np.ndarray) -> np.ndarray:
    """'OU-AAA-2013J-11391' -> 'AAA-2013J' (the importer's id, oulad/mapping.py)."""
    return np.array(["-".join(str(i).split("-")[1:3]) for i in apprentice_ids], dtype=object)


def _features(table: EvaluationTable, names: list[str], reference: np.ndarray) -> np.ndarray:
    """Measures imputed with the training rows' medians, plus a missing flag per measure."""
    columns = []
    for name in names:
        values = table.measures[name]
        train = values[reference & ~np.isnan(values)]
        fill = float(np.median(train)) if train.size else 0.0
        columns += [np.where(np.isnan(values), fill, values), np.isnan(values).astype(float)]
    return np.column_stack(columns)


def cross_presentation_auc(table: EvaluationTable) -> list[dict]:
    """One row per (train presentation -> test presentation) pair."""
    label = table.label(HORIZON_WEEKS).astype(float)
    groups = presentation_of(table.apprentice_id)
    varying = [n for n, v in table.measures.items() if (~np.isnan(v)).sum() > 1 and np.nanstd(v) > 0]
    names = sorted(varying) if len(label) else []
    out = []
    for train_name in sorted(set(groups)):
        for test_name in sorted(set(groups) - {train_name}):
            train, test = groups == train_name, groups == test_name
            x = _features(table, names, train)
            mean, std = x[train].mean(axis=0), x[train].std(axis=0)
            x = (x - mean) / np.where(std > 0, std, 1.0)
            if label[train].sum() == 0 or label[test].sum() == 0:
                value = math.nan
            else:
                params = fit_logistic(x[train], label[train], PENALTY, non_negative=False)
                value = auc(params[0] + x[test] @ params[1:], label[test].astype(bool))
            out.append(
                {
                    "train": train_name,
                    "test": test_name,
                    "auc": value,
                    "measures": len(names),
                    "test_rows": int(test.sum()),
                }
            )
    return out
