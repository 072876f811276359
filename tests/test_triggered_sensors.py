"""Watcher sensors that start in the triggerer: a succeeded node ends its task there, anything
else goes back to a worker with Cosmos's meaning, and a retried or cleared sensor re-runs its node."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from airflow.triggers.base import TaskSuccessEvent
from airflow.triggers.shared_stream import SharedStreamManager
from cosmos.operators.watcher import DbtConsumerWatcherSensor

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.orchestration import triggered_sensors
from pipeline_health.orchestration.triggered_sensors import (
    PRODUCER_TRY_KEY,
    RERUN,
    ConsumerTrigger,
    start_in_triggerer,
)

MODEL = "model.pipeline_health.dim_apprentice"


class Producer:
    """What the triggers of a run read: the producer task's state and the XComs it pushed, in
    turn (each state read moves to the next step; the last step stays)."""

    def __init__(self, *steps: tuple[str | None, dict]):
        self.steps = list(steps)
        self.xcoms: dict = {}
        self.reads: list[tuple[str, str]] = []  # (run id, XCom key) of every node read
        self.state_reads = 0

    def state(self) -> str | None:
        self.state_reads += 1
        state, self.xcoms = self.steps[0] if len(self.steps) == 1 else self.steps.pop(0)
        return state


RUN_ID = "backfill__2026-11-17"
PRODUCERS: dict[str, Producer] = {}  # run id -> the producer its triggers watch


@pytest.fixture(autouse=True)
def fake_producer(monkeypatch: pytest.MonkeyPatch):
    """The producer's state as the triggerer's (shared) poll reads it, from PRODUCERS."""
    async def producer_state(self):
        return PRODUCERS[self.run_id].state()

    monkeypatch.setattr(ConsumerTrigger, "_get_producer_task_status", producer_state)
    monkeypatch.setattr(triggered_sensors, "PRODUCER_POLL_SECONDS", 0.01)
    yield
    PRODUCERS.clear()


def _trigger(producer: Producer, try_number: int = 1, is_test_sensor: bool = False,
             model: str | None = None, poke_interval: float = 0.01, run_id: str = RUN_ID) -> ConsumerTrigger:
    model = model or MODEL
    trigger = ConsumerTrigger(model_unique_id=model, producer_task_id="dbt_daily.dbt_producer_watcher",
                              dag_id="pipeline_health_daily", poke_interval=poke_interval,
                              is_test_sensor=is_test_sensor)
    trigger.task_instance = SimpleNamespace(run_id=run_id, try_number=try_number,
                                            task_id=f"dbt_daily.{model.split('.')[-1]}.run")
    PRODUCERS[run_id] = producer

    async def get_xcom_val(key):
        producer.reads.append((trigger.run_id, key))
        return producer.xcoms.get(key)

    trigger.get_xcom_val = get_xcom_val
    return trigger


async def _trigger_events(manager: SharedStreamManager, trigger_id: int, trigger: ConsumerTrigger) -> list:
    """As the triggerer runs a trigger: through its run's shared stream when it has one."""
    key = trigger.shared_stream_key()
    if key is None:
        return [event async for event in trigger.run()]
    try:
        return [event async for event in trigger.filter_shared_stream(
            manager.subscribe(trigger_id=trigger_id, trigger=trigger, key=key))]
    finally:
        await manager.unsubscribe(trigger_id, key)


def _events(*triggers: ConsumerTrigger) -> list:
    """The events of the triggers, run together in one triggerer loop (one list per trigger, or
    the one trigger's list)."""
    async def collect():
        manager = SharedStreamManager()
        return await asyncio.gather(*(_trigger_events(manager, n, t) for n, t in enumerate(triggers)))

    events = asyncio.run(asyncio.wait_for(collect(), timeout=10))
    return events[0] if len(triggers) == 1 else events


STATUS_KEY = f"{MODEL.replace('.', '__')}_status"
TESTS_KEY = f"{MODEL.replace('.', '__')}_tests_status"


def test_a_succeeded_model_ends_its_task_in_the_triggerer_without_a_worker() -> None:
    producer = Producer(("running", {}), ("running", {STATUS_KEY: {"status": "success", "outlet_uris": []}}))
    events = _events(_trigger(producer))
    assert len(events) == 1 and isinstance(events[0], TaskSuccessEvent)
    # The run comes from the task instance: the scheduler built the trigger from static arguments.
    assert {run for run, _ in producer.reads} == {"backfill__2026-11-17"}


