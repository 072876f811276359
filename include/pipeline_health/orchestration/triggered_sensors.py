"""Cosmos watcher sensors that start in the triggerer and, when their node succeeded, end there.

In Cosmos's watcher mode one producer task runs the whole `dbt build` and every model (and
each model's tests) is a sensor task that reports the producer's result for its node. As
Cosmos ships them, each sensor starts in a worker process (which parses the DAG file),
defers to the triggerer, and is resumed in a second worker process to finish: two task
processes per node, ~50 nodes a day, which on two cores slowed the producer's build itself
about threefold (docs/benchmarks.md).

Here the scheduler hands each sensor straight to the triggerer (Airflow's
`start_from_trigger`), and the trigger ends the task instance itself when the node
succeeded (`TaskSuccessEvent`): a successful node costs no worker process. Anything else
goes back to a worker, where Cosmos's own handling applies: a failed node or producer fails
the task (and it retries); a skipped producer makes the sensor run its node with dbt.

Retries and clears keep Cosmos's meaning: on any try after the first the sensor runs its own
node (`dbt run` of the model, `dbt test` of its tests) in a worker, so clearing a model's task
in the UI re-runs that model. Those runs write the warehouse, so the sensors sit in the writer
pool; a task waiting in the triggerer holds no pool slot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.sdk.bases.operator import BaseOperator
from airflow.triggers.base import StartTriggerArgs, TaskSuccessEvent, TriggerEvent
from cosmos.listeners.dag_run_listener import EventStatus
from cosmos.operators._watcher.triggerer import WatcherTrigger
from cosmos.operators.watcher import (
    DbtConsumerWatcherSensor,
    DbtRunWatcherOperator,
    DbtSeedWatcherOperator,
    DbtSnapshotWatcherOperator,
    DbtTestWatcherOperator,
)

# A retried or cleared sensor: resume in a worker and run the node with dbt.
RERUN = "rerun"


class ConsumerTrigger(WatcherTrigger):
    """Cosmos's WatcherTrigger, started by the scheduler (it learns its run from its task
    instance) and ending a successful node's task without a worker."""

    def __init__(self, *, run_id: str | None = None, map_index: int | None = -1, **kwargs: Any):
        super().__init__(run_id=run_id, map_index=map_index, **kwargs)  # type: ignore[arg-type]

    def serialize(self) -> tuple[str, dict[str, Any]]:
        _, kwargs = super().serialize()
        return f"{__name__}.{type(self).__name__}", kwargs

    async def run(self) -> AsyncIterator[TriggerEvent]:
        ti = self.task_instance
        # The scheduler created this trigger from the DAG's static arguments: no run id there.
        self.run_id = self.run_id or ti.run_id
        if ti.try_number > 1:
            yield TriggerEvent({"status": RERUN})
            return
        async for event in super().run():
            if event.payload.get("status") == EventStatus.SUCCESS:
                yield TaskSuccessEvent()
            else:
                yield event
            return


class _StartsInTriggerer:
    """Mixin for Cosmos's consumer sensors: what a worker does once a trigger hands back."""

    start_from_trigger = True

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        if event.get("status") == RERUN:
            self._fallback_to_non_watcher_run(try_number=context["ti"].try_number, context=context)
            return
        super().execute_complete(context, event)  # type: ignore[misc]


class TriggeredRunSensor(_StartsInTriggerer, DbtRunWatcherOperator):
    """A model's task: the producer's result for the model."""


class TriggeredTestSensor(_StartsInTriggerer, DbtTestWatcherOperator):
    """A model's tests: the producer's results for the tests of the model."""


class TriggeredSnapshotSensor(_StartsInTriggerer, DbtSnapshotWatcherOperator):
    """A snapshot's task: the producer's result for the snapshot."""


class TriggeredSeedSensor(_StartsInTriggerer, DbtSeedWatcherOperator):
    """A seed's task: the producer's result for the seed."""


TRIGGERED: dict[type, type] = {
    DbtRunWatcherOperator: TriggeredRunSensor,
    DbtTestWatcherOperator: TriggeredTestSensor,
    DbtSnapshotWatcherOperator: TriggeredSnapshotSensor,
    DbtSeedWatcherOperator: TriggeredSeedSensor,
}


def start_in_triggerer(tasks: list[BaseOperator], pool: str) -> int:
    """Turn the Cosmos consumer sensors among `tasks` into triggered ones; returns how many.

    Cosmos builds the sensors; only their class (the methods above) and two attributes change.
    A consumer class without a triggered variant is a Cosmos upgrade this module does not know:
    fail the DAG's parse rather than silently run it the slow way.
    """
    count = 0
    for task in tasks:
        if not isinstance(task, DbtConsumerWatcherSensor):
            continue
        triggered = TRIGGERED.get(type(task))
        if triggered is None:
            raise TypeError(f"{task.task_id}: no triggered variant of Cosmos's {type(task).__name__}")
        task.__class__ = triggered
        task.pool = pool
        task.start_trigger_args = StartTriggerArgs(
            trigger_cls=f"{__name__}.{ConsumerTrigger.__name__}",
            trigger_kwargs={
                "model_unique_id": task.model_unique_id,
                "producer_task_id": task.producer_task_id,
                "dag_id": task.dag_id,
                "poke_interval": task.poke_interval,
                "is_test_sensor": task.is_test_sensor,
            },
            next_method="execute_complete",
            next_kwargs=None,
            timeout=task.execution_timeout,
        )
        count += 1
    return count
