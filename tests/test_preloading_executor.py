"""The local stack's executor: Airflow's LocalExecutor with the DAGs' heavy imports done before
it forks task processes (docs/benchmarks.md has what it saves)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline_health.local.local_airflow import PRELOADING_EXECUTOR, airflow_env
from pipeline_health.orchestration import preloading_executor
from pipeline_health.orchestration.preloading_executor import PRELOAD, preload


def test_every_preloaded_module_imports_here() -> None:
    """A module renamed by a dependency upgrade would be skipped with a warning, and every task
    would silently pay for importing it again: catch that here instead."""
    assert set(preload()) == set(PRELOAD)


def test_a_module_that_fails_to_import_is_skipped_not_fatal(caplog) -> None:
    seconds = preload(("json", "pipeline_health_no_such_module"))
    assert set(seconds) == {"json"}
    assert "Not preloading pipeline_health_no_such_module" in caplog.text


def test_the_local_stack_runs_it_as_airflow_resolves_it(tmp_path: Path) -> None:
    env = airflow_env(tmp_path)
    assert env["AIRFLOW__CORE__EXECUTOR"] == PRELOADING_EXECUTOR
    probe = ("from airflow.executors.executor_loader import ExecutorLoader\n"
             "cls, _ = ExecutorLoader.import_default_executor_cls()\n"
             "print(' '.join(c.__name__ for c in cls.__mro__))")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         check=True)
    mro = out.stdout.split()
    assert mro[:2] == ["PreloadingLocalExecutor", "LocalExecutor"]


def test_task_processes_forked_after_start_inherit_the_modules(tmp_path: Path) -> None:
    """What the executor is for: a process forked after `start()` finds dbt and Cosmos loaded."""
    probe = f"""
import os, sys
from {preloading_executor.__name__} import PreloadingLocalExecutor
executor = PreloadingLocalExecutor(parallelism=1)
executor.start()
pid = os.fork()
if pid == 0:
    os._exit(0 if all(m in sys.modules for m in ("dbt.cli.main", "cosmos.operators.local")) else 3)
_, status = os.waitpid(pid, 0)
executor.end()
print("child", os.waitstatus_to_exitcode(status))
"""
    env = airflow_env(tmp_path)
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         timeout=300)
    assert "child 0" in out.stdout, out.stdout + out.stderr[-2000:]
