"""Experiment: refit the risk scorecard without one recorded status and score a test seed.

    .venv/bin/python scripts/fit_without_status_value.py "At Risk" --test-seed 303

Fits on the tuning history (seed 101, 3,000 apprentices, built or reused under
.state/scoring/seed101) exactly as pipeline_health.scoring.fit does, but with the status
indicators named on the command line removed, and prints the test seed's figures next to
the share of Red weeks that are Red only through the status points. The test seed's
warehouse is the validity report's (.state/validity/seed<test>; run `make validity` first).
It writes nothing: the var risk_scoring is unchanged. Findings: docs/validity_notes.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline_health.scoring import evaluate
from pipeline_health.scoring.data import load_weeks
from pipeline_health.scoring.fit import BANDS, fit_scorecard
from pipeline_health.scoring.scorecard import score_rows
from pipeline_health.scoring.warehouse import build_history, history_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("drop", nargs="+", help='status values to leave out, e.g. "At Risk"')
    parser.add_argument("--test-seed", type=int, default=303)
    args = parser.parse_args()
    history, _ = build_history(Path(".state/scoring/seed101"), history_config(101, 3000))
    rows = load_weeks(history.path)
    fitted = fit_scorecard(rows, 0.65, drop=[("status", value) for value in args.drop])
    config = {**BANDS, "factors": fitted.factors}
    print(f"penalty {fitted.lam:g}, scale {fitted.scale:g}; factors: {json.dumps(config['factors'])}")
    test = load_weeks(f".state/validity/seed{args.test_seed}/warehouse.duckdb")
    scored = score_rows(config, test)
    m = evaluate.band_metrics(test, scored["risk_band"], scored["risk_score"].astype(float))
    red = scored["risk_band"] == "Red"
    by_status = ((scored["points_total"] - scored["points_status"]) < 80)[red].mean()
    for key in ("auc_8w", "newly_red_weeks", "newly_red_precision_12w", "decline_caught_3w",
                "fnr_withdrawers_overall", "fnr_max_ratio", "red_share_of_weeks", "amber_share_of_weeks"):
        value = f"{m[key]:.3f}" if isinstance(m[key], float) else str(m[key])
        print(f"seed {args.test_seed} {key}: {value}")
    print(f"seed {args.test_seed} Red weeks Red only through the status points: {by_status:.3f}")


if __name__ == "__main__":
    main()
