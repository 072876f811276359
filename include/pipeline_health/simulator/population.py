"""Reference data and each apprentice's latent story, generated once per configuration.

Everything here is a pure function of `SimulationConfig`: the same seed gives the
same programmes, cohorts, people and fates. Daily activity (activity.py) reads the
arrays built here and never mutates them, so any day can be simulated on its own.

The story has three layers, each drawn from its own random stream so that tuning
one never re-draws another:

* fate (who withdraws), and how: `gradual` (engagement fades over 4-16 weeks, in a
  linear, accelerating or decelerating shape), `step` (a sudden drop 2-8 weeks
  before leaving) or `abrupt` (no warning: a job change, or a job loss after which
  activity stops, a break in learning is recorded 30 days later and the withdrawal
  12 weeks after that). Some stayers dip and recover, some take an agreed break.
* the coach's judgement: "At Risk" is recorded for only some declines, weeks after
  the onset, sometimes for dips that recover and for apprentices with no decline at
  all (false alarms, cleared on review), and never before an abrupt withdrawal.
* career: a share of completers is promoted by their employer after completion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
from faker import Faker

from pipeline_health.config import SimulationConfig

# Stream ids keep the random draws of unrelated parts independent of each other.
STREAM_POPULATION = 1  # programmes, cohorts, demographics, engagement, who withdraws
STREAM_NAMES = 2
STREAM_TRAJECTORY = 3  # withdrawal kinds and timing, declines, dips, breaks
STREAM_JUDGEMENT = 4  # coaches' At Risk judgements
STREAM_CAREER = 5  # promotions after completion
STREAM_ORGANISATION = 6  # coaches, employers, session weekdays
# (id, name, level, duration in months, popularity weight)
PROGRAMMES: tuple[tuple[str, str, int, int, float], ...] = (
    ("PRG-DA4", "Data Analyst", 4, 15, 0.24),
    ("PRG-SE4", "Software Engineer", 4, 18, 0.18),
    ("PRG-DF3", "Data Fundamentals", 3, 13, 0.20),
    ("PRG-BA4", "Business Analyst", 4, 15, 0.14),
    ("PRG-DT6", "Digital Technology Solutions (degree)", 6, 24, 0.10),
    ("PRG-AI7", "AI and Data Science", 7, 20, 0.06),
    ("PRG-PM4", "Associate Project Manager", 4, 17, 0.08),
)

GENDERS = (("Female", 0.46), ("Male", 0.52), ("Non-binary", 0.01), ("Prefer not to say", 0.01))
# ONS 2021 high-level ethnic groups, weighted roughly like the apprentice population.
ETHNICITY_GROUPS = (
    ("White", 0.77),
    ("Asian or Asian British", 0.10),
    ("Black, Black British, Caribbean or African", 0.05),
    ("Mixed or Multiple ethnic groups", 0.04),
    ("Other ethnic group", 0.02),
    ("Prefer not to say", 0.02),
)
LDD_CATEGORIES = (
    ("Dyslexia", 0.30),
    ("Neurodivergence (ADHD)", 0.17),
    ("Autism spectrum condition", 0.12),
    ("Mental health difficulty", 0.20),
    ("Dyspraxia", 0.06),
    ("Physical disability or medical condition", 0.10),
    ("Other", 0.05),
)
SECTORS = ("Financial services", "Public sector", "Retail", "Technology", "Healthcare",
           "Manufacturing", "Professional services", "Telecoms", "Energy", "Education")
REGIONS = ("London", "South East", "North West", "Midlands", "Yorkshire", "Scotland", "Wales")

TARGET_CASELOAD = 45  # coaches carry roughly 30-60 apprentices in learning
REVIEW_INTERVAL_DAYS = 84  # progress reviews at least every 12 weeks
MIN_BREAK_DAYS = 35  # a break in learning is a gap of more than 4 weeks
BREAK_RATE = 0.06  # stayers (without a dip) who take an agreed break in learning
JOB_LOSS_BREAK_WAIT_DAYS = 30  # no new employer within 30 days: a break is recorded
JOB_LOSS_WITHDRAW_AFTER_DAYS = 84  # ... and the withdrawal follows 12 weeks later
NEVER = 10**8  # ordinal after any real date: "no such event" in engagement arithmetic

GRADUAL, STEP, ABRUPT = 1, 2, 3
WITHDRAWAL_KINDS = {GRADUAL: "gradual", STEP: "step", ABRUPT: "abrupt"}
# Gradual decline shapes: drop = depth * progress ** exponent.
GRADUAL_SHAPES = (("linear", 1.0), ("accelerating", 2.0), ("decelerating", 0.5))
# Recovering dips: v (down then up), u (quick fall, plateau, quick rise), step (sudden
# fall, gradual recovery); the numbers are where the bottom starts and ends, as
# fractions of the dip's length.
DIP_SHAPES = (("v", 0.5, 0.5), ("u", 0.25, 0.75), ("step", 0.0, 0.0))
CLEARED_RECOVERED, CLEARED_COACH_REVIEW = 1, 2
CLEAR_REASONS = {CLEARED_RECOVERED: "recovered", CLEARED_COACH_REVIEW: "coach_review"}


@dataclass(frozen=True)
class Trajectories:
    """Latent engagement story per apprentice (ordinals; 0 = none unless noted)."""

    withdraws: np.ndarray
    kind: np.ndarray  # 0 (stays) or GRADUAL | STEP | ABRUPT
    shape: np.ndarray  # decline or dip shape name, None without one
    onset: np.ndarray  # first day of the decline or dip
    bottom: np.ndarray  # first day at full depth (= withdrawal for a gradual decline)
    rise: np.ndarray  # first day of recovery (dips only)
    recovered: np.ndarray  # first day back at baseline (dips only)
    depth: np.ndarray  # fraction of engagement lost at the bottom
    exponent: np.ndarray  # curvature of the fall
    end: np.ndarray  # last day in learning: withdrawal or completion
    job_end: np.ndarray  # abrupt job loss: activity stops this day
    break_start: np.ndarray  # agreed break of a stayer (activity pauses)
    break_end: np.ndarray


@dataclass(frozen=True)
class Judgements:
    at_risk: np.ndarray  # day the coach records At Risk (0 = never)
    cleared: np.ndarray  # day it goes back to Active (0 = never)
    clear_reason: np.ndarray  # CLEARED_RECOVERED | CLEARED_COACH_REVIEW


@dataclass(frozen=True)
class Population:
    """Column arrays, one element per apprentice (index i ↔ apprentice_ids[i])."""

    config: SimulationConfig
    programmes: list[dict]
    cohorts: list[dict]
    employers: list[dict]
    coaches: list[dict]
    apprentices: list[dict]
    outcomes: list[dict]
    # Arrays used by the daily simulation (dates as proleptic ordinals; 0 = none).
    apprentice_ids: np.ndarray
    coach_ids: np.ndarray
    cohort_ids: np.ndarray
    quiz_prefix: np.ndarray  # "QZ-<programme>-M", the module number follows
    programme_index: np.ndarray
    cohort_index: np.ndarray
    start: np.ndarray
    planned_end: np.ndarray
    end: np.ndarray
    baseline: np.ndarray
    withdraws: np.ndarray
    job_end: np.ndarray
    break_start: np.ndarray
    break_end: np.ndarray
    at_risk: np.ndarray
    at_risk_cleared: np.ndarray
    at_risk_clear_reason: np.ndarray
    promotion: np.ndarray
    # Engagement curve (NEVER where the apprentice has no such point).
    curve_onset: np.ndarray
    curve_bottom: np.ndarray
    curve_rise: np.ndarray
    curve_recovered: np.ndarray
    curve_depth: np.ndarray
    curve_exponent: np.ndarray
    activity_stop: np.ndarray  # first day without activity for good (NEVER if none)
    session_weekdays: np.ndarray  # per cohort: two weekdays (0=Mon) with sessions
    feedback_factor: np.ndarray  # equity effect multiplier (1.0 unless switched on)
    otj_plan_per_week: np.ndarray

    def tables(self) -> dict[str, list[dict]]:
        """Reference tables for the raw layer, plus the truth table."""
        return {
            "raw_programmes": self.programmes,
            "raw_cohorts": self.cohorts,
            "raw_employers": self.employers,
            "raw_coaches": self.coaches,
            "raw_apprentices": self.apprentices,
            "apprentice_outcomes": self.outcomes,
        }


def _months(first: str, last: str) -> list[date]:
    y, m = (int(p) for p in first.split("-"))
    ly, lm = (int(p) for p in last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _first_monday(month_start: date) -> date:
    return month_start + timedelta(days=(7 - month_start.weekday()) % 7)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    day = min(d.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                      31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)


def _choice(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    labels = np.array([o[0] for o in options], dtype=object)
    weights = np.array([o[1] for o in options])
    return labels[rng.choice(len(options), size=n, p=weights / weights.sum())]


def _calibrated_probabilities(risk: np.ndarray, rate: float) -> np.ndarray:
    """Per-person withdrawal probability from a risk score, with mean exactly `rate`."""
    if rate <= 0:
        return np.zeros_like(risk)
    lo, hi = -20.0, 20.0
    for _ in range(60):  # bisection on the intercept of a logistic model
        mid = (lo + hi) / 2
        mean = float(np.mean(1 / (1 + np.exp(-(mid + risk)))))
        lo, hi = (mid, hi) if mean < rate else (lo, mid)
    return 1 / (1 + np.exp(-((lo + hi) / 2 + risk)))


def _iso(o: int) -> date | None:
    return date.fromordinal(int(o)) if o else None


def _days(rng: np.random.Generator, weeks: tuple[int, int], n: int) -> np.ndarray:
    """Whole days uniformly within a (min, max) range of weeks."""
    return rng.integers(weeks[0] * 7, weeks[1] * 7 + 1, size=n)


def _withdrawal_kinds(rng: np.random.Generator, config: SimulationConfig, withdraws: np.ndarray,
                      baseline: np.ndarray) -> np.ndarray:
    """GRADUAL | STEP | ABRUPT per withdrawer (0 for stayers).

    Engaged apprentices who leave anyway mostly leave for their job, not the course,
    so the chance of an abrupt withdrawal rises with baseline engagement; its mean
    over withdrawers is the configured share.
    """
    kind = np.zeros(len(withdraws), dtype=np.int8)
    w = np.flatnonzero(withdraws)
    if not len(w):
        return kind
    lean = 2.0 * (baseline[w] - baseline[w].mean())
    abrupt = rng.random(len(w)) < _calibrated_probabilities(lean, config.abrupt_withdrawal_share)
    step = rng.random(len(w)) < config.step_withdrawal_share
    kind[w] = np.where(abrupt, ABRUPT, np.where(step, STEP, GRADUAL))
    return kind


def _trajectories(rng: np.random.Generator, config: SimulationConfig, withdraws: np.ndarray,
                  baseline: np.ndarray, start: np.ndarray, planned_end: np.ndarray) -> Trajectories:
    """When and how each apprentice's engagement changes, and when they leave learning."""
    n = len(start)
    duration = planned_end - start + 1
    kind = _withdrawal_kinds(rng, config, withdraws, baseline)
    gradual, step, abrupt = kind == GRADUAL, kind == STEP, kind == ABRUPT

    frac = np.clip(rng.beta(1.4, 2.6, size=n), 0.0, 1.0)
    withdrawal = start + np.clip((frac * duration).astype(np.int64), 42, duration - 14)
    earliest_onset = start + 7
    g_onset = np.maximum(withdrawal - _days(rng, config.gradual_decline_weeks, n), earliest_onset)
    g_shape = rng.integers(0, len(GRADUAL_SHAPES), size=n)
    g_depth = rng.uniform(0.5, 0.9, size=n)
    s_onset = np.maximum(withdrawal - _days(rng, config.step_lead_weeks, n), earliest_onset)
    s_depth = rng.uniform(0.45, 0.8, size=n)
    # Job loss with no new employer: the job ends, a break is recorded after 30 days and
    # the withdrawal 12 weeks later. That only fits withdrawals from week 20 on, so those
    # are picked more often to keep the configured share of abrupt withdrawals.
    job_end_at = withdrawal - JOB_LOSS_BREAK_WAIT_DAYS - JOB_LOSS_WITHDRAW_AFTER_DAYS
    fits = abrupt & (job_end_at >= start + 28)
    odds = config.job_loss_break_share * abrupt.sum() / max(int(fits.sum()), 1)
    job_loss = fits & (rng.random(n) < min(odds, 1.0))

    stays = ~withdraws
    has_dip = stays & (rng.random(n) < config.recovering_dip_rate)
    dip_len = _days(rng, config.recovering_dip_weeks, n)
    # The dip sits between week 6 and four weeks before the planned end.
    room = np.maximum(duration - 42 - dip_len - 28, 0)
    dip_onset = start + 42 + (rng.random(n) * room).astype(np.int64)
    dip_shape = rng.integers(0, len(DIP_SHAPES), size=n)
    dip_depth = rng.uniform(0.25, 0.65, size=n)
    has_break = stays & ~has_dip & (rng.random(n) < BREAK_RATE)
    break_at = start + (rng.random(n) * (duration - 120)).astype(np.int64) + 42
    break_len = rng.integers(MIN_BREAK_DAYS, 71, size=n)

    zeros = np.zeros(n, dtype=np.int64)
    bottom_from = np.array([s[1] for s in DIP_SHAPES])[dip_shape]
    bottom_to = np.array([s[2] for s in DIP_SHAPES])[dip_shape]
    onset = np.select([gradual, step, has_dip], [g_onset, s_onset, dip_onset], zeros)
    bottom = np.select([gradual, step, has_dip],
                       [withdrawal, s_onset, dip_onset + (bottom_from * dip_len).astype(np.int64)], zeros)
    rise = np.where(has_dip, dip_onset + (bottom_to * dip_len).astype(np.int64), zeros)
    shape = np.full(n, None, dtype=object)
    shape[gradual] = np.array([s[0] for s in GRADUAL_SHAPES], dtype=object)[g_shape[gradual]]
    shape[step] = "step"
    shape[has_dip] = np.array([s[0] for s in DIP_SHAPES], dtype=object)[dip_shape[has_dip]]
    exponent = np.where(gradual, np.array([s[1] for s in GRADUAL_SHAPES])[g_shape], 1.0)
    end = np.where(withdraws, withdrawal, planned_end + np.where(has_break, break_len, 0))
    return Trajectories(
        withdraws=withdraws, kind=kind, shape=shape, onset=onset, bottom=bottom, rise=rise,
        recovered=np.where(has_dip, dip_onset + dip_len, zeros),
        depth=np.select([gradual, step, has_dip], [g_depth, s_depth, dip_depth], 0.0),
        exponent=exponent, end=end, job_end=np.where(job_loss, job_end_at, zeros),
        break_start=np.where(has_break, break_at, zeros),
        break_end=np.where(has_break, break_at + break_len, zeros),
    )


