"""Airflow's LocalExecutor with the DAGs' heavy imports done once, before it forks.

Under the LocalExecutor every task is a process forked from an executor worker, itself
forked from the scheduler. A task of the daily DAG then imports Cosmos and this package to
parse its DAG file, and dbt with its adapter to run one model: about 3 s of a 5-7 s model
task on this machine, paid by each of the ~30 tasks of a run one after another (the DuckDB
writer pool has one slot). Importing those modules in the scheduler before the workers are
forked hands every task process the loaded modules for free (copy-on-write pages).

Only modules are imported: no dbt invocation, no settings object, no warehouse connection,
so a task still reads its own configuration and opens its own connections. A module that
fails to import is skipped with a warning: the task then imports it itself, as without
preloading, and reports the real error there.

Configure with `[core] executor =
pipeline_health.orchestration.preloading_executor.PreloadingLocalExecutor` (the local stack
does); it behaves as the LocalExecutor in every other way.
"""

from __future__ import annotations

import importlib
import logging
import time

from airflow.executors.local_executor import LocalExecutor

log = logging.getLogger(__name__)

# What a task process of the two DAGs imports beyond Airflow itself (measured with -X importtime).
# Only third-party libraries: this package's modules read settings when imported, and the tasks
# must read them in their own process.
PRELOAD = (
    "cosmos",
    "cosmos.airflow.task_group",
    "cosmos.operators.local",
    "cosmos.operators.watcher",
    "dbt.cli.main",
    "dbt.adapters.factory",
    "dbt.adapters.duckdb",
    "dbt.adapters.bigquery",
    "duckdb",
    "faker",
    "numpy",
    "pyarrow",
)


def preload(modules: tuple[str, ...] = PRELOAD) -> dict[str, float]:
    """Import each module; returns the seconds each took (skipped modules are left out)."""
    seconds: dict[str, float] = {}
    for name in modules:
        start = time.perf_counter()
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - an optional speed-up must never stop the scheduler
            log.warning("Not preloading %s (%s): tasks will import it themselves.", name, exc)
            continue
        seconds[name] = time.perf_counter() - start
    return seconds


class PreloadingLocalExecutor(LocalExecutor):
    """LocalExecutor whose forked task processes inherit the DAGs' heavy imports."""

    def start(self) -> None:
        seconds = preload()
        log.info("Preloaded %d modules for task processes in %.1f s.", len(seconds), sum(seconds.values()))
        super().start()
