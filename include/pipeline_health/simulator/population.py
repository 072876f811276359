"""Reference data and each apprentice's latent story, generated once per configuration.

Everything here is a pure function of `SimulationConfig`: the same seed gives the
same programmes, cohorts, people and fates. Daily activity (activity.py) reads the
arrays built here and never mutates them, so any day can be simulated on its own.
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
STREAM_POPULATION = 1
STREAM_NAMES = 2

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
    programme_index: np.ndarray
    cohort_index: np.ndarray
    start: np.ndarray
    planned_end: np.ndarray
    end: np.ndarray
    baseline: np.ndarray
    withdraws: np.ndarray
    decline_start: np.ndarray
    at_risk: np.ndarray
    recovered: np.ndarray
    break_start: np.ndarray
    break_end: np.ndarray
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
    start = np.array([cohorts[c]["start_date"].toordinal() for c in cohort_index], dtype=np.int64)
    planned_end = np.array(
        [cohorts[c]["planned_end_date"].toordinal() for c in cohort_index], dtype=np.int64)
    duration = planned_end - start + 1

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

    frac = np.clip(rng.beta(1.4, 2.6, size=n), 0.0, 1.0)
    withdrawal = start + np.clip((frac * duration).astype(np.int64), 42, duration - 14)
    decline_len = rng.integers(28, 71, size=n)
    decline_start = np.maximum(withdrawal - decline_len, start + 7)
    wd_at_risk = np.minimum(decline_start + rng.integers(14, 29, size=n), withdrawal - 3)

    stays = ~withdraws
    has_dip = stays & (rng.random(n) < 0.15)
    has_break = stays & ~has_dip & (rng.random(n) < 0.06)
    event_start = start + (rng.random(n) * (duration - 120)).astype(np.int64) + 42
    dip_len = rng.integers(21, 43, size=n)
    break_len = rng.integers(MIN_BREAK_DAYS, 71, size=n)

    zeros = np.zeros(n, dtype=np.int64)
    at_risk = np.where(withdraws, wd_at_risk, np.where(has_dip, event_start + 14, zeros))
    recovered = np.where(has_dip, event_start + dip_len, zeros)
    break_start = np.where(has_break, event_start, zeros)
    break_end = np.where(has_break, event_start + break_len, zeros)
    end = np.where(withdraws, withdrawal, planned_end + np.where(has_break, break_len, 0))
    decline_start = np.where(withdraws, decline_start, zeros)

    # Coaches: enough for a caseload of about TARGET_CASELOAD at a typical moment.
    probe = np.linspace(start.min(), end.max(), 60).astype(np.int64)
    active_counts = [int(np.sum((start <= d) & (d <= end))) for d in probe]
    n_coaches = max(1, math.ceil(float(np.percentile(active_counts, 75)) / TARGET_CASELOAD))
    coach_of = np.arange(n) % n_coaches  # round robin in start order keeps caseloads even
    n_employers = max(5, n // 20)
    employer_weight = 1.0 / np.arange(1, n_employers + 1) ** 0.8
    employer_of = rng.choice(n_employers, size=n, p=employer_weight / employer_weight.sum())
    coach_missing_email = rng.random(n_coaches) < 0.04
    coach_region = rng.choice(len(REGIONS), size=n_coaches)
    employer_sector = rng.choice(len(SECTORS), size=n_employers)
    employer_size = rng.choice(3, size=n_employers, p=[0.3, 0.3, 0.4])

    session_weekdays = np.array(
        [sorted(rng.choice(4, size=2, replace=False)) for _ in cohorts], dtype=np.int64)
    feedback_factor = np.ones(n)
    if config.equity_effect:
        feedback_factor[ethnicity == config.equity_effect_group] = (
            config.equity_effect_feedback_factor)

    fake = Faker("en_GB")
    fake.seed_instance(config.seed * 1000 + STREAM_NAMES)
    apprentice_ids = np.array([f"APP-{i + 1:06d}" for i in range(n)], dtype=object)
    coach_ids = np.array([f"COA-{i + 1:04d}" for i in range(n_coaches)], dtype=object)

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
    apprentices, outcomes = [], []
    for i in range(n):
        first, last = fake.first_name(), fake.last_name()
        apprentices.append({
            "apprentice_id": apprentice_ids[i], "first_name": first, "last_name": last,
            "email": _email(first, last, i + 1, "apprentices"),
            "employer_id": employers[employer_of[i]]["employer_id"],
            "coach_id": coach_ids[coach_of[i]],
            "cohort_id": cohorts[cohort_index[i]]["cohort_id"],
            "programme_id": PROGRAMMES[programme_index[i]][0],
            "start_date": _iso(start[i]), "planned_end_date": _iso(planned_end[i]),
            "gender": gender[i], "ethnicity_group": ethnicity[i], "imd_quintile": int(imd[i]),
            "has_ldd": bool(has_ldd[i]), "ldd_category": ldd_cat[i],
        })
        outcomes.append({
            "apprentice_id": apprentice_ids[i],
            "outcome": "withdrawn" if withdraws[i] else "achieved",
            "engagement_baseline": round(float(baseline[i]), 4),
            "decline_start_date": _iso(decline_start[i]),
            "withdrawal_date": _iso(end[i]) if withdraws[i] else None,
            "at_risk_date": _iso(at_risk[i]), "recovered_date": _iso(recovered[i]),
            "break_start_date": _iso(break_start[i]), "break_end_date": _iso(break_end[i]),
            "end_date": _iso(end[i]),
        })

    return Population(
        config=config, programmes=programmes, cohorts=cohorts, employers=employers,
        coaches=coaches, apprentices=apprentices, outcomes=outcomes,
        apprentice_ids=apprentice_ids, coach_ids=coach_ids[coach_of],
        programme_index=programme_index, cohort_index=cohort_index, start=start,
        planned_end=planned_end, end=end, baseline=baseline, withdraws=withdraws,
        decline_start=decline_start, at_risk=at_risk, recovered=recovered,
        break_start=break_start, break_end=break_end, session_weekdays=session_weekdays,
        feedback_factor=feedback_factor,
        otj_plan_per_week=np.full(n, config.otj_hours_per_week),
    )


def _email(first: str, last: str, number: int, kind: str) -> str:
    local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    return f"{local}.{number}@{kind}.example.org"