def _judgements(rng: np.random.Generator, config: SimulationConfig, t: Trajectories,
                start: np.ndarray) -> Judgements:
    """The coach's At Risk records: a late, partial and sometimes wrong view of the story.

    A coach notices a decline or dip with probability `at_risk_detection_rate`, 1-6
    weeks after its onset; if the apprentice has left (or recovered) by then, nothing
    is recorded. A flagged dip is cleared ('recovered') up to 3 weeks after recovery.
    Apprentices with no decline may be flagged for 2-8 weeks and cleared on review
    ('coach_review'). Abrupt withdrawers are never flagged: there is nothing to see.
    """
    n = len(start)
    noticed = rng.random(n) < config.at_risk_detection_rate
    flag_day = t.onset + _days(rng, config.at_risk_lag_weeks, n)
    clear_lag = rng.integers(0, 22, size=n)
    alarm = rng.random(n) < config.at_risk_false_alarm_rate
    alarm_len = rng.integers(14, 57, size=n)
    alarm_pos = rng.random(n)

    declining = (t.kind == GRADUAL) | (t.kind == STEP)
    has_dip = ~t.withdraws & (t.recovered > 0)
    on_decline = declining & noticed & (flag_day < t.end)
    on_dip = has_dip & noticed & (flag_day < t.recovered)
    # False alarms: anyone without a recorded flag, a dip, a break or an abrupt exit; a
    # decliner's false alarm is cleared at least four weeks before the decline starts.
    lo = start + 28
    hi = np.where(declining, t.onset, t.end) - 28 - alarm_len
    on_alarm = (alarm & ~on_decline & ~has_dip & (t.kind != ABRUPT) & (t.break_start == 0)
                & (hi > lo))
    alarm_day = lo + (alarm_pos * np.maximum(hi - lo, 0)).astype(np.int64)

    zeros = np.zeros(n, dtype=np.int64)
    at_risk = np.select([on_decline | on_dip, on_alarm], [flag_day, alarm_day], zeros)
    dip_clear = np.minimum(t.recovered + clear_lag, t.end - 1)
    cleared = np.select([on_dip, on_alarm], [dip_clear, alarm_day + alarm_len], zeros)
    reason = np.select([on_dip, on_alarm], [CLEARED_RECOVERED, CLEARED_COACH_REVIEW], 0)
    return Judgements(at_risk=at_risk, cleared=cleared, clear_reason=reason)


