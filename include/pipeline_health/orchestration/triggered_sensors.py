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

One poll of the producer per run: the sensors of a run share one stream in the triggerer
(Airflow's shared trigger streams), which reads the producer's state once a second for all of
them. Each sensor reads its own node's status every `poke_interval` and, whatever that is, as
soon as the producer has ended: the sensors end within about a second of the build, not up to
a poke interval later, and the API server answers one state request a second for the run
instead of one per sensor per poke.

Retries and clears: the producer builds on every try (Cosmos's skips every try after the
first), so a cleared run or a reprocessing backfill is one `dbt build` again, and its sensors
wait for that build. A sensor retried or cleared on its own runs its node (`dbt run` of the
model, `dbt test` of its tests) in a worker, so clearing a model's task in the UI re-runs that
model. Those runs write the warehouse, so the sensors sit in the writer pool; a task waiting
in the triggerer holds no pool slot.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Hashable
from typing import Any

from airflow.sdk.bases.operator import BaseOperator
from airflow.triggers.base import BaseEventTrigger, StartTriggerArgs, TaskSuccessEvent, TriggerEvent
from cosmos.constants import _PRODUCER_CMD_FLAGS_XCOM_KEY
from cosmos.listeners.dag_run_listener import EventStatus
from cosmos.operators._watcher import safe_xcom_push
from cosmos.operators._watcher.base import _DBT_ERROR_EVENTS_TYPES, _log_dbt_msg
from cosmos.operators._watcher.state import (
    PRODUCER_FINAL_STATES,
    ProducerTaskState,
    is_dbt_node_status_failed,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
)
from cosmos.operators._watcher.triggerer import WatcherEventReason, WatcherTrigger
from cosmos.operators._watcher.xcom import _init_xcom_backup
from cosmos.operators.watcher import (
    DbtConsumerWatcherSensor,
    DbtProducerWatcherOperator,
    DbtRunWatcherOperator,
    DbtSeedWatcherOperator,
    DbtSnapshotWatcherOperator,
    DbtTestWatcherOperator,
)

# A retried or cleared sensor: resume in a worker and run the node with dbt.
RERUN = "rerun"
# The producer's try number, its first XCom: which try the node reports that follow belong to.
PRODUCER_TRY_KEY = "pipeline_health_producer_try"
# How often the triggerer reads the producer's state, once for all the sensors of a run.
PRODUCER_POLL_SECONDS = 1.0


class ConsumerTrigger(WatcherTrigger, BaseEventTrigger):
    """Cosmos's WatcherTrigger, started by the scheduler (it learns its run from its task
    instance), sharing one poll of the producer with the run's other sensors, and ending a
    successful node's task without a worker.

    BaseEventTrigger is what lets the triggerer share a stream between triggers; these
    triggers watch no asset (no asset lists them), so they resume or end their task as any
    other trigger does.
    """

    def __init__(self, *, run_id: str | None = None, map_index: int | None = -1, **kwargs: Any):
        super().__init__(run_id=run_id, map_index=map_index, **kwargs)  # type: ignore[arg-type]

    def serialize(self) -> tuple[str, dict[str, Any]]:
        _, kwargs = super().serialize()
        return f"{__name__}.{type(self).__name__}", kwargs

    async def _producer_builds_again(self, try_number: int) -> bool:
        """On a sensor's later try: is the producer building again, in the same try?

        A cleared run (a reprocessing backfill, "clear" on the run) or a producer retried after
        a failure clears the producer and its sensors together, so their tries stay equal: wait
        for that build's reports. The previous try's reports stay readable until the producer's
        new try starts, so nothing is read before it has said which try it is. A sensor retried
        or cleared on its own finds the producer finished in an earlier try: it re-runs its node.
        """
        while True:
            if await self.get_xcom_val(PRODUCER_TRY_KEY) == try_number:
                return True
            if await self._get_producer_task_status() in PRODUCER_FINAL_STATES:
                # Finished; the try it reported may have landed just before it ended.
                return await self.get_xcom_val(PRODUCER_TRY_KEY) == try_number
            await asyncio.sleep(self.poke_interval)

    # Each poll is a request to the API server, and the triggerer polls for every waiting sensor:
    # at one poll a second the triggerer and the API server took most of a core away from the
    # producer's build. What is left is one status request per sensor per poke, and the run's
    # shared state request (filter_shared_stream).
    async def _log_startup_events(self) -> None:
        """Cosmos polls for dbt's version lines to log them: the producer's log has them."""

    async def _parse_dbt_node_status_and_compiled_sql(self) -> tuple[str | None, str | None]:
        """The node's status only: a task ended in the triggerer shows no compiled SQL anyway
        (the producer's log has it)."""
        if self.is_test_sensor:
            return await super()._parse_dbt_node_status_and_compiled_sql()
        return await self._get_node_status(), None

    def shared_stream_key(self) -> Hashable | None:
        """The run's producer, which every first-try sensor of the run watches through one poll.

        A later try first finds out whether the producer builds again (`_producer_builds_again`),
        on its own: that is `run()`, Cosmos's loop.
        """
        ti = self.task_instance
        # The scheduler created this trigger from the DAG's static arguments: no run id there.
        self.run_id = self.run_id or ti.run_id
        if ti.try_number > 1:
            return None
        return (self.dag_id, self.run_id, self.producer_task_id, self.map_index)

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[str | None]:
        """The producer's task state, once every PRODUCER_POLL_SECONDS, for as long as a sensor
        of the run waits (the triggerer cancels it when the last one has ended)."""
        watcher = cls(**kwargs)  # kwargs of the group's first sensor: run id included (serialize)
        while True:
            yield await watcher._get_producer_task_status()
            await asyncio.sleep(PRODUCER_POLL_SECONDS)

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """This sensor's one event, from the shared producer states and its node's status.

        The node's status is read every `poke_interval`, and at once when the producer has
        ended. Each state was read before the node's status it is compared with, so "producer
        succeeded, no status" still means the build did not run the node (as in Cosmos's loop).
        """
        read_at: float | None = None
        async for producer_state in shared_stream:
            ended = producer_state in PRODUCER_FINAL_STATES
            if not ended and read_at is not None and time.monotonic() - read_at < self.poke_interval:
                continue
            read_at = time.monotonic()
            status, compiled_sql = await self._parse_dbt_node_status_and_compiled_sql()
            event = self._event(status, producer_state, compiled_sql)
            if event is not None:
                yield event
                return

    @staticmethod
    def _event(status: str | None, producer_state: str | None,
               compiled_sql: str | None) -> TriggerEvent | None:
        """What Cosmos's WatcherTrigger.run yields for this node status and producer state (None:
        keep waiting), with a success ending the task here."""
        not_run = producer_state == ProducerTaskState.SUCCESS and status is None
        if is_dbt_node_status_success(status) or not_run:
            return TaskSuccessEvent()
        if is_dbt_node_status_skipped(status):
            return TriggerEvent({"status": EventStatus.SKIPPED})
        if is_dbt_node_status_failed(status):
            payload = {"status": EventStatus.FAILED, "reason": WatcherEventReason.NODE_FAILED}
            return TriggerEvent({**payload, "compiled_sql": compiled_sql} if compiled_sql else payload)
        if producer_state == ProducerTaskState.FAILED:
            return TriggerEvent({"status": EventStatus.FAILED, "reason": WatcherEventReason.PRODUCER_FAILED})
        if producer_state == ProducerTaskState.SKIPPED:
            return TriggerEvent({"status": EventStatus.FAILED, "reason": WatcherEventReason.PRODUCER_SKIPPED})
        return None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """A later try (no shared stream): is the producer building again? Then Cosmos's loop."""
        ti = self.task_instance
        self.run_id = self.run_id or ti.run_id
        if ti.try_number > 1 and not await self._producer_builds_again(ti.try_number):
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


# A test's NodeFinished, as the producer hands it to Cosmos's parser (see ReportingProducer).
TEST_FINISHED = "PipelineHealthTestFinished"
# The dbt events the producer reports to its sensors (XComs); dbt's other events are only logged.
REPORTED_EVENTS = frozenset({"NodeFinished", "SkippingDetails", "MainReportVersion", "AdapterRegistered",
                             *_DBT_ERROR_EVENTS_TYPES})


def reported_only(callback: Any) -> Any:
    """`callback`, called only for dbt events that are reported or that the task log shows
    (info and above): a debug event is dropped unless ReportingProducer reports it."""

    def on_event(event: Any) -> None:
        if event.info.level == "debug" and event.info.name not in REPORTED_EVENTS:
            return
        callback(event)

    on_event.reported_only = True  # type: ignore[attr-defined]
    return on_event


class ReportingProducer(DbtProducerWatcherOperator):
    """Cosmos's producer, reporting each node once, when it ends.

    Cosmos pushes an XCom for each of dbt's four events per node (start, compiling, executing,
    finished) plus the node's compiled SQL: about six synchronous requests to the API server
    per node, 283 nodes a day, which made the producer's build take 2.5 times the bare build.
    The sensors need only the final status (and the error events, which explain a failure),
    and of a test only its part in its model's aggregate: Cosmos's per-node event record is
    read by the sensor of that node, and tests have none (258 requests a day saved).
    """

    def execute(self, context: Any, **kwargs: Any) -> Any:
        """Build on every try. Cosmos's producer skips any try after the first (its sensors then
        run their nodes one by one); here the daily and weekly builds are idempotent for their
        days, so a retry, a cleared run or a reprocessing backfill runs the one build again."""
        ti = context["ti"]
        safe_xcom_push(task_instance=ti, key=PRODUCER_TRY_KEY, value=ti.try_number)
        self._model_outlet_uris.clear()
        self._upstream_failure_skipped_ids.clear()
        _init_xcom_backup(context, persist=False)  # what Cosmos's failure callback flushes
        # The sensors' own re-runs (a sensor cleared alone) reuse the producer's dbt flags.
        safe_xcom_push(task_instance=ti, key=_PRODUCER_CMD_FLAGS_XCOM_KEY, value=self.add_cmd_flags())
        try:
            return super(DbtProducerWatcherOperator, self).execute(context=context, **kwargs)
        finally:
            safe_xcom_push(task_instance=ti, key="task_status", value="completed")

    # Cosmos's own callback turns every dbt event into JSON before looking at it: ~5,800 a daily
    # build, nine in ten of them debug events that it then drops (~1.5 s of the build's thread).
    # The callbacks it registers are wrapped to hand on only what is reported or printed.
    @property
    def _dbt_runner_callbacks(self) -> list | None:
        return self.__dict__.get("_reported_callbacks")

    @_dbt_runner_callbacks.setter
    def _dbt_runner_callbacks(self, callbacks: list | None) -> None:
        self.__dict__["_reported_callbacks"] = (
            [c if getattr(c, "reported_only", False) else reported_only(c) for c in callbacks]
            if callbacks else callbacks)

    def _make_parse_callable(self):
        parse = super()._make_parse_callable()

        def report_finished_nodes(line: str, extra_kwargs: Any) -> None:
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            name = event.get("info", {}).get("name") if isinstance(event, dict) else None
            if isinstance(event, dict) and name not in REPORTED_EVENTS:
                _log_dbt_msg(event)  # still in the task log, as dbt printed it
                return
            node = (event or {}).get("data", {}).get("node_info") or {}
            if name == "NodeFinished" and node.get("resource_type") == "test":
                # Cosmos records a node's last event for that node's sensor; no sensor reads a
                # test's. Renamed, the event still counts towards its model's tests' status.
                event["info"]["name"] = TEST_FINISHED
                line = json.dumps(event)
            # Without the project folder Cosmos does not read and push each model's compiled SQL.
            parse(line, {k: v for k, v in (extra_kwargs or {}).items() if k != "project_dir"})

        return report_finished_nodes


TRIGGERED: dict[type, type] = {
    DbtRunWatcherOperator: TriggeredRunSensor,
    DbtTestWatcherOperator: TriggeredTestSensor,
    DbtSnapshotWatcherOperator: TriggeredSnapshotSensor,
    DbtSeedWatcherOperator: TriggeredSeedSensor,
}


def start_in_triggerer(tasks: list[BaseOperator], pool: str) -> None:
    """Turn the Cosmos consumer sensors among `tasks` into triggered ones, and the producer
    into the reporting one.

    Cosmos builds the sensors; only their class (the methods above) and two attributes change.
    A consumer class without a triggered variant is a Cosmos upgrade this module does not know:
    fail the DAG's parse rather than silently run it the slow way.
    """
    for task in tasks:
        if type(task) is DbtProducerWatcherOperator:
            task.__class__ = ReportingProducer
            continue
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


def tests_beside_models(tasks: list[BaseOperator]) -> None:
    """A model's tests wait beside the model, and the models below it wait for its model only.

    Cosmos chains parent models -> model -> its tests -> the next model. In the producer's
    `dbt build` a model's tests that read several models (relationships) run late, so each
    test sensor, and every model below it, waited for the end of the build, then the chain
    resolved one level at a time (about 3 s a level: the scheduler's and the triggerer's
    loops), 15-17 s after the build. Here the models below a model wait for its model's task,
    and its test task starts with its model's (after the same parent models), so it is already
    waiting in the triggerer when its tests end: the last model of a build no longer costs a
    second level after the build. The build itself still runs a model only after its parents'
    tests passed (dbt skips it otherwise, and its sensor fails); the test tasks are leaves that
    the rest of the DAG waits for, and a test task cleared on its own tests its model again.
    """
    by_id = {task.task_id: task for task in tasks}
    nodes = (TriggeredRunSensor, TriggeredSnapshotSensor, TriggeredSeedSensor)
    for test in tasks:
        if not isinstance(test, TriggeredTestSensor):
            continue
        parents = [by_id[t] for t in test.upstream_task_ids if isinstance(by_id.get(t), nodes)]
        if len(parents) != 1 or len(test.upstream_task_ids) != 1:
            continue  # not the one-model shape Cosmos builds: leave it as it is
        model = parents[0]
        for task_id in sorted(test.downstream_task_ids):
            below = by_id.get(task_id)
            if below is None:
                continue  # outside the dbt group (none yet when this runs)
            test.downstream_task_ids.discard(task_id)
            below.upstream_task_ids.discard(test.task_id)
            model.set_downstream(below)
        model.downstream_task_ids.discard(test.task_id)
        test.upstream_task_ids.discard(model.task_id)
        for task_id in sorted(model.upstream_task_ids):  # the model's parents, in the group
            if task_id in by_id:
                by_id[task_id].set_downstream(test)
