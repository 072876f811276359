"""A local Airflow installation for the demo, the tests and the web UI, all in the state folder.

Airflow reads its configuration when it is first imported, so callers run Airflow
in a child process with `airflow_env()` (the demo, the tests) or source the same
values from `scripts/airflow-env.sh`'s output (a person starting the web UI).
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

from pipeline_health.config import PROJECT_ROOT, duckdb_path, state_dir

# Importing Airflow (cosmos_setup does) creates $AIRFLOW_HOME/logs, ~/airflow when it is
# unset: keep even that inside the state folder.
os.environ.setdefault("AIRFLOW_HOME", str(state_dir() / "airflow"))

from pipeline_health.orchestration.cosmos_setup import DBT_PROJECT_DIR, WRITER_POOL  # noqa: E402

# SQLite's wait for the writer lock, for every Airflow process (metadata_db).
SQLITE_CONNECT_ARGS = "pipeline_health.local.metadata_db.SQLITE_CONNECT_ARGS"
# The LocalExecutor, with the DAGs' heavy imports done once before it forks its task processes.
PRELOADING_EXECUTOR = "pipeline_health.orchestration.preloading_executor.PreloadingLocalExecutor"


def local_secret(home: Path, name: str, size: int = 32) -> str:
    """A random key kept in the Airflow home (mode 600), the same for every local process.

    Airflow generates its secrets (the API's JWT signing key, the Fernet key that encrypts
    trigger arguments and connections) into airflow.cfg when it first writes it; processes
    started together before that each made their own, and the stack refused every task
    ("Invalid auth token") or the triggerer died decrypting the scheduler's trigger arguments.
    Nothing of it is in the repository.
    """
    path = home / f".{name}"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                # A Fernet key is 32 random bytes in URL-safe base64; the JWT key (HS512) 64.
                out.write(base64.urlsafe_b64encode(secrets.token_bytes(size)).decode())
        except FileExistsError:
            pass  # another process wrote it first: read theirs
    return path.read_text().strip()


def airflow_env(state_dir: Path, base: dict[str, str] | None = None,
                executor: str = PRELOADING_EXECUTOR,
                metadata_url: str | None = None) -> dict[str, str]:
    """Environment for Airflow processes that use this repository's DAGs and warehouse.

    The metadata database is SQLite in the Airflow home unless `metadata_url` names another
    (a SQLAlchemy URL, e.g. a `postgres_server.PostgresServer`'s).
    """
    env = dict(os.environ) if base is None else dict(base)
    home = state_dir / "airflow"
    env.update({
        "AIRFLOW__API_AUTH__JWT_SECRET": local_secret(home, "jwt_secret", size=64),
        "AIRFLOW__CORE__FERNET_KEY": local_secret(home, "fernet_key"),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Airflow pauses a DAG it sees for the first time; locally that left backfills and
        # scheduled runs queued forever. Production keeps Airflow's default (paused).
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__PARALLELISM": "4",
        # A task waits for the scheduler's next loop to start after its upstream ended; an idle
        # scheduler sleeps a second by default. Each run's chain (load, build, freshness, record,
        # publish) paid it at every step: about 3 s of a 28 s daily run (docs/benchmarks.md).
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.25",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__COSMOS__CACHE_DIR": str(state_dir / "cosmos_cache"),
        "AIRFLOW__COSMOS__ENABLE_CACHE": "True",
        # Cosmos sends anonymous usage statistics by default; this machine has no internet.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "PIPELINE_HEALTH_STATE_DIR": str(state_dir),
        "PIPELINE_HEALTH_DUCKDB_PATH": str(duckdb_path(state_dir, base)),
        "PIPELINE_HEALTH_DBT_DIR": str(DBT_PROJECT_DIR),
    })
    if metadata_url is None:
        env.update({
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": SQLITE_CONNECT_ARGS,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": SQLITE_CONNECT_ARGS,
        })
    else:  # SQLite's lock wait means nothing to another driver
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = metadata_url
        env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS", None)
        env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC", None)
    return env


def airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


def prepare(state_dir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """Create the metadata database and the one-slot warehouse-writer pool (idempotent)."""
    env = env or airflow_env(state_dir)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    run = [airflow_bin()]
    for step in (["db", "migrate"],
                 ["pools", "set", WRITER_POOL, "1", "Writers of the DuckDB warehouse file (one at a time)"]):
        done = subprocess.run([*run, *step], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            # Airflow's own output says why; a bare CalledProcessError would hide it.
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"`airflow {' '.join(step[:2])}` failed ({done.returncode}):\n{tail}")
    return env


def main() -> int:
    """`python -m pipeline_health.local.local_airflow`: check the settings, prepare, then print `export`
    lines for a shell. Exits non-zero, printing no `export` line, when any step fails."""
    import shlex

    from pipeline_health.config import ConfigError, Settings, SimulationConfig

    try:
        settings = Settings.from_env()
        SimulationConfig.from_env()  # a bad setting stops the set-up, not the first DAG task
        env = prepare(settings.state_dir)
    except (ConfigError, RuntimeError) as exc:
        print(f"local Airflow set-up failed: {exc}", file=sys.stderr)
        return 2
    for key in sorted(env):
        if key.startswith(("AIRFLOW", "PIPELINE_HEALTH", "DBT_", "DO_NOT_TRACK", "SCARF")):
            print(f"export {key}={shlex.quote(env[key])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
