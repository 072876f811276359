"""dbt commands for the tests' warehouse builds, in one child process that parses the project once.

A `dbt` process spends about 12 s starting and parsing this project before it runs anything,
and the builds here call dbt many times with different --vars (which rules out dbt's partial
parse). The worker parses once, then runs each command with `dbtRunner(manifest=...)` on a
fresh copy of that manifest (a compile leaves state in the nodes, e.g. ephemeral CTEs
rendered with the previous run's vars), with the command's own --vars, as the CLI would.
After each command it closes dbt-duckdb's database, so other processes can write the file.
The first worker of a test session parses in full; the others start from its partial-parse
file (same vars and profile: the parse always sees the same placeholder warehouse path).

    with DbtWorker(work_dir, env) as dbt:
        code, output = dbt.run(["build", "--selector", "daily", ...])

`run` returns the CLI's exit code (0 ok, 1 a node failed, 2 dbt could not run) and the
text the CLI would have printed (dbt's stdout log).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt"
PARTIAL_PARSE = "partial_parse.msgpack"
# dbt's partial parse is void when the profile's connection details differ, the file included.
PARSE_ENV = {"PIPELINE_HEALTH_DUCKDB_PATH": "/parse-only/warehouse.duckdb"}
_seed_lock = threading.Lock()
_seed: Path | None = None  # the first worker's partial-parse file


class DbtWorker:
    def __init__(self, work_dir: Path, env: dict[str, str] | None = None, timeout: float = 900) -> None:
        """`env`: the environment of every command (defaults to this process's); a command's
        own `env` is applied on top of it, e.g. the warehouse file."""
        self.work_dir = Path(work_dir)
        self.env = {**(os.environ if env is None else env), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        self.timeout = timeout
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _common(self, work_dir: Path | None = None) -> list[str]:
        work_dir = work_dir or self.work_dir
        return ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]

    def start(self) -> DbtWorker:
        global _seed
        target = self.work_dir / "target"
        target.mkdir(parents=True, exist_ok=True)
        self._stderr = open(self.work_dir / "dbt-worker.stderr", "a")  # noqa: SIM115 (closed in close)
        self._proc = subprocess.Popen([sys.executable, "-u", __file__], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                      env=self.env, cwd=REPO)
        with _seed_lock:  # workers started together: one full parse, the others reuse it
            if _seed is not None and _seed.is_file():
                shutil.copyfile(_seed, target / PARTIAL_PARSE)
            code, output = self._request({"parse": ["parse", *self._common(), "--target", "duckdb"],
                                          "env": PARSE_ENV})
            if code != 0:
                self.close()
                raise RuntimeError(f"dbt parse failed in the worker:\n{output[-6000:]}")
            if _seed is None and (target / PARTIAL_PARSE).is_file():
                _seed = target / PARTIAL_PARSE
        return self

    def run(self, args: list[str], env: dict[str, str] | None = None,
            work_dir: Path | None = None) -> tuple[int, str]:
        """`dbt <args>` with this project's folders and the target and log paths of `work_dir`
        (default: the worker's)."""
        if self._proc is None:
            self.start()
        return self._request({"args": [*args, *self._common(work_dir)], "env": env or {}})

    def _request(self, request: dict) -> tuple[int, str]:
        assert self._proc is not None and self._proc.stdin and self._proc.stdout
        with self._lock:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            reply: list[str] = []
            reader = threading.Thread(target=lambda: reply.append(self._proc.stdout.readline()),
                                      daemon=True)
            reader.start()
            reader.join(self.timeout)
            if not reply or not reply[0]:
                self.close()
                raise RuntimeError(f"dbt worker gave no answer (timeout {self.timeout:.0f} s or exit); "
                                   f"see {self.work_dir / 'dbt-worker.stderr'}")
        answer = json.loads(reply[0])
        return answer["code"], answer["output"]

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.stdin.close()
                try:
                    self._proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
            self._stderr.close()

    def __enter__(self) -> DbtWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve() -> None:
    """The child: requests and answers are JSON lines on stdin / stdout."""
    import io

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs

    channel = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not break the protocol
    parsed = b""
    for line in sys.stdin:
        request = json.loads(line)
        saved = os.environ.copy()
        os.environ.update(request["env"])
        log = io.StringIO()
        capture_stdout_logs(log)
        try:
            if "parse" in request:
                result = dbtRunner().invoke(request["parse"])
                if result.success:
                    parsed = _freeze(result.result)
            else:
                result = dbtRunner(manifest=_thaw(parsed)).invoke(request["args"])
        finally:
            stop_capture_stdout_logs()
            os.environ.clear()
            os.environ.update(saved)
            with DuckDBConnectionManager._LOCK:  # release the warehouse file
                if DuckDBConnectionManager._ENV is not None:
                    DuckDBConnectionManager._ENV.close()
                    DuckDBConnectionManager._ENV = None
        code = 2 if result.exception is not None else 0 if result.success else 1
        output = log.getvalue() + (f"\n{result.exception}" if result.exception is not None else "")
        channel.write(json.dumps({"code": code, "output": output}) + "\n")
        channel.flush()


def _freeze(manifest) -> bytes:
    """The manifest's attributes, pickled; without its lock and its lookups (rebuilt on use).
    (Not pickle.dumps(manifest): dbt 1.11's Manifest.__reduce_ex__ misses a field.)"""
    import pickle

    return pickle.dumps({k: v for k, v in vars(manifest).items()
                         if k != "_lock" and not k.endswith("_lookup")})


def _thaw(frozen: bytes):
    """A new Manifest equal to the parsed one, sharing nothing with earlier copies."""
    import pickle

    from dbt.contracts.graph.manifest import Manifest
    from dbt.mp_context import get_mp_context

    manifest = Manifest.__new__(Manifest)
    vars(manifest).update(pickle.loads(frozen))
    manifest._lock = get_mp_context().Lock()
    for name in [f.name for f in dataclasses.fields(Manifest) if f.name.endswith("_lookup")]:
        setattr(manifest, name, None)
    return manifest


if __name__ == "__main__":
    _serve()
