"""The equity mart on built warehouses: suppression that can be trusted, and a gap it finds.

An independent recomputation (dim_apprentice x the risk mart, in plain SQL here) is the
oracle for group sizes, so the checks do not trust the model's own counts.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest
from heavy_setups import heavy_setup
from warehouse_build import BUILT_CONFIG

EQUITY = "marts.fct_equity_gaps_weekly"
AFFECTED = BUILT_CONFIG.equity_effect_group

# Exact group and complement sizes per (week, programme scope, dimension, group).
EXACT_SIZES = """
with people as (
    select r.week_start_date, r.apprentice_id, r.programme_id, a.gender, a.ethnicity_group,
           a.imd_quintile_label,
           case when a.has_ldd then 'Yes' when not a.has_ldd then 'No' else 'Unknown' end as ldd
    from marts.fct_apprentice_risk_weekly r join marts.dim_apprentice a using (apprentice_id)
),
scoped as (
    select * from people
    union all
    select * replace ('ALL' as programme_id) from people
),
long as (
    select week_start_date, programme_id, 'gender' as dimension, gender as group_value from scoped
    union all select week_start_date, programme_id, 'ethnicity_group', ethnicity_group from scoped
    union all select week_start_date, programme_id, 'imd_quintile', imd_quintile_label from scoped
    union all select week_start_date, programme_id, 'ldd', ldd from scoped
),
sizes as (
    select week_start_date, programme_id, dimension, group_value, count(*) as n
    from long group by all
)
select week_start_date, programme_id, dimension, group_value, n,
       sum(n) over (partition by week_start_date, programme_id, dimension) - n as others
from sizes
"""


def _rows(path, sql: str) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def equity(built_warehouse) -> dict[tuple, dict]:
    rows = _rows(built_warehouse, f"select * from {EQUITY}")
    return {(r["week_start_date"], r["programme_id"], r["dimension"], r["group_value"]): r
            for r in rows}


@pytest.fixture(scope="module")
def exact(built_warehouse) -> dict[tuple, dict]:
    return {(r["week_start_date"], r["programme_id"], r["dimension"], r["group_value"]): r
            for r in _rows(built_warehouse, EXACT_SIZES)}


def test_every_group_in_learning_has_a_row_and_no_other(equity, exact) -> None:
    assert set(exact) == set(equity)


def test_small_groups_exist_and_are_suppressed(equity, exact) -> None:
    small = [k for k, v in exact.items() if v["n"] < 10 or v["others"] < 10]
    assert len(small) > 20, "the test warehouse should have small groups to suppress"
    for key in small:
        row = equity[key]
        assert row["is_suppressed"], key
        figures = {c: v for c, v in row.items()
                   if c.startswith(("group_", "others_", "gap_")) and c != "group_value"}
        assert all(v is None for v in figures.values()), (key, figures)


def test_no_shown_cell_has_fewer_than_10_apprentices_on_either_side(equity, exact) -> None:
    shown = [k for k, row in equity.items() if not row["is_suppressed"]]
    assert shown, "nothing shown at all"
    for key in shown:
        assert exact[key]["n"] >= 10 and exact[key]["others"] >= 10, key
        # published counts are rounded to the nearest 5
        assert abs(equity[key]["group_in_learning_count"] - exact[key]["n"]) <= 2.5, key
        assert equity[key]["group_in_learning_count"] % 5 == 0


def test_a_suppressed_group_cannot_be_recovered_from_the_total(equity, exact) -> None:
    """Per week x programme x dimension: no suppression, or at least two suppressed groups
    holding 10 or more apprentices between them (or the whole dimension suppressed)."""
    cells: dict[tuple, list[tuple]] = {}
    for key in exact:
        cells.setdefault(key[:3], []).append(key)
    checked = 0
    for keys in cells.values():
        hidden = [k for k in keys if equity[k]["is_suppressed"]]
        if not hidden or len(hidden) == len(keys):
            continue
        checked += 1
        assert len(hidden) >= 2, hidden
        assert sum(exact[k]["n"] for k in hidden) >= 10, hidden
    assert checked, "no partially suppressed dimension to check"


def test_shown_red_share_matches_the_risk_mart(equity, built_warehouse) -> None:
    truth = {(r["week_start_date"], r["gender"]): r for r in _rows(built_warehouse, """
        select r.week_start_date, a.gender, avg(case when r.risk_band = 'Red' then 1.0 else 0 end) as red
        from marts.fct_apprentice_risk_weekly r join marts.dim_apprentice a using (apprentice_id)
        group by all""")}
    compared = 0
    for (week, programme, dimension, group), row in equity.items():
        if programme == "ALL" and dimension == "gender" and not row["is_suppressed"]:
            assert row["group_red_share"] == pytest.approx(truth[(week, group)]["red"])
            low, high = row["gap_red_share_ci_low"], row["gap_red_share_ci_high"]
            assert low <= row["gap_red_share"] <= high
            compared += 1
    assert compared >= 2


# Built beside the other heavy set-ups (heavy_setups.py).
@heavy_setup("with_equity_effect", seconds=60)
def build_with_equity_effect(root: Path):
    from warehouse_build import build_warehouse

    config = dataclasses.replace(BUILT_CONFIG, equity_effect=True)
    yield build_warehouse(root, config, weeks=1, send_emails=False)


@pytest.fixture(scope="module")
def with_equity_effect(heavy_setups):
    return heavy_setups.get("with_equity_effect")


def _feedback_gap(path) -> dict:
    rows = _rows(path, f"""
        select * from {EQUITY}
        where programme_id = 'ALL' and dimension = 'ethnicity_group' and group_value = '{AFFECTED}'
        order by week_start_date desc limit 1""")
    assert rows and not rows[0]["is_suppressed"], rows
    return rows[0]


def test_equity_effect_shows_as_a_feedback_gap_whose_interval_excludes_zero(
        with_equity_effect, built_warehouse) -> None:
    on = _feedback_gap(with_equity_effect.path)
    off = _feedback_gap(built_warehouse)

    def show(row: dict) -> str:
        gap = "gap_mean_days_since_feedback"
        return f"{row[gap]:.1f} days [{row[gap + '_ci_low']:.1f}, {row[gap + '_ci_high']:.1f}]"

    print(f"\nfeedback gap for {AFFECTED}: effect on {show(on)}; off {show(off)}")
    assert on["gap_mean_days_since_feedback_ci_low"] > 0
    assert abs(off["gap_mean_days_since_feedback"]) < on["gap_mean_days_since_feedback"] / 2
    assert off["gap_mean_days_since_feedback_ci_low"] < on["gap_mean_days_since_feedback_ci_low"]


def test_validity_report_reads_the_planted_gap_and_only_it(with_equity_effect, built_warehouse) -> None:
    """The validity report's equity check (validity/equity_check.py) on the same two warehouses."""
    from pipeline_health.validity.equity_check import read_gap
    from pipeline_health.validity.report import equity_verdict

    on = read_gap(with_equity_effect.path, AFFECTED)
    off = read_gap(built_warehouse, AFFECTED)
    assert on.week_start_date is not None and on.gap_mean_days_since_feedback_ci[0] > 0
    assert "The lens finds the planted gap and only it." in equity_verdict(off, on)
    # Swapped, the verdict must not claim success: the "off" history would show the gap.
    assert "only it" not in equity_verdict(on, on)
