"""The validity report's figure (PNG), drawn with matplotlib (a development dependency).

Four panels: recall of withdrawers flagged Amber/Red and Red k weeks before withdrawing,
per withdrawal kind, on the simulated test seed; the false-negative rate per group with
its interval against the overall rate and the 1.25x limit; the same recall on the real
learners (OULAD) when they were evaluated.
"""

from __future__ import annotations

import math
from pathlib import Path

from pipeline_health.validity.simulated import GroupErrors

KIND_COLOURS = {"gradual": "#1f77b4", "step": "#ff7f0e", "abrupt": "#7f7f7f", "all": "#000000"}
LEAD_WEEKS = (0, 2, 4, 8)


def draw(
    path: Path, *, seed: int, metrics: dict, errors: list[GroupErrors], oulad_recall: list[dict] | None
) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(14, 10), dpi=100)
    for ax, key, title in ((axes[0][0], "recall_flagged", "Amber or Red"), (axes[0][1], "recall_red", "Red")):
        for kind, colour in KIND_COLOURS.items():
            values = [100 * _nan(metrics[f"{key}_{w}w_{kind}"]) for w in LEAD_WEEKS]
            ax.plot(
                LEAD_WEEKS,
                values,
                marker="o",
                color=colour,
                label=kind,
                linewidth=2.5 if kind == "all" else 1.5,
            )
        if oulad_recall:
            field = "amber_or_red" if key == "recall_flagged" else "red"
            ax.plot(
                [r["weeks_before"] for r in oulad_recall],
                [100 * _nan(r[field]) for r in oulad_recall],
                marker="s",
                linestyle="--",
                color="#2ca02c",
                label="OULAD (real learners)",
            )
        ax.set_title(f"Withdrawers flagged {title}, k weeks before withdrawing", fontsize=10)
        ax.set_xlabel("weeks before withdrawal")
        ax.set_ylabel("% of withdrawers")
        ax.set_xticks(LEAD_WEEKS)
        ax.set_ylim(0, 100)
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

    shown = [e for e in errors if e.dimension != "all" and e.fnr is not None]
    overall = next(e for e in errors if e.dimension == "all")
    ax = axes[1][0]
    labels = [f"{e.dimension}: {e.group}"[:38] for e in shown]
    ys = range(len(shown))
    ax.errorbar(
        [100 * e.fnr for e in shown],
        list(ys),
        xerr=[[100 * (e.fnr - e.fnr_ci[0]) for e in shown], [100 * (e.fnr_ci[1] - e.fnr) for e in shown]],
        fmt="o",
        color="#1f77b4",
        capsize=3,
    )
    if overall.fnr is not None:
        ax.axvline(100 * overall.fnr, color="black", label=f"overall {100 * overall.fnr:.0f} %")
        ax.axvline(125 * overall.fnr, color="#d62728", linestyle="--", label="1.25 x overall")
    ax.set_yticks(list(ys), labels, fontsize=7)
    ax.set_xlabel("% of withdrawers never Red in their last 8 weeks (95 % interval)", fontsize=9)
    ax.set_title("False-negative rate by group (groups under 10 suppressed)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="x")

    ax = axes[1][1]
    shown_fpr = [e for e in errors if e.fpr is not None]
    ax.errorbar(
        [100 * e.fpr for e in shown_fpr],
        list(range(len(shown_fpr))),
        xerr=[
            [100 * (e.fpr - e.fpr_ci[0]) for e in shown_fpr],
            [100 * (e.fpr_ci[1] - e.fpr) for e in shown_fpr],
        ],
        fmt="o",
        color="#9467bd",
        capsize=3,
    )
    ax.set_yticks(
        list(range(len(shown_fpr))), [f"{e.dimension}: {e.group}"[:38] for e in shown_fpr], fontsize=7
    )
    ax.set_xlabel("% of weeks Red, no withdrawal in the next 8 weeks (95 % interval)", fontsize=9)
    ax.set_title("False-positive rate by group (groups under 10 suppressed)", fontsize=10)
    ax.grid(alpha=0.3, axis="x")

    fig.suptitle(f"Risk score validity, simulated test seed {seed}", fontsize=13)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
