"""The risk-score fitting tool without a warehouse: scorecard arithmetic, the fit, the var text."""

from __future__ import annotations

import numpy as np
import yaml

from pipeline_health.scoring import fit
from pipeline_health.scoring.scorecard import (
    FACTORS,
    design_matrix,
    newly_red,
    points_from_coefficients,
    score_rows,
)


def _rows(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    rows: dict[str, np.ndarray] = {}
    for f in FACTORS:
        if f.kind == "points_by_value":
            rows[f.measure] = rng.choice(np.array(["Active", "At Risk", "Delayed"], dtype=object), n)
        else:
            values = rng.uniform(min(f.candidates) * 1.5 - 1, max(f.candidates) * 1.5 + 1, n)
            values[rng.random(n) < 0.2] = np.nan
            rows[f.measure] = values
    return rows


def test_points_grow_with_severity_and_unknown_earns_nothing() -> None:
    rng = np.random.default_rng(0)
    rows = _rows(500, rng)
    x, labels = design_matrix(rows)
    coefficients = rng.uniform(0, 1, len(labels))
    factors = points_from_coefficients(coefficients, labels, 20)
    config = {**fit.BANDS, "factors": factors}
    scored = score_rows(config, rows)
    # The scorecard equals the linear predictor up to rounding (one rounding per threshold).
    linear = x @ coefficients * 20
    assert np.all(np.abs(scored["points_total"] - linear) <= 0.5 * len(FACTORS) + 1e-9)
    for f in FACTORS:
        points = scored[f"points_{f.name}"]
        if f.kind != "points_by_value":
            assert np.all(points[np.isnan(rows[f.measure])] == 0)
            rules = factors[f.name][f.kind]
            key = "below" if f.kind == "points_below" else "at_least"
            ordered = sorted(rules, key=lambda r: r[key], reverse=f.kind == "points_at_least")
            assert [r["points"] for r in ordered] == sorted((r["points"] for r in ordered), reverse=True)
    assert np.array_equal(scored["risk_score"], np.minimum(scored["points_total"], 100))


def test_fit_recovers_the_direction_and_keeps_coefficients_non_negative() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    x = (rng.random((n, 3)) < 0.3).astype(float)
    z = -2 + 1.5 * x[:, 0] + 0.0 * x[:, 1] - 1.0 * x[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(float)
    params = fit.fit_logistic(x, y, 1e-4)
    assert params[1] > 1.0 and params[2] < 0.2 and params[3] == 0.0


def test_newly_red_needs_red_in_the_previous_iso_week() -> None:
    ids = np.array(["a", "a", "a", "a", "b"], dtype=object)
    weeks = np.array(["2026-11-02", "2026-11-09", "2026-11-23", "2026-11-30", "2026-11-09"],
                     dtype="datetime64[D]")
    red = np.array([True, True, True, False, True])
    assert newly_red(ids, weeks, red).tolist() == [True, False, True, False, True]


def test_rendered_var_is_the_macro_structure() -> None:
    rng = np.random.default_rng(2)
    _, labels = design_matrix(_rows(50, rng))
    factors = points_from_coefficients(rng.uniform(0, 1, len(labels)), labels, 15)
    text = fit.render_var(factors, ["a comment"])
    var = yaml.safe_load("vars:\n" + text)["vars"]["risk_scoring"]
    assert {k: var[k] for k in fit.BANDS} == fit.BANDS
    assert list(var["factors"]) == [f.name for f in FACTORS]

    def normal(cfg: dict) -> dict:  # rule order does not matter to the macro
        return {k: sorted(v, key=lambda r: r["points"]) if isinstance(v, list) else v for k, v in cfg.items()}

    assert {k: normal(v) for k, v in var["factors"].items()} == {k: normal(v) for k, v in factors.items()}