def test_a_failed_model_goes_back_to_a_worker_to_fail_the_task() -> None:
    producer = Producer(("running", {STATUS_KEY: {"status": "fail", "outlet_uris": []}}))
    [event] = _events(_trigger(producer))
    assert not isinstance(event, TaskSuccessEvent)
    assert event.payload["status"] == "failed" and event.payload["reason"] == "node_failed"


def test_a_failed_producer_fails_the_waiting_sensors() -> None:
    [event] = _events(_trigger(Producer(("running", {}), ("failed", {}))))
    assert not isinstance(event, TaskSuccessEvent)
    assert event.payload["reason"] == "producer_failed"


def test_test_sensors_read_the_models_aggregated_test_status() -> None:
    producer = Producer(("running", {STATUS_KEY: {"status": "success", "outlet_uris": []},
                                     TESTS_KEY: "pass"}))
    [event] = _events(_trigger(producer, is_test_sensor=True))
    assert isinstance(event, TaskSuccessEvent)
    assert TESTS_KEY in {key for _, key in producer.reads}


def test_a_sensor_retried_or_cleared_alone_reruns_its_node_in_a_worker() -> None:
    """Its try 2 must not report the build of try 1: the producer finished and will not build again."""
    producer = Producer(("success", {STATUS_KEY: {"status": "success", "outlet_uris": []},
                                     PRODUCER_TRY_KEY: 1}))
    [event] = _events(_trigger(producer, try_number=2))
    assert event.payload == {"status": RERUN}
    assert STATUS_KEY not in {key for _, key in producer.reads}


def test_in_a_cleared_run_sensors_wait_for_the_producers_new_build() -> None:
    """A reprocessing backfill clears producer and sensors together: the old build's reports
    stay readable until the producer's new try starts, and must not be taken for the new one."""
    old = {STATUS_KEY: {"status": "success", "outlet_uris": []}, PRODUCER_TRY_KEY: 1}
    producer = Producer(("queued", old), ("queued", old), ("running", {PRODUCER_TRY_KEY: 2}),
                        ("running", {PRODUCER_TRY_KEY: 2}),
                        ("running", {PRODUCER_TRY_KEY: 2, STATUS_KEY: {"status": "fail", "outlet_uris": []}}))
    [event] = _events(_trigger(producer, try_number=2))
    assert event.payload["reason"] == "node_failed"  # the new build's result, not the old success


def test_the_sensors_of_a_run_share_one_producer_poll_and_end_with_the_build() -> None:
    """However long their poke interval, waiting sensors read their node again as soon as the
    producer has ended, and one poll of the producer's state serves all of them."""
    other = "model.pipeline_health.dim_coach"
    done = {STATUS_KEY: {"status": "success", "outlet_uris": []}, TESTS_KEY: "pass",
            f"{other.replace('.', '__')}_status": {"status": "success", "outlet_uris": []}}
    producer = Producer(*[("running", {})] * 8, ("success", done))
    triggers = [_trigger(producer, poke_interval=60), _trigger(producer, model=other, poke_interval=60),
                _trigger(producer, is_test_sensor=True, poke_interval=60)]
    events = _events(*triggers)  # within the 10 s timeout: not after a 60 s poke
    assert all(len(e) == 1 and isinstance(e[0], TaskSuccessEvent) for e in events), events
    # Each sensor read its node twice: on the first state it saw, and when the build had ended.
    assert len(producer.reads) == 2 * len(triggers)
    # Nine states to go through: three sensors polling alone would have read at least 27.
    assert producer.state_reads < 14


def test_a_producer_that_succeeded_without_the_node_ends_its_sensor() -> None:
    """The build did not run the node (Cosmos: node not run): the sensor succeeds, as Cosmos's does."""
    [event] = _events(_trigger(Producer(("running", {}), ("success", {}))))
    assert isinstance(event, TaskSuccessEvent)


def test_sensors_of_different_runs_do_not_share_a_poll() -> None:
    """A backfill's days run one after another; two runs' sensors must each read their own producer."""
    first = _trigger(Producer(("running", {}), ("failed", {})))
    second = _trigger(Producer(("success", {STATUS_KEY: {"status": "success", "outlet_uris": []}})),
                      run_id="backfill__2026-11-18")
    [failed], [succeeded] = _events(first, second)
    assert failed.payload["reason"] == "producer_failed"
    assert isinstance(succeeded, TaskSuccessEvent)


