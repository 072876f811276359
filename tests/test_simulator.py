"""The simulator: determinism, referential integrity and a realistic population."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest

from pipeline_health.config import ConfigError, SimulationConfig
from pipeline_health.schemas import TABLES_BY_NAME
from pipeline_health.simulator import build_population, generate_day, generate_reference
from pipeline_health.simulator.activity import _status_changes, engagement
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
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        tables = generate_day(config, day).tables
        for row in tables["raw_status_changes"]:
            outcomes[row["to_status"]] += row["to_status"] in ("Withdrawn", "Completed", "Promoted")
        for row in tables["raw_session_attendance"]:
            weeks = weekly_attendance.setdefault(row["apprentice_id"], {})
            weeks.setdefault(day.toordinal() // 7, []).append(row["attendance_status"] != "absent")
    starts = len(pop.apprentice_ids)
    assert outcomes["Withdrawn"] + outcomes["Completed"] == starts  # every start finishes
    assert 0.38 <= outcomes["Withdrawn"] / starts <= 0.44
    assert 0.55 <= outcomes["Completed"] / starts <= 0.61
    # Promotions come up to 180 days after completion, some after the simulated range.
    assert 0.12 <= outcomes["Promoted"] / outcomes["Completed"] <= 0.32
    ldd = np.mean([a["has_ldd"] for a in generate_reference(config)["raw_apprentices"]])
    assert 0.12 <= ldd <= 0.17

    # Gradual and step withdrawals are preceded by weeks of falling engagement; abrupt
    # ones are not (an abrupt job loss has no activity at all in its last weeks).
    truth = {o["apprentice_id"]: o for o in generate_reference(config)["apprentice_outcomes"]}
    attendance: dict[str, tuple[list[float], list[float]]] = {
        "declining": ([], []), "abrupt": ([], [])}
    for apprentice_id, o in truth.items():
        if o["outcome"] != "withdrawn":
            continue
        week_of_exit = o["withdrawal_date"].toordinal() // 7
        weeks = weekly_attendance.get(apprentice_id, {})
        before = [a for w in range(week_of_exit - 20, week_of_exit - 16) for a in weeks.get(w, [])]
        last_weeks = [a for w in range(week_of_exit - 1, week_of_exit + 1) for a in weeks.get(w, [])]
        if before and last_weeks:
            early, late = attendance["abrupt" if o["withdrawal_kind"] == "abrupt" else "declining"]
            early.append(np.mean(before))
            late.append(np.mean(last_weeks))
    early, late = attendance["declining"]
    assert len(early) > 150
    assert np.mean(late) < np.mean(early) - 0.25
    early, late = attendance["abrupt"]
    assert len(early) > 50
    assert abs(np.mean(late) - np.mean(early)) < 0.06


def test_breaks_in_learning_are_longer_than_four_weeks_and_delay_the_end():
    pop = build_population(SimulationConfig())
    has_break = pop.break_start > 0
    assert has_break.any()
    assert ((pop.break_end - pop.break_start)[has_break] >= MIN_BREAK_DAYS).all()
    assert (pop.end[has_break] > pop.planned_end[has_break]).all()


def test_truth_is_kept_apart_from_reference_data(small_config):
    ref = generate_reference(small_config)
    assert "apprentice_outcomes" in ref
    leaky = {"outcome", "withdrawal_date", "withdrawal_kind", "decline_onset_date",
             "engagement_baseline", "at_risk_recorded_date", "promotion_date"}
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


def test_the_demo_population_is_a_default_that_the_setting_overrides(monkeypatch):
    """`make demo` runs a smaller population, unless PIPELINE_HEALTH_POPULATION says otherwise."""
    from pipeline_health.local.demo import DEMO_POPULATION

    monkeypatch.delenv("PIPELINE_HEALTH_POPULATION", raising=False)
    assert SimulationConfig.from_env().population == SimulationConfig().population != DEMO_POPULATION
    assert SimulationConfig.from_env(default_population=DEMO_POPULATION).population == DEMO_POPULATION
    monkeypatch.setenv("PIPELINE_HEALTH_POPULATION", "500")
    assert SimulationConfig.from_env(default_population=DEMO_POPULATION).population == 500


# --- Honest withdrawals and At Risk judgements ---------------------------------------

FINAL = {"Withdrawn", "Promoted"}


@pytest.fixture(scope="module")
def honest_population():
    """5,000 apprentices, their truth and every status change they ever get."""
    config = SimulationConfig(seed=11, population=5000, first_cohort="2025-01",
                              last_cohort="2026-06")
    pop = build_population(config)
    changes: dict[str, list[tuple[date, dict]]] = {}
    first, last = int(pop.start.min()), int(max(pop.end.max(), pop.promotion.max()))
    for ordinal in range(first, last + 1):
        day = date.fromordinal(ordinal)
        for row in _status_changes(pop, day):
            changes.setdefault(row["apprentice_id"], []).append((day, row))
    truth = {o["apprentice_id"]: o for o in pop.outcomes}
    return config, truth, changes


def _first_at_risk(history: list[tuple[date, dict]]) -> date | None:
    return next((day for day, row in history if row["to_status"] == "At Risk"), None)


def test_about_a_third_of_withdrawals_are_abrupt(honest_population):
    config, truth, _ = honest_population
    withdrawers = [o for o in truth.values() if o["outcome"] == "withdrawn"]
    kinds = Counter(o["withdrawal_kind"] for o in withdrawers)
    assert set(kinds) == {"gradual", "step", "abrupt"}
    assert abs(kinds["abrupt"] / len(withdrawers) - config.abrupt_withdrawal_share) < 0.04
    assert 0.38 <= len(withdrawers) / len(truth) <= 0.46


def test_at_risk_is_a_partial_judgement_not_the_truth(honest_population):
    _, truth, changes = honest_population
    withdrawers = [a for a, o in truth.items() if o["outcome"] == "withdrawn"]
    flagged_before_exit = [a for a in withdrawers
                           if (d := _first_at_risk(changes[a])) and d < truth[a]["withdrawal_date"]]
    share = len(flagged_before_exit) / len(withdrawers)
    assert 0.2 <= share <= 0.5, share  # well under all withdrawers
    ever_flagged = [a for a in truth if _first_at_risk(changes[a])]
    stayed = [a for a in ever_flagged if truth[a]["outcome"] != "withdrawn"]
    assert 0.15 <= len(stayed) / len(ever_flagged) <= 0.6  # dips and false alarms
    # Declines are noticed about half the time, 1-6 weeks after the onset; a flag before
    # the onset is a false alarm, cleared on review.
    decliners = [a for a in withdrawers if truth[a]["withdrawal_kind"] != "abrupt"]
    noticed = 0
    for a in decliners:
        onset = truth[a]["decline_onset_date"]
        for day, row in changes[a]:
            if row["to_status"] == "At Risk" and day >= onset:
                noticed += 1
                assert 7 <= (day - onset).days <= 42
            elif row["to_status"] == "At Risk":
                assert truth[a]["at_risk_cleared_date"] < onset
    assert 0.4 <= noticed / len(decliners) <= 0.6
    # At Risk goes back to Active on recovery or on the coach's review.
    reasons = Counter(row["reason"] for history in changes.values() for _, row in history
                      if row["from_status"] == "At Risk" and row["to_status"] == "Active")
    assert reasons["recovered"] > 0 and reasons["coach_review"] > 0


def test_abrupt_withdrawals_have_no_warning(honest_population):
    _, truth, changes = honest_population
    abrupt = [a for a, o in truth.items() if o["withdrawal_kind"] == "abrupt"]
    assert abrupt
    for a in abrupt:
        assert _first_at_risk(changes[a]) is None
        assert truth[a]["decline_onset_date"] is None and truth[a]["decline_shape"] is None
    # A job lost with no new employer: a break after 30 days, withdrawal 12 weeks later.
    job_loss = [a for a in abrupt if truth[a]["job_end_date"]]
    assert 0.2 <= len(job_loss) / len(abrupt) <= 0.5
    for a in job_loss:
        o = truth[a]
        steps = [(day, row["to_status"]) for day, row in changes[a]]
        assert steps[-2:] == [(o["break_start_date"], "Delayed"), (o["withdrawal_date"], "Withdrawn")]
        assert (o["break_start_date"] - o["job_end_date"]).days == 30
        assert (o["withdrawal_date"] - o["break_start_date"]).days == 84


def test_completion_and_promotion_rates(honest_population):
    config, truth, changes = honest_population
    completers = [a for a, o in truth.items() if o["outcome"] == "completed"]
    assert 0.54 <= len(completers) / len(truth) <= 0.62
    promoted = [a for a in completers if truth[a]["promotion_date"]]
    assert abs(len(promoted) / len(completers) - config.promotion_rate) < 0.03
    baseline = np.array([truth[a]["engagement_baseline"] for a in completers])
    is_promoted = np.array([bool(truth[a]["promotion_date"]) for a in completers])
    assert baseline[is_promoted].mean() > baseline[~is_promoted].mean()  # engaged: likelier
    for a in promoted:
        assert [row["to_status"] for _, row in changes[a][-2:]] == ["Completed", "Promoted"]


def test_status_histories_follow_the_vocabulary(honest_population):
    _, truth, changes = honest_population
    allowed = {(None, "Active"), ("Active", "At Risk"), ("At Risk", "Active"),
               ("Active", "Delayed"), ("Delayed", "Active"), ("Active", "Withdrawn"),
               ("At Risk", "Withdrawn"), ("Delayed", "Withdrawn"), ("Active", "Completed"),
               ("Completed", "Promoted")}
    for apprentice_id, history in changes.items():
        status = None
        for day, row in history:
            assert row["from_status"] == status, (apprentice_id, history)
            assert (status, row["to_status"]) in allowed
            assert status not in FINAL
            status = row["to_status"]
            assert row["changed_at"].startswith(day.isoformat())
        o = truth[apprentice_id]
        assert status in ({"Withdrawn"} if o["outcome"] == "withdrawn" else {"Completed", "Promoted"})
        if status == "Promoted":  # recorded after the Completed change of the same day
            assert history[-1][1]["changed_at"] > history[-2][1]["changed_at"]


def test_truth_columns_are_consistent(honest_population):
    config, truth, changes = honest_population
    assert list(next(iter(truth.values()))) == [
        c.name for c in TABLES_BY_NAME["apprentice_outcomes"].payload_columns]
    for a, o in truth.items():
        first_at_risk = _first_at_risk(changes[a])
        assert o["at_risk_recorded_date"] == first_at_risk
        if o["outcome"] == "withdrawn":
            assert o["withdrawal_date"] == o["end_date"] and o["completion_date"] is None
            assert o["promotion_date"] is None and o["decline_recovered_date"] is None
            if o["withdrawal_kind"] in ("gradual", "step"):
                assert o["decline_onset_date"] < o["withdrawal_date"]
                expected = {"step"} if o["withdrawal_kind"] == "step" else {
                    "linear", "accelerating", "decelerating"}
                assert o["decline_shape"] in expected
                lead = (o["withdrawal_date"] - o["decline_onset_date"]).days
                assert lead <= (16 if o["withdrawal_kind"] == "gradual" else 8) * 7
        else:
            assert o["withdrawal_kind"] is None and o["withdrawal_date"] is None
            assert o["completion_date"] == o["end_date"] and o["job_end_date"] is None
            if o["promotion_date"]:
                days = (o["promotion_date"] - o["completion_date"]).days
                assert 0 <= days <= config.promotion_window_days
            if o["decline_onset_date"]:  # a dip that recovers before completion
                assert o["decline_shape"] in ("v", "u", "step")
                assert o["decline_onset_date"] < o["decline_recovered_date"] < o["end_date"]
        if first_at_risk and o["at_risk_cleared_date"]:
            assert first_at_risk < o["at_risk_cleared_date"] <= o["end_date"]


def test_declines_and_dips_shape_engagement(honest_population):
    config, truth, _ = honest_population
    pop = build_population(config)
    by_shape: dict[str, int] = {}
    for i, o in enumerate(pop.outcomes):
        if o["decline_shape"] and o["decline_shape"] not in by_shape and o["outcome"] == "completed":
            by_shape[o["decline_shape"]] = i
    assert set(by_shape) == {"v", "u", "step"}
    for i in by_shape.values():
        o = pop.outcomes[i]
        onset, recovered = o["decline_onset_date"].toordinal(), o["decline_recovered_date"].toordinal()
        curve = [float(engagement(pop, np.array([i]), d, np.ones(1))[0])
                 for d in (onset - 1, (onset + recovered) // 2, recovered)]
        assert curve[1] < curve[0] * 0.9 and curve[2] == curve[0]
    for i, o in enumerate(pop.outcomes):
        if o["withdrawal_kind"] == "gradual":
            onset, exit_day = o["decline_onset_date"].toordinal(), o["withdrawal_date"].toordinal()
            levels = [float(engagement(pop, np.array([i]), d, np.ones(1))[0])
                      for d in (onset - 1, (onset + exit_day) // 2, exit_day)]
            assert levels[0] >= levels[1] >= levels[2]
            assert levels[2] < levels[0] * 0.55 or levels[2] == 0.02


def test_equity_effect_changes_only_coach_feedback():
    off = SimulationConfig(seed=3, population=3000)
    on = dataclasses.replace(off, equity_effect=True)
    group = {a["apprentice_id"]: a["ethnicity_group"] for a in build_population(off).apprentices}
    changed = 0
    for offset in range(6):
        day = date(2026, 3, 9) + timedelta(days=offset)  # Monday to Saturday
        off_tables, on_tables = generate_day(off, day).tables, generate_day(on, day).tables
        for name in off_tables:
            if name != "raw_coach_feedback":
                assert _canonical(off_tables[name]) == _canonical(on_tables[name]), (day, name)
        # Feedback is only removed, and only for the group's members.
        kept = {r["event_id"]: r for r in on_tables["raw_coach_feedback"]}
        removed = [r for r in off_tables["raw_coach_feedback"] if r["event_id"] not in kept]
        assert all(kept[r["event_id"]] == r for r in off_tables["raw_coach_feedback"]
                   if r["event_id"] in kept)
        assert len(kept) + len(removed) == len(off_tables["raw_coach_feedback"])
        assert {group[r["apprentice_id"]] for r in removed} <= {off.equity_effect_group}
        changed += bool(removed)
    assert changed >= 4  # most weekdays
    assert generate_reference(off)["apprentice_outcomes"] == (
        generate_reference(on)["apprentice_outcomes"])


@pytest.mark.parametrize("kwargs, fragment", [
    ({"abrupt_withdrawal_share": 1.5}, "abrupt_withdrawal_share"),
    ({"promotion_rate": -0.1}, "promotion_rate"),
    ({"at_risk_lag_weeks": (6, 1)}, "at_risk_lag_weeks"),
    ({"gradual_decline_weeks": (4,)}, "gradual_decline_weeks"),
])
def test_bad_story_settings_are_rejected(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        SimulationConfig(**kwargs)
