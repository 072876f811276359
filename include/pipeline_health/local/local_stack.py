"""The local Airflow stack of scripts/airflow_ui.sh, started in the background for benchmarks.

Runs the DAGs the way production does: the scheduler queues tasks on the LocalExecutor,
deferred sensors wait in the triggerer, and runs are created as `airflow backfill create`
creates them (through the REST API: each CLI command is a 4 s process here), so each run has
its real start and end dates. Every part listens on 127.0.0.1 only and
lives in the given state folder (never ~/airflow). Each process gets its own session, so
`stop()` ends it and its children (task runners, API server workers) by process group.

The scheduler creates no runs from the DAGs' schedules here (`use_job_schedule = False`):
an unpaused DAG would otherwise start a run for "yesterday" beside the backfill.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline_health.local import local_airflow

TERMINAL = {"success", "failed"}
DAG_IDS = ("pipeline_health_daily", "pipeline_health_weekly")


def api_request(url: str, path: str, method: str = "GET", body: dict | None = None,
                token: str | None = None) -> dict:
    """One REST API call to a local API server (loopback, never through a proxy)."""
    request = urllib.request.Request(
        f"{url}{path}", method=method, data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})})
    with _DIRECT.open(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def admin_token(url: str, airflow_home: Path) -> str:
    """A token for the API server's generated admin (its password file; never a fixed one)."""
    users = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated").read_text())
    user, password = next(iter(users.items()))
    return api_request(url, "/auth/token", "POST", {"username": user, "password": password})["access_token"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ts(value: str | None) -> datetime | None:
    if not value:
        return None
    ts = datetime.fromisoformat(str(value).replace(" ", "T"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass
class RunResult:
    dag_id: str
    run_id: str
    period: str  # the data interval's first day
    state: str
    seconds: float  # the DagRun's start_date -> end_date, as the web UI shows it
    queued_seconds: float  # queued_at -> start_date (scheduler latency, the previous run)
    tasks: dict[str, str] = field(default_factory=dict)


class LocalStack:
    """`with LocalStack(state, env, logs) as stack: stack.backfill(...)`.

    state: the state folder the settings point at; env: from local_airflow.airflow_env(state).
    """

    PARTS = (("api-server", ["api-server", "--host", "127.0.0.1"]),
             ("scheduler", ["scheduler", "--skip-serve-logs"]),
             ("dag-processor", ["dag-processor"]),
             ("triggerer", ["triggerer", "--skip-serve-logs"]))

    def __init__(self, state: Path, env: dict[str, str], logs: Path):
        home = Path(env["AIRFLOW_HOME"]).resolve()
        state = state.resolve()
        if state not in home.parents:
            raise ValueError(f"AIRFLOW_HOME {home} is outside the state folder {state}")
        self.port = free_port()
        url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "AIRFLOW__API__BASE_URL": url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        }
        self.state = state
        self.db = home / "airflow.db"
        self.logs = logs
        self.url = url
        self.procs: list[subprocess.Popen] = []
        self._token: str | None = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalStack:
        local_airflow.prepare(self.state, self.env)
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
            self.stop()
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
        self.procs.clear()

    def check_alive(self) -> None:
        for (name, _), proc in zip(self.PARTS, self.procs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"`airflow {name}` exited ({proc.returncode}); see {self.logs}")

    def wait_for_dags(self, dag_ids: tuple[str, ...] = DAG_IDS, timeout: float = 300) -> float:
        """Wait until the DAG processor has serialised the DAGs; returns the seconds waited."""
        started = time.monotonic()
        while set(dag_ids) - {r[0] for r in self._query("SELECT dag_id FROM serialized_dag")}:
            self.check_alive()
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"DAGs {dag_ids} not serialised in {timeout:.0f} s; see {self.logs}")
            time.sleep(1)
        return time.monotonic() - started

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """A read-only query of the metadata database (no API login needed)."""
        if not self.db.exists():
            return []
        try:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as con:
                return con.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # tables not created yet, or briefly locked
            return []

    def backfill(self, dag_id: str, first: date, last: date, timeout: float = 3600,
                 on_run=None) -> list[RunResult]:
        """`airflow backfill create` of the runs whose data interval starts on first..last, one at
        a time in date order (--max-active-runs 1); wait for them and return each run."""
        (after,) = (self._query("SELECT coalesce(max(id), 0) FROM dag_run") or [(0,)])[0]
        (last_backfill,) = (self._query("SELECT coalesce(max(id), 0) FROM backfill") or [(0,)])[0]
        # As the README says for the local SQLite stack: paused while the command creates the
        # runs, so the scheduler starting the first one cannot deadlock SQLite against it.
        self.api(f"/api/v2/dags/{dag_id}", "PATCH", {"is_paused": True})
        body = {"dag_id": dag_id, "from_date": f"{first.isoformat()}T00:00:00Z",
                "to_date": f"{last.isoformat()}T00:00:00Z", "max_active_runs": 1,
                "reprocess_behavior": "completed"}
        error = ""
        try:
            for attempt in range(1, 4):
                try:
                    self.api("/api/v2/backfills", "POST", body)
                    error = ""
                except urllib.error.HTTPError as exc:
                    error = f"HTTP {exc.code}: {exc.read().decode(errors='replace')[-2000:]}"
                # With SQLite the request can fail after storing the backfill: what counts here
                # is whether the backfill exists (callers check they got every run they expected).
                stored = self._query("SELECT id FROM backfill WHERE dag_id = ? AND id > ?",
                                     (dag_id, last_backfill))
                # SQLite refuses a write that would deadlock at once ("database is locked", an
                # HTTP 500 here): nothing was stored, so the request is safe to make again.
                if not error or stored or not error.startswith("HTTP 5"):
                    break
                print(f"    backfill of {dag_id}: {error[:80]} (try {attempt} of 3)", flush=True)
                time.sleep(attempt)
        finally:
            self.api(f"/api/v2/dags/{dag_id}", "PATCH", {"is_paused": False})
        if error and not stored:
            raise RuntimeError(f"creating the backfill of {dag_id} {first}..{last} failed: {error}")
        reported: set[str] = set()
        started = time.monotonic()
        while True:
            runs = self.runs(dag_id, after)
            for r in runs:
                if r.state in TERMINAL and r.run_id not in reported:
                    reported.add(r.run_id)
                    if on_run:
                        on_run(r)
            if runs and all(r.state in TERMINAL for r in runs):
                return runs
            self.check_alive()
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{dag_id} backfill {first}..{last} not done in {timeout:.0f} s")
            time.sleep(1)

    def api(self, path: str, method: str = "GET", body: dict | None = None,
            timeout: float = 60) -> dict:
        """A REST API call as the API server's generated admin (never a fixed password); waits
        for the API server to answer, up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._token is None:
                    self._token = admin_token(self.url, Path(self.env["AIRFLOW_HOME"]))
                return api_request(self.url, path, method, body, self._token)
            except urllib.error.HTTPError:
                raise
            except (urllib.error.URLError, ConnectionError):  # still starting
                self.check_alive()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def runs(self, dag_id: str, after_id: int = 0) -> list[RunResult]:
        rows = self._query(
            "SELECT run_id, state, data_interval_start, queued_at, start_date, end_date FROM dag_run "
            "WHERE dag_id = ? AND id > ? ORDER BY data_interval_start", (dag_id, after_id))
        out = []
        for run_id, state, interval_start, queued, started, ended in rows:
            t_q, t_s, t_e = _ts(queued), _ts(started), _ts(ended)
            tasks = dict(self._query("SELECT task_id, coalesce(state, 'none') FROM task_instance "
                                     "WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)))
            out.append(RunResult(
                dag_id=dag_id, run_id=run_id, period=str(interval_start)[:10], state=str(state),
                seconds=round((t_e - t_s).total_seconds(), 1) if t_s and t_e else float("nan"),
                queued_seconds=round((t_s - t_q).total_seconds(), 1) if t_q and t_s else float("nan"),
                tasks=tasks))
        return out

    def task_durations(self, dag_id: str, run_id: str) -> list[tuple[str, float]]:
        """(task_id, seconds) of one run's task instances, in start order: where its time goes."""
        rows = self._query("SELECT task_id, duration FROM task_instance WHERE dag_id = ? AND "
                           "run_id = ? ORDER BY start_date", (dag_id, run_id))
        return [(t, round(d or 0.0, 1)) for t, d in rows]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
