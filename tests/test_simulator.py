"""The simulator: determinism, referential integrity and a realistic population."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest

from pipeline_health.config import ConfigError, SimulationConfig
from pipeline_health.simulator import build_population, generate_day, generate_reference
from pipeline_health.simulator.population import MIN_BREAK_DAYS

DAY = date(2026, 3, 10)


def _canonical(batch_tables: dict) -> bytes:
    return json.dumps(batch_tables, sort_keys=True, default=str).encode()


def test_same_seed_and_day_give_byte_identical_rows(small_config):
    first = _canonical(generate_day(small_config, DAY).tables)
    build_population.cache_clear()  # regenerate the population from scratch too
    second = _canonical(generate_day(dataclasses.replace(small_config), DAY).tables)
    assert first == second
    assert len(first) > 10_000


def test_a_day_does_not_depend_on_the_days_generated_before_it(small_config):
    alone = _canonical(generate_day(small_config, DAY).tables)
    build_population.cache_clear()
    for n in range(5, 0, -1):  # generate the preceding days first, in reverse order
        generate_day(small_config, DAY - timedelta(days=n))
    assert _canonical(generate_day(small_config, DAY).tables) == alone


def test_different_days_and_seeds_differ(small_config):
    base = generate_day(small_config, DAY).tables
    next_day = generate_day(small_config, DAY + timedelta(days=7)).tables
    other_seed = generate_day(dataclasses.replace(small_config, seed=8), DAY).tables
    assert _canonical(base) != _canonical(next_day)
    assert _canonical(base) != _canonical(other_seed)


def test_clean_data_is_referentially_intact(small_config):
    ref = generate_reference(small_config)
    apprentices = {a["apprentice_id"]: a for a in ref["raw_apprentices"]}
    coaches = {c["coach_id"] for c in ref["raw_coaches"]}
    cohorts = {c["cohort_id"]: c for c in ref["raw_cohorts"]}
    employers = {e["employer_id"] for e in ref["raw_employers"]}
    programmes = {p["programme_id"] for p in ref["raw_programmes"]}
    for a in apprentices.values():
        assert a["coach_id"] in coaches and a["employer_id"] in employers
        assert a["programme_id"] in programmes
        assert cohorts[a["cohort_id"]]["programme_id"] == a["programme_id"]
        assert a["start_date"] == cohorts[a["cohort_id"]]["start_date"]
        assert a["planned_end_date"] > a["start_date"]
    seen_ids = set()
    for offset in range(14):
        day = DAY + timedelta(days=offset)
        for table, rows in generate_day(small_config, day).tables.items():
            for row in rows:
                assert row["event_id"] not in seen_ids, f"duplicate id in clean {table}"
                seen_ids.add(row["event_id"])
                apprentice = apprentices[row["apprentice_id"]]
                assert apprentice["start_date"] <= day, f"{table} event before the start"
                if "coach_id" in row:
                    assert row["coach_id"] == apprentice["coach_id"]
                timestamp = next(v for k, v in row.items() if k.endswith("_at"))
                assert timestamp.startswith(day.isoformat()), f"{table} dated off the day"
    assert len(seen_ids) > 1000


def test_coach_caseloads_are_realistic():
    pop = build_population(SimulationConfig())
    day = date(2026, 11, 1).toordinal()
    in_learning = (pop.start <= day) & (day <= pop.end)
    caseloads = Counter(pop.coach_ids[in_learning])
    sizes = np.array(list(caseloads.values()))
    assert 30 <= np.median(sizes) <= 60, sizes
    assert 1_500 <= in_learning.sum() <= 5_000  # "a few thousand" in learning by default


def test_base_rates_over_a_full_programme_match_uk_figures():
    """Simulate every day of three cohorts' programmes and count what happened."""
    config = SimulationConfig(population=1500, first_cohort="2024-01", last_cohort="2024-03")
    pop = build_population(config)
    first, last = date.fromordinal(int(pop.start.min())), date.fromordinal(int(pop.end.max()))
    outcomes: Counter = Counter()
    weekly_attendance: dict[str, dict[int, list[int]]] = {}
    withdrawal_day = {}
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        tables = generate_day(config, day).tables
        for row in tables["raw_status_changes"]:
            if row["to_status"] in ("Withdrawn", "Promoted"):
                outcomes[row["to_status"]] += 1
                withdrawal_day[row["apprentice_id"]] = day
        for row in tables["raw_session_attendance"]:
            weeks = weekly_attendance.setdefault(row["apprentice_id"], {})
            weeks.setdefault(day.toordinal() // 7, []).append(row["attendance_status"] != "absent")
    starts = len(pop.apprentice_ids)
    assert outcomes["Withdrawn"] + outcomes["Promoted"] == starts  # every start finishes
    assert 0.38 <= outcomes["Withdrawn"] / starts <= 0.44
    assert 0.55 <= outcomes["Promoted"] / starts <= 0.60
    ldd = np.mean([a["has_ldd"] for a in generate_reference(config)["raw_apprentices"]])
    assert 0.12 <= ldd <= 0.17

    # Withdrawals are preceded by weeks of falling engagement, not sudden.
    truth = {o["apprentice_id"]: o for o in generate_reference(config)["apprentice_outcomes"]}
    early, late = [], []
    for apprentice_id, o in truth.items():
        if o["outcome"] != "withdrawn":
            continue
        week_of_exit = o["withdrawal_date"].toordinal() // 7
        weeks = weekly_attendance.get(apprentice_id, {})
        before = [a for w in range(week_of_exit - 16, week_of_exit - 10) for a in weeks.get(w, [])]
        last_weeks = [a for w in range(week_of_exit - 3, week_of_exit + 1) for a in weeks.get(w, [])]
        if before and last_weeks:
            early.append(np.mean(before))
            late.append(np.mean(last_weeks))
    assert len(early) > 300
    assert np.mean(late) < np.mean(early) - 0.25


def test_breaks_in_learning_are_longer_than_four_weeks_and_delay_the_end():
    pop = build_population(SimulationConfig())
    has_break = pop.break_start > 0
    assert has_break.any()
    assert ((pop.break_end - pop.break_start)[has_break] >= MIN_BREAK_DAYS).all()
    assert (pop.end[has_break] > pop.planned_end[has_break]).all()


def test_truth_is_kept_apart_from_reference_data(small_config):
    ref = generate_reference(small_config)
    assert "apprentice_outcomes" in ref
    leaky = {"outcome", "withdrawal_date", "decline_start_date", "engagement_baseline"}
    for name, rows in ref.items():
        if name != "apprentice_outcomes":
            assert not leaky & set(rows[0]), f"{name} leaks simulated truth"


def test_equity_effect_is_off_by_default_and_reduces_feedback_when_on():
    base = SimulationConfig(population=3000)
    group = base.equity_effect_group
    pop = build_population(base)
    assert (pop.feedback_factor == 1.0).all()

    def feedback_per_member(config: SimulationConfig) -> tuple[float, float]:
        p = build_population(config)
        in_group = {a["apprentice_id"] for a in p.apprentices if a["ethnicity_group"] == group}
        hits: Counter = Counter()
        for n in range(60):
            for row in generate_day(config, date(2026, 1, 5) + timedelta(days=n)).tables[
                    "raw_coach_feedback"]:
                hits[row["apprentice_id"] in in_group] += 1
        return hits[True] / len(in_group), hits[False] / (len(p.apprentices) - len(in_group))

    on_group, on_rest = feedback_per_member(dataclasses.replace(base, equity_effect=True))
    off_group, off_rest = feedback_per_member(base)
    assert on_group / on_rest < 0.7 * (off_group / off_rest)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"population": 5}, "population"),
    ({"malformed_rate": 0.9}, "malformed_rate"),
    ({"first_cohort": "2026-13"}, "first_cohort"),
    ({"first_cohort": "2027-01", "last_cohort": "2026-01"}, "after last_cohort"),
])
def test_bad_configuration_is_rejected_with_a_clear_error(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        SimulationConfig(**kwargs)


def test_bad_environment_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("PIPELINE_HEALTH_POPULATION", "lots")
    with pytest.raises(ConfigError, match="PIPELINE_HEALTH_POPULATION"):
        SimulationConfig.from_env()
    monkeypatch.setenv("PIPELINE_HEALTH_POPULATION", "500")
    monkeypatch.setenv("PIPELINE_HEALTH_MALFORMED_RATE", "0.02")
    config = SimulationConfig.from_env()
    assert (config.population, config.malformed_rate) == (500, 0.02)