def _promotions(rng: np.random.Generator, config: SimulationConfig, t: Trajectories,
                baseline: np.ndarray) -> np.ndarray:
    """Day of a career promotion after completion (0 = none); likelier when engaged."""
    n = len(baseline)
    completed = np.flatnonzero(~t.withdraws)
    promotion = np.zeros(n, dtype=np.int64)
    lag = rng.integers(0, config.promotion_window_days + 1, size=n)
    draw = rng.random(n)
    if len(completed):
        lean = 3.0 * (baseline[completed] - baseline[completed].mean())
        p = _calibrated_probabilities(lean, config.promotion_rate)
        promoted = completed[draw[completed] < p]
        promotion[promoted] = t.end[promoted] + lag[promoted]
    return promotion


def _never(a: np.ndarray) -> np.ndarray:
    return np.where(a > 0, a, NEVER)


def _outcome_rows(ids: np.ndarray, baseline: np.ndarray, t: Trajectories, j: Judgements,
                  promotion: np.ndarray) -> list[dict]:
    """The truth table: what the simulator decided, for evaluation only."""
    job_break = np.where(t.job_end > 0, t.job_end + JOB_LOSS_BREAK_WAIT_DAYS, 0)
    columns = {
        "apprentice_id": ids.tolist(),
        "outcome": np.where(t.withdraws, "withdrawn", "completed").tolist(),
        "engagement_baseline": np.round(baseline, 4).tolist(),
        "withdrawal_kind": [WITHDRAWAL_KINDS.get(k) for k in t.kind.tolist()],
        "decline_shape": t.shape.tolist(),
        "decline_onset_date": _dates(t.onset),
        "decline_depth": [round(d, 3) if d else None for d in t.depth.tolist()],
        "decline_recovered_date": _dates(t.recovered),
        "withdrawal_date": _dates(np.where(t.withdraws, t.end, 0)),
        "job_end_date": _dates(t.job_end),
        "at_risk_recorded_date": _dates(j.at_risk),
        "at_risk_cleared_date": _dates(j.cleared),
        "break_start_date": _dates(np.where(t.job_end > 0, job_break, t.break_start)),
        "break_end_date": _dates(t.break_end),
        "completion_date": _dates(np.where(t.withdraws, 0, t.end)),
        "promotion_date": _dates(promotion),
        "end_date": _dates(t.end),
    }
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _dates(ordinals: np.ndarray) -> list[date | None]:
    return [date.fromordinal(o) if o else None for o in ordinals.tolist()]


