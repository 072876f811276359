"""Helpers for end-to-end tests: an isolated Airflow + DuckDB state, DAG runs, fingerprints."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from pathlib import Path

import duckdb

from pipeline_health.local import local_airflow
from pipeline_health.local.local_stack import admin_token, api_request, free_port

# Wall-clock stamps and ids; ops.source_freshness's ages are measured at the check (its status,
# thresholds and day are compared).
VOLATILE_COLUMNS = {"loaded_at", "completed_at", "run_id", "sent_at", "message_id",
                    "max_loaded_at", "age_hours", "checked_at"}


def make_env(state: Path, metadata_url: str | None = None, **settings: str) -> dict[str, str]:
    env = local_airflow.airflow_env(state, metadata_url=metadata_url)
    env["PIPELINE_HEALTH_DUCKDB_PATH"] = str(state / "warehouse.duckdb")
    env.update(settings)
    return prepare_airflow(state, env)


_template_lock = threading.Lock()
_template_db: Path | None = None


def prepare_airflow(state: Path, env: dict[str, str]) -> dict[str, str]:
    """`local_airflow.prepare` for a new state folder, as a copy of a metadata database that
    it prepared once per test session: `airflow db migrate` and the pool set-up take ~13 s
    each time and always give the same database (tables, default and writer pools)."""
    global _template_db
    home = Path(env["AIRFLOW_HOME"])
    database = home / "airflow.db"
    if database.exists() or env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") != f"sqlite:///{database}":
        return local_airflow.prepare(state, env)  # an existing or non-default database
    with _template_lock:
        if _template_db is None:
            template = Path(tempfile.mkdtemp(prefix="pipeline-health-airflow-db-"))
            local_airflow.prepare(template, local_airflow.airflow_env(template))
            _template_db = template / "airflow" / "airflow.db"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template_db, database)
    return env


def run(args: list[str], env: dict[str, str], log: Path) -> subprocess.CompletedProcess:
    with open(log, "a") as fh:
        return subprocess.run([sys.executable, *args], env=env, stdout=fh,
                              stderr=subprocess.STDOUT)


def run_dag(kind: str, first: str, last: str, env: dict[str, str], state: Path) -> list[dict]:
    out = state / f"runs-{kind}-{first}-{last}.json"
    result = run(["-m", "pipeline_health.local.dag_runner", kind, first, last, "--json-out", str(out)],
                 env, state / "airflow-runs.log")
    runs = json.loads(out.read_text()) if out.exists() else []
    assert result.returncode == 0, f"{kind} DAG failed: {runs}; see {state / 'airflow-runs.log'}"
    return runs


def fingerprints(path: Path, schemas=("raw", "staging", "marts", "snapshots", "ops")
                 ) -> dict[str, tuple[int, str]]:
    """Row count and content hash of every table, ignoring load/run timestamps and ids."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
            f"IN ({', '.join('?' for _ in schemas)}) ORDER BY 1, 2", list(schemas)).fetchall()
        for schema, table in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
                "table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
                if c not in VOLATILE_COLUMNS]
            rows = con.execute(f'SELECT {", ".join(cols)} FROM "{schema}"."{table}" '
                               "ORDER BY ALL").fetchall()
            out[f"{schema}.{table}"] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


class AirflowStack:
    """The four Airflow processes of scripts/airflow_ui.sh, on loopback, for one test.

    Every process gets its own session, so `stop()` ends it and its children (the
    executor's workers, the API server's workers) by process group, and nothing else.
    """

    PARTS = (("api-server", ["api-server", "--host", "127.0.0.1"]),
             ("scheduler", ["scheduler", "--skip-serve-logs"]),
             ("dag-processor", ["dag-processor"]),
             ("triggerer", ["triggerer", "--skip-serve-logs"]))

    def __init__(self, env: dict[str, str], logs: Path):
        home = Path(env["AIRFLOW_HOME"]).resolve()
        state = Path(env["PIPELINE_HEALTH_STATE_DIR"]).resolve()
        assert state in home.parents, f"AIRFLOW_HOME {home} is outside the state dir {state}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "AIRFLOW__API__BASE_URL": self.url,
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/"}
        self.logs = logs
        self.procs: list[subprocess.Popen] = []
        self._token: str | None = None

    def start(self) -> AirflowStack:
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            for name, args in self.PARTS:
                if name == "api-server":
                    args = [*args, "--port", str(self.port)]
                with open(self.logs / f"{name}.log", "w") as out:
                    self.procs.append(subprocess.Popen(
                        [local_airflow.airflow_bin(), *args], env=self.env, stdout=out,
                        stderr=subprocess.STDOUT, start_new_session=True))
        except BaseException:
            self.stop()  # the parts already started
            raise
        return self

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # children (task runners, uvicorn workers) that outlived their parent
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def __enter__(self) -> AirflowStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def check_alive(self) -> None:
        for (name, _), proc in zip(self.PARTS, self.procs, strict=True):
            assert proc.poll() is None, f"{name} exited ({proc.returncode}); see {self.logs}"

    def airflow(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([local_airflow.airflow_bin(), *args], env=self.env,
                              capture_output=True, text=True)

    def api(self, path: str, method: str = "GET", body: dict | None = None) -> dict:
        """A REST API call (the API server's generated admin login, never a fixed password)."""
        if self._token is None:
            self._token = admin_token(self.url, Path(self.env["AIRFLOW_HOME"]))
        return api_request(self.url, path, method, body, self._token)

    def wait_until(self, what: str, check, timeout: float, every: float = 3.0):
        """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
        started = time.monotonic()
        while True:
            self.check_alive()
            try:
                value = check()
            except (urllib.error.URLError, ConnectionError, KeyError, FileNotFoundError):
                value = None  # the API server is still starting
            if value:
                return value
            if time.monotonic() - started > timeout:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; "
                                     f"process logs in {self.logs}")
            time.sleep(every)