def test_a_rerun_event_makes_the_worker_run_the_node(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline_health.orchestration.triggered_sensors import TriggeredRunSensor

    ran = []
    monkeypatch.setattr(TriggeredRunSensor, "_fallback_to_non_watcher_run",
                        lambda self, try_number, context: ran.append(try_number))
    sensor = object.__new__(TriggeredRunSensor)
    sensor.execute_complete({"ti": SimpleNamespace(try_number=2)}, {"status": RERUN})
    assert ran == [2]


def test_an_unknown_cosmos_consumer_fails_the_parse() -> None:
    class NewConsumer(DbtConsumerWatcherSensor):
        pass

    sensor = object.__new__(NewConsumer)
    sensor.__dict__["task_id"] = "dbt_daily.new_kind"  # no operator __init__: only the id is read
    with pytest.raises(TypeError, match="dbt_daily.new_kind: no triggered variant"):
        start_in_triggerer([sensor], pool="writers")


_SERIALISED = """
import json
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
bag = DagBag({folder!r})
out = {{}}
for dag_id, dag in bag.dags.items():
    for op in DagSerialization.to_dict(dag)["dag"]["tasks"]:
        op = op["__var"]
        out[f"{{dag_id}}:{{op['task_id']}}"] = [op.get("task_type"), op.get("start_from_trigger", False),
            (op.get("start_trigger_args") or {{}}).get("trigger_cls"), op.get("pool")]
ups = {{f"{{d.dag_id}}:{{t.task_id}}": sorted(t.upstream_task_ids)
       for d in bag.dags.values() for t in d.tasks}}
print(json.dumps({{"errors": list(bag.import_errors), "tasks": out, "upstream": ups}}))
"""


def test_in_watcher_mode_every_sensor_starts_in_the_triggerer_and_reruns_as_a_writer() -> None:
    """As the scheduler sees the DAGs (serialised), in the mode that uses these sensors."""
    from pipeline_health.orchestration.cosmos_setup import WRITER_POOL

    env = {**os.environ, "PIPELINE_HEALTH_COSMOS_MODE": "watcher"}
    out = subprocess.run([sys.executable, "-c", _SERIALISED.format(folder=str(PROJECT_ROOT / "dags"))],
                         env=env, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    report["upstream"] = {k: set(v) for k, v in report["upstream"].items()}
    assert report["errors"] == []
    sensors = {k: v for k, v in report["tasks"].items() if v[0].startswith("Triggered")}
    assert len([k for k in sensors if k.startswith("pipeline_health_daily:")]) >= 40
    assert any(k.startswith("pipeline_health_weekly:") and v[0] == "TriggeredSnapshotSensor"
               for k, v in sensors.items())
    for task, (_, from_trigger, trigger_cls, pool) in sensors.items():
        assert from_trigger is True, task
        assert trigger_cls == f"{ConsumerTrigger.__module__}.ConsumerTrigger", task
        assert pool == WRITER_POOL, task
    # Downstream models wait for their parents' models, not for the parents' tests (they run
    # late in the producer's build); the tests are leaves the rest of the DAG waits for.
    ups = report["upstream"]
    assert ups["pipeline_health_daily:dbt_daily.fct_apprentice_daily.run"] >= {
        "dbt_daily.dim_apprentice.run", "dbt_daily.fct_session_attendance.run"}
    assert not any(u.endswith(".test") for k, v in ups.items() if k.endswith(".run") for u in v)
    # A model's tests wait beside it (after its parents), not after it: their task is already
    # in the triggerer when the build tests the model.
    model = "pipeline_health_daily:dbt_daily.fct_apprentice_daily"
    assert ups[f"{model}.test"] == ups[f"{model}.run"] >= {"dbt_daily.dim_apprentice.run"}
    assert ups["pipeline_health_daily:dbt_daily.stg_apprenticeship__apprentices.test"] == \
        {"simulate_and_load_raw"}
    assert ups["pipeline_health_daily:record_and_summarise"] >= {
        "dbt_daily.dim_coach.test", "dbt_daily.fct_apprentice_daily.test"}
    # Nothing of Cosmos's own (worker-started) consumers is left.
    assert not [k for k, v in report["tasks"].items() if v[0].endswith("WatcherOperator")
                and "Producer" not in v[0]]


def test_the_producer_reports_each_node_once_when_it_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cosmos reported four events per node plus its compiled SQL, each a request to the API
    server; the sensors need the end of each node, and the error events that explain a failure."""
    from cosmos.operators.watcher import DbtProducerWatcherOperator

    from pipeline_health.orchestration.triggered_sensors import ReportingProducer

    reported: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(DbtProducerWatcherOperator, "_make_parse_callable",
                        lambda self: lambda line, kw: reported.append((line, sorted(kw))))
    parse = object.__new__(ReportingProducer)._make_parse_callable()
    names = ["MainReportVersion", "NodeStart", "NodeCompiling", "NodeExecuting", "LogModelResult",
             "NodeFinished", "SkippingDetails", "RunningOperationCaughtError", "Formatting"]
    for name in names:
        parse(json.dumps({"info": {"name": name, "msg": name, "level": "info"},
                          "data": {"node_info": {"unique_id": MODEL}}}),
              {"context": {"ti": None}, "project_dir": "/tmp/project"})
    parse("not json: printed by a library", {"context": {"ti": None}})
    assert [json.loads(line)["info"]["name"] for line, _ in reported[:-1]] == [
        "MainReportVersion", "NodeFinished", "SkippingDetails", "RunningOperationCaughtError"]
    assert reported[-1][0] == "not json: printed by a library"  # Cosmos surfaces it in the log
    assert all(kw == ["context"] for _, kw in reported)  # no project folder: no compiled SQL push


def test_the_producer_records_no_event_per_test_and_skips_unreported_debug_events(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A daily build ends 258 tests: Cosmos recorded each test's last event for a sensor that does
    not exist (a request each), and turned ~5,000 debug events a build into JSON to drop them.
    A test's end still counts towards its model's tests' status."""
    from types import SimpleNamespace

    from cosmos.operators._watcher import base as watcher_base

    from pipeline_health.orchestration.triggered_sensors import ReportingProducer, reported_only

    recorded: list[str] = []
    monkeypatch.setattr(watcher_base, "_process_dbt_log_event",
                        lambda ti, line: recorded.append(line["data"]["node_info"]["unique_id"])
                        if line["info"]["name"] == "NodeFinished" else None)
    statuses: list[tuple[str, str]] = []
    pushed: list[str] = []
    monkeypatch.setattr(watcher_base, "push_test_result_or_aggregate",
                        lambda uid, status, *args: statuses.append((uid, status)))
    producer = object.__new__(ReportingProducer)  # what the parser reads of a built producer
    producer.__dict__.update(tests_per_model={MODEL: ["test.pipeline_health.not_null_x"]},
                             test_results_per_model={}, _model_outlet_uris={},
                             _dataset_namespace=None, _should_generate_model_uris=False,
                             _upstream_failure_skipped_ids=set())
    parse = producer._make_parse_callable()
    for uid, kind in ((MODEL, "model"), ("test.pipeline_health.not_null_x", "test")):
        parse(json.dumps({"info": {"name": "NodeFinished", "msg": "", "level": "debug"},
                          "data": {"node_info": {"unique_id": uid, "resource_type": kind,
                                                 "node_status": "pass"}}}),
              {"context": {"ti": SimpleNamespace(xcom_push=lambda key, value: pushed.append(key))}})
    assert recorded == [MODEL]
    assert pushed == [MODEL.replace(".", "__") + "_status"]
    assert statuses == [("test.pipeline_health.not_null_x", "pass")]

    # Callbacks Cosmos registers see NodeFinished (debug) and info events, not other debug ones.
    seen: list[str] = []
    # As Cosmos's run_dbt_runner adds its callback (BaseOperator's __setattr__ needs __init__).
    object.__setattr__(producer, "_dbt_runner_callbacks", [*(producer._dbt_runner_callbacks or []),
                                                          lambda event: seen.append(event.info.name)])
    assert producer._dbt_runner_callbacks[0].reported_only
    for name, level in (("SQLQuery", "debug"), ("NodeFinished", "debug"), ("LogTestResult", "info"),
                        ("NodeStart", "debug")):
        for callback in producer._dbt_runner_callbacks:
            callback(SimpleNamespace(info=SimpleNamespace(name=name, level=level)))
    assert seen == ["NodeFinished", "LogTestResult"]
    # Cosmos sets the list again on each dbt command (adding to it): a wrapped callback stays as is.
    wrapped = producer._dbt_runner_callbacks[0]
    object.__setattr__(producer, "_dbt_runner_callbacks", list(producer._dbt_runner_callbacks))
    assert producer._dbt_runner_callbacks[0] is wrapped
    assert reported_only(lambda event: None).reported_only
