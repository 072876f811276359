"""Settings read from environment variables, validated once, with clear errors.

The one module that reads the environment (tests/test_settings.py fails on a read anywhere
else): `Settings.from_env()` for the warehouse, `SimulationConfig.from_env()` for the
simulator, and the small functions below for settings that one module needs, read when
called. Other modules may build a child process's environment, never read a setting from it.

Every setting has a default that runs the whole system locally on DuckDB.
Credentials never live here: BigQuery uses the Airflow Google connection.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_DIR = PROJECT_ROOT / ".state"


class ConfigError(ValueError):
    """A setting is missing or unusable; the message names the setting."""


def _env(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """The stripped value of `name`, or `default` when it is unset or blank; read from
    `environ` when given (a child process's environment), else from this process's."""
    value = (os.environ if environ is None else environ).get(name)
    return default if value is None or value.strip() == "" else value.strip()


def _int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is outside {minimum}..{maximum}")
    return value


def _float(name: str, default: float, minimum: float, maximum: float) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is outside {minimum}..{maximum}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = _env(name, "true" if default else "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


@dataclass(frozen=True)
class Settings:
    warehouse: str  # "duckdb" or "bigquery"
    state_dir: Path
    duckdb_path: Path
    bq_project: str
    bq_raw_dataset: str
    bq_location: str
    gcp_conn_id: str
    # dbt's BigQuery target dataset (Cosmos profile; dbt/profiles.yml reads the same variable).
    bq_dataset: str = "pipeline_health"
    # `<prefix>` of the datasets dbt builds (`<prefix>marts`, `<prefix>ops`, ...); empty:
    # derived from bq_raw_dataset (warehouse.dataset_prefix, passed to dbt as a var).
    bq_dataset_prefix: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        warehouse = _env("PIPELINE_HEALTH_WAREHOUSE", "duckdb").lower()
        if warehouse not in ("duckdb", "bigquery"):
            raise ConfigError(
                f"PIPELINE_HEALTH_WAREHOUSE={warehouse!r}: expected 'duckdb' or 'bigquery'"
            )
        state = state_dir()
        return cls(
            warehouse=warehouse,
            state_dir=state,
            duckdb_path=duckdb_path(state),
            bq_project=_env("PIPELINE_HEALTH_BQ_PROJECT", ""),
            bq_raw_dataset=_env("PIPELINE_HEALTH_BQ_RAW_DATASET", "pipeline_health_raw"),
            bq_location=_env("PIPELINE_HEALTH_BQ_LOCATION", "EU"),
            gcp_conn_id=_env("PIPELINE_HEALTH_GCP_CONN_ID", "google_cloud_default"),
            bq_dataset=_env("PIPELINE_HEALTH_BQ_DATASET", "pipeline_health"),
            bq_dataset_prefix=_env("PIPELINE_HEALTH_BQ_DATASET_PREFIX", ""),
        )


def state_dir() -> Path:
    """PIPELINE_HEALTH_STATE_DIR: local warehouse, Airflow home and caches (default .state)."""
    return Path(_env("PIPELINE_HEALTH_STATE_DIR", str(DEFAULT_STATE_DIR)))


def duckdb_path(state: Path, environ: Mapping[str, str] | None = None) -> Path:
    """PIPELINE_HEALTH_DUCKDB_PATH, default `<state>/warehouse.duckdb`; from `environ` when
    given (the base of a child process's environment), else from this process's."""
    return Path(_env("PIPELINE_HEALTH_DUCKDB_PATH", str(state / "warehouse.duckdb"), environ))


# Settings of one module each, read when called (at import for the orchestration constants).

def dbt_project_dir() -> Path:
    """PIPELINE_HEALTH_DBT_DIR: the dbt project Cosmos and the dbt CLI run (default dbt/)."""
    return Path(_env("PIPELINE_HEALTH_DBT_DIR", str(PROJECT_ROOT / "dbt")))


def writer_pool() -> str:
    """PIPELINE_HEALTH_WRITER_POOL: the Airflow pool of every task that writes the warehouse."""
    return _env("PIPELINE_HEALTH_WRITER_POOL", "pipeline_health_warehouse_writer")


# How Cosmos renders dbt (orchestration.cosmos_setup, README "Performance").
COSMOS_MODES = ("after_all", "build", "watcher", "watcher_after_all")


# DAG.test runs one task at a time in one process: a watcher sensor it ran before the producer
# would wait for it forever, so local DAG.test runs (the DAG runner, e2e tests) render this mode.
DAG_TEST_COSMOS_MODE = "after_all"


def cosmos_mode() -> str:
    """PIPELINE_HEALTH_COSMOS_MODE, one of COSMOS_MODES (default watcher: one `dbt build`
    producer, a sensor per model and per model's tests; docs/benchmarks.md)."""
    mode = _env("PIPELINE_HEALTH_COSMOS_MODE", "watcher").lower()
    if mode not in COSMOS_MODES:
        raise ConfigError(f"PIPELINE_HEALTH_COSMOS_MODE={mode!r}: expected one of {sorted(COSMOS_MODES)}")
    return mode


DASHBOARD_URL_ENV = "PIPELINE_HEALTH_DASHBOARD_URL"
# The Pipeline Health page inside the Airflow UI (plugins/pipeline_health_dashboard.py):
# /plugin/<url_route>/<app path> opens the UI with the page's iframe on that path and query,
# also after the login redirect.
DEFAULT_DASHBOARD_URL = "http://localhost:8080/plugin/pipeline-health/pipeline-health/"


def dashboard_url() -> str:
    """PIPELINE_HEALTH_DASHBOARD_URL: base of the dashboard links in coach emails."""
    return _env(DASHBOARD_URL_ENV, DEFAULT_DASHBOARD_URL)


ALERT_FROM_ENV = "PIPELINE_HEALTH_ALERT_FROM"


def alert_from() -> str:
    """PIPELINE_HEALTH_ALERT_FROM: sender of coach emails; empty when unset (the SMTP
    connection's `from_email` is used, notifier.send)."""
    return _env(ALERT_FROM_ENV, "")


def _week_range(value: object, name: str, low: int, high: int) -> tuple[bool, str]:
    """(ok, message) for a (min, max) pair of whole weeks within low..high."""
    ok = (isinstance(value, tuple) and len(value) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
          and low <= value[0] <= value[1] <= high)
    return ok, f"{name} must be a (min, max) pair of whole weeks within {low}..{high}"


@dataclass(frozen=True)
class SimulationConfig:
    """What the simulator generates. The rows of a day depend only on this and the day."""

    seed: int = 42
    # Apprentices across all cohorts; about 40 % are in learning on any day.
    population: int = 10000
    first_cohort: str = "2025-01"  # first cohort start month, YYYY-MM
    last_cohort: str = "2027-12"  # last cohort start month, YYYY-MM
    withdrawal_rate: float = 0.42
    ldd_rate: float = 0.145
    otj_hours_per_week: float = 6.0
    malformed_rate: float = 0.0
    # Off by default. When on, apprentices in `equity_effect_group` receive coach
    # feedback at `equity_effect_feedback_factor` times the usual rate, so the
    # dashboard's equity lens has a systemic gap to find.
    equity_effect: bool = False
    equity_effect_group: str = "Black, Black British, Caribbean or African"
    equity_effect_feedback_factor: float = 0.5

    # How withdrawals happen. Job change or loss is the most common reason to withdraw
    # (UK surveys) and often comes with no warning in the learning data.
    abrupt_withdrawal_share: float = 0.33  # assumption: about a third of withdrawals are abrupt
    # Of abrupt withdrawals, the job ended with no new employer: activity stops, a break is
    # recorded 30 days later and the withdrawal 12 weeks after that (GUIDE.md, section 2).
    job_loss_break_share: float = 0.35  # assumption; the rest leave on the day (job change)
    # Of the withdrawals that are preceded by a decline, the share that drop in one step
    # (a life event) rather than fading gradually.
    step_withdrawal_share: float = 0.30  # assumption
    gradual_decline_weeks: tuple[int, int] = (4, 16)  # decline length before a gradual withdrawal
    step_lead_weeks: tuple[int, int] = (2, 8)  # weeks between a step drop and the withdrawal
    # Stayers whose engagement dips and then recovers (illness, busy season at work).
    recovering_dip_rate: float = 0.15  # assumption, as before this change
    recovering_dip_weeks: tuple[int, int] = (3, 12)  # length of a dip, onset to full recovery
    # "At Risk" is a coach's judgement, recorded late and for only some declines.
    at_risk_detection_rate: float = 0.55  # assumption: a coach notices a bit over half of declines
    at_risk_lag_weeks: tuple[int, int] = (1, 6)  # weeks from decline onset to the At Risk record
    # Apprentices flagged At Risk with no decline at all (a bad week, a misread situation),
    # cleared on the coach's review: about a third of flags end up on apprentices who stay.
    at_risk_false_alarm_rate: float = 0.08  # assumption, per apprentice without a decline
    # Career promotion after completion: UK apprenticeship evaluation surveys report roughly
    # a quarter of completers promoted (an assumption here, not a measured figure).
    promotion_rate: float = 0.25
    promotion_window_days: int = 180  # promotions are dated 0-180 days after completion

    def __post_init__(self) -> None:
        checks = [
            (0 <= self.seed < 2**63, "seed must be between 0 and 2**63-1"),
            (10 <= self.population <= 1_000_000, "population must be 10..1,000,000"),
            (0.0 <= self.withdrawal_rate <= 0.9, "withdrawal_rate must be 0..0.9"),
            (0.0 <= self.ldd_rate <= 1.0, "ldd_rate must be 0..1"),
            (0.0 < self.otj_hours_per_week <= 40, "otj_hours_per_week must be in (0, 40]"),
            (0.0 <= self.malformed_rate <= 0.5, "malformed_rate must be 0..0.5"),
            (0.0 <= self.equity_effect_feedback_factor <= 1.0,
             "equity_effect_feedback_factor must be 0..1"),
            *((0.0 <= getattr(self, name) <= 1.0, f"{name} must be 0..1") for name in (
                "abrupt_withdrawal_share", "job_loss_break_share", "step_withdrawal_share",
                "recovering_dip_rate", "at_risk_detection_rate", "at_risk_false_alarm_rate")),
            (0.0 <= self.promotion_rate <= 0.9, "promotion_rate must be 0..0.9"),
            (0 <= self.promotion_window_days <= 730, "promotion_window_days must be 0..730"),
            *(_week_range(getattr(self, name), name, low, high) for name, low, high in (
                ("gradual_decline_weeks", 1, 26), ("step_lead_weeks", 1, 26),
                ("recovering_dip_weeks", 2, 26), ("at_risk_lag_weeks", 0, 12))),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"SimulationConfig: {message}")
        for name in ("first_cohort", "last_cohort"):
            value = getattr(self, name)
            try:
                year, month = (int(p) for p in value.split("-"))
                if not (1900 < year < 3000 and 1 <= month <= 12):
                    raise ValueError
            except ValueError:
                raise ConfigError(f"SimulationConfig: {name}={value!r} is not YYYY-MM") from None
        if self.first_cohort > self.last_cohort:
            raise ConfigError("SimulationConfig: first_cohort is after last_cohort")

    @classmethod
    def from_env(cls, default_population: int | None = None) -> SimulationConfig:
        """The settings; `default_population` replaces the population's default (not a value
        set in the environment): the demo's smaller population."""
        d = cls.__dataclass_fields__
        return cls(
            seed=_int("PIPELINE_HEALTH_SEED", d["seed"].default, 0, 2**63 - 1),
            population=_int("PIPELINE_HEALTH_POPULATION", default_population or d["population"].default,
                            10, 1_000_000),
            first_cohort=_env("PIPELINE_HEALTH_FIRST_COHORT", d["first_cohort"].default),
            last_cohort=_env("PIPELINE_HEALTH_LAST_COHORT", d["last_cohort"].default),
            malformed_rate=_float("PIPELINE_HEALTH_MALFORMED_RATE", 0.0, 0.0, 0.5),
            equity_effect=_bool("PIPELINE_HEALTH_EQUITY_EFFECT", False),
        )