@lru_cache(maxsize=4)
def build_population(config: SimulationConfig) -> Population:
    rng = np.random.default_rng([config.seed, STREAM_POPULATION])
    n = config.population

    programmes = [
        {"programme_id": pid, "programme_name": name, "level": level,
         "duration_months": months, "otj_hours_per_week": config.otj_hours_per_week}
        for pid, name, level, months, _ in PROGRAMMES
    ]
    cohorts = []
    for month in _months(config.first_cohort, config.last_cohort):
        start = _first_monday(month)
        for pid, name, level, months, _ in PROGRAMMES:
            cohorts.append({
                "cohort_id": f"COH-{pid[4:]}-{month:%Y%m}",
                "programme_id": pid,
                "cohort_name": f"{name} L{level} - {month:%Y-%m}",
                "start_date": start,
                "planned_end_date": _add_months(start, months) - timedelta(days=1),
            })
    prog_weight = np.array([p[4] for p in PROGRAMMES])
    cohort_weight = np.tile(prog_weight, len(cohorts) // len(PROGRAMMES))
    cohort_index = np.sort(rng.choice(len(cohorts), size=n, p=cohort_weight / cohort_weight.sum()))
    programme_index = cohort_index % len(PROGRAMMES)
    start = np.array([c["start_date"].toordinal() for c in cohorts], dtype=np.int64)[cohort_index]
    planned_end = np.array(
        [c["planned_end_date"].toordinal() for c in cohorts], dtype=np.int64)[cohort_index]

    gender = _choice(rng, GENDERS, n)
    ethnicity = _choice(rng, ETHNICITY_GROUPS, n)
    imd = rng.choice(5, size=n, p=[0.24, 0.22, 0.20, 0.18, 0.16]) + 1
    has_ldd = rng.random(n) < config.ldd_rate
    ldd_cat = np.where(has_ldd, _choice(rng, LDD_CATEGORIES, n), None)

    # Latent engagement and fate. Lower engagement and higher deprivation raise the
    # chance of withdrawing; the intercept is calibrated so the mean is the configured rate.
    baseline = rng.beta(8.0, 2.5, size=n)
    risk = 6.0 * (baseline.mean() - baseline) + 0.12 * (3 - imd) + rng.normal(0, 0.3, n)
    withdraws = rng.random(n) < _calibrated_probabilities(risk, config.withdrawal_rate)

    story = _trajectories(np.random.default_rng([config.seed, STREAM_TRAJECTORY]), config,
                          withdraws, baseline, start, planned_end)
    judged = _judgements(np.random.default_rng([config.seed, STREAM_JUDGEMENT]), config, story,
                         start)
    promotion = _promotions(np.random.default_rng([config.seed, STREAM_CAREER]), config, story,
                            baseline)
    end = story.end

    # Coaches: enough for a caseload of about TARGET_CASELOAD at a typical moment.
    org = np.random.default_rng([config.seed, STREAM_ORGANISATION])
    probe = np.linspace(start.min(), end.max(), 60).astype(np.int64)
    active_counts = [int(np.sum((start <= d) & (d <= end))) for d in probe]
    n_coaches = max(1, math.ceil(float(np.percentile(active_counts, 75)) / TARGET_CASELOAD))
    coach_of = np.arange(n) % n_coaches  # round robin in start order keeps caseloads even
    n_employers = max(5, n // 20)
    employer_weight = 1.0 / np.arange(1, n_employers + 1) ** 0.8
    employer_of = org.choice(n_employers, size=n, p=employer_weight / employer_weight.sum())
    coach_missing_email = org.random(n_coaches) < 0.04
    coach_region = org.choice(len(REGIONS), size=n_coaches)
    employer_sector = org.choice(len(SECTORS), size=n_employers)
    employer_size = org.choice(3, size=n_employers, p=[0.3, 0.3, 0.4])

    session_weekdays = np.array(
        [sorted(org.choice(4, size=2, replace=False)) for _ in cohorts], dtype=np.int64)
    feedback_factor = np.ones(n)
    if config.equity_effect:
        feedback_factor[ethnicity == config.equity_effect_group] = (
            config.equity_effect_feedback_factor)

    fake = Faker("en_GB")
    fake.seed_instance(config.seed * 1000 + STREAM_NAMES)
    apprentice_ids = np.array([f"APP-{i + 1:06d}" for i in range(n)], dtype=object)
    coach_ids = np.array([f"COA-{i + 1:04d}" for i in range(n_coaches)], dtype=object)
    cohort_ids = np.array([c["cohort_id"] for c in cohorts], dtype=object)[cohort_index]
    quiz_prefix = np.array([f"QZ-{p[0][4:]}-M" for p in PROGRAMMES], dtype=object)[programme_index]

    employers = [
        {"employer_id": f"EMP-{i + 1:05d}", "employer_name": fake.unique.company(),
         "sector": SECTORS[employer_sector[i]],
         "employer_size": ("small", "medium", "large")[employer_size[i]]}
        for i in range(n_employers)
    ]
    coaches = []
    for i in range(n_coaches):
        first, last = fake.first_name(), fake.last_name()
        email = "" if coach_missing_email[i] else _email(first, last, i + 1, "coaches")
        coaches.append({"coach_id": coach_ids[i], "coach_name": f"{first} {last}",
                        "coach_email": email, "region": REGIONS[coach_region[i]]})
    apprentices = []
    for i in range(n):
        first, last = fake.first_name(), fake.last_name()
        apprentices.append({
            "apprentice_id": apprentice_ids[i], "first_name": first, "last_name": last,
            "email": _email(first, last, i + 1, "apprentices"),
            "employer_id": employers[employer_of[i]]["employer_id"],
            "coach_id": coach_ids[coach_of[i]],
            "cohort_id": cohort_ids[i],
            "programme_id": PROGRAMMES[programme_index[i]][0],
            "start_date": _iso(start[i]), "planned_end_date": _iso(planned_end[i]),
            "gender": gender[i], "ethnicity_group": ethnicity[i], "imd_quintile": int(imd[i]),
            "has_ldd": bool(has_ldd[i]), "ldd_category": ldd_cat[i],
        })

    return Population(
        config=config, programmes=programmes, cohorts=cohorts, employers=employers,
        coaches=coaches, apprentices=apprentices,
        outcomes=_outcome_rows(apprentice_ids, baseline, story, judged, promotion),
        apprentice_ids=apprentice_ids, coach_ids=coach_ids[coach_of], cohort_ids=cohort_ids,
        quiz_prefix=quiz_prefix, programme_index=programme_index, cohort_index=cohort_index,
        start=start, planned_end=planned_end, end=end, baseline=baseline, withdraws=withdraws,
        job_end=story.job_end, break_start=story.break_start, break_end=story.break_end,
        at_risk=judged.at_risk, at_risk_cleared=judged.cleared,
        at_risk_clear_reason=judged.clear_reason, promotion=promotion,
        curve_onset=_never(story.onset), curve_bottom=_never(story.bottom),
        curve_rise=_never(story.rise), curve_recovered=_never(story.recovered),
        curve_depth=story.depth, curve_exponent=story.exponent,
        activity_stop=_never(story.job_end), session_weekdays=session_weekdays,
        feedback_factor=feedback_factor,
        otj_plan_per_week=np.full(n, config.otj_hours_per_week),
    )


def _email(first: str, last: str, number: int, kind: str) -> str:
    local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    return f"{local}.{number}@{kind}.example.org"
