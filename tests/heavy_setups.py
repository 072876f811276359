"""The slowest module set-ups, run two at a time before the first of them is needed.

Each builds its own warehouse: the daily and weekly e2e modules (initial load and DAG runs,
in child processes), the session's built warehouse and the equity-effect one (simulation,
dbt in a worker process). Each keeps about one core busy, so on a 2-core machine two side by
side take little longer than one (measured: the two e2e modules 468 s one after the other,
329 s side by side). The session fixture `heavy_setups` (conftest.py) starts every set-up
that a collected test needs, longest first, and returns once all are done. Each set-up
works in its own folder and environment; one that fails fails only the tests using it.

A module registers a set-up under the name of the fixture that returns its value:

    @heavy_setup("daily_runs", seconds=205)
    def build_daily_runs(root: Path):
        ...
        yield value  # code after the yield runs at the end of the session

    @pytest.fixture(scope="module")
    def daily_runs(heavy_setups):
        return heavy_setups.get("daily_runs")

A set-up that no collected test asked for statically (e.g. `request.getfixturevalue`)
is built on first use instead.

Under pytest-xdist (`make test` runs `-n 2 --dist loadscope`) the two workers are the two
at a time: `xdist_groups` puts every module that shares a set-up in one group (one scope of
`GroupScheduling`), so each set-up is built once, by the worker that runs its tests, on
first use; and it orders the groups longest first, so neither worker is left with a long
group at the end.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

WORKERS = 2  # the CI machine's cores


@dataclass
class HeavySetup:
    build: Callable[[Path], AbstractContextManager]
    seconds: float  # rough duration alone on the 2-core machine: the longest start first


REGISTRY: dict[str, HeavySetup] = {}


def heavy_setup(fixture: str, seconds: float):
    """Register a generator function (root folder -> yields the fixture's value)."""
    def register(build: Callable[[Path], Iterator]) -> Callable[[Path], Iterator]:
        REGISTRY[fixture] = HeavySetup(contextmanager(build), seconds)
        return build
    return register


class HeavySetups:
    def __init__(self, factory: pytest.TempPathFactory, cleanup: ExitStack) -> None:
        self.factory = factory
        self.cleanup = cleanup
        self.futures: dict[str, Future] = {}
        self.seconds: dict[str, float] = {}
        self.wall = 0.0

    def run(self, names: list[str]) -> None:
        """Build these set-ups, WORKERS at a time, longest first; return when all are done."""
        names = sorted(names, key=lambda name: -REGISTRY[name].seconds)
        roots = {name: self.factory.mktemp(name) for name in names}
        started = time.monotonic()
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="heavy-setup") as pool:
            self.futures.update({name: pool.submit(self._enter, name, roots[name]) for name in names})
        self.wall = time.monotonic() - started

    def get(self, name: str):
        """The set-up's value (its error, if it failed); built now if it was not scheduled."""
        if name not in self.futures:
            future: Future = Future()
            try:
                future.set_result(self._enter(name, self.factory.mktemp(name)))
            except Exception as exc:
                future.set_exception(exc)
            self.futures[name] = future
        return self.futures[name].result()

    def _enter(self, name: str, root: Path):
        started = time.monotonic()
        setup = REGISTRY[name].build(root)
        value = setup.__enter__()
        self.cleanup.push(setup.__exit__)
        self.seconds[name] = time.monotonic() - started
        return value

    def summary(self) -> str:
        each = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.seconds.items())
        return (f"heavy set-ups, {WORKERS} at a time: {each}; "
                f"{self.wall:.0f} s for those run together")


# Rough seconds of each slow module's own tests on the CI machine (pytest --durations=0), besides
# any heavy set-up it uses. Only the order of the groups depends on them.
MODULE_SECONDS = {
    "test_scheduler_backfill.py": 580, "test_bigquery_weekly_dbt.py": 285,
    "test_daily_dag_e2e.py": 115, "test_weekly_dbt.py": 100,
    "test_oulad.py": 65, "test_weekly_dag_e2e.py": 60, "test_run_dates_env.py": 47,
    "test_validity_report.py": 46, "test_warehouse.py": 30, "test_dashboard_browser.py": 28,
    "test_bigquery_loader.py": 27, "test_image_build.py": 22, "test_fail_fast.py": 21,
    "test_dag_integrity.py": 17, "test_source_freshness.py": 14,
}
DEFAULT_MODULE_SECONDS = 5.0


def uses(item: pytest.Item) -> list[str]:
    """The heavy set-ups a test uses: fixtures of a registered name that ask `heavy_setups` for it
    (a module may have its own fixture of the same name)."""
    defs = item._fixtureinfo.name2fixturedefs
    asked = {name for mark in item.iter_markers("uses_heavy_setup") for name in mark.args}  # dynamic use
    return [name for name in REGISTRY
            if name in asked or (name in defs and "heavy_setups" in defs[name][-1].argnames)]


def xdist_groups(items: list[pytest.Item]) -> dict[str, str]:
    """Each test module's group, and the items ordered longest group first.

    A group is a module, or every module sharing a heavy set-up (transitively): module-scoped
    fixtures and set-ups then live in one worker. Stable sort: a module's tests keep their order.
    """
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    for item in items:
        find(module(item))
        for name in uses(item):
            parent[find(f"setup:{name}")] = find(module(item))
    members: dict[str, set[str]] = defaultdict(set)
    for node in list(parent):
        members[find(node)].add(node)
    seconds: dict[str, float] = {}
    group_of: dict[str, str] = {}
    for nodes in members.values():
        modules = sorted(n for n in nodes if not n.startswith("setup:"))
        group = modules[0].rsplit("/", 1)[-1].removesuffix(".py")
        seconds[group] = (sum(REGISTRY[n[6:]].seconds for n in nodes if n.startswith("setup:"))
                          + sum(MODULE_SECONDS.get(m.rsplit("/", 1)[-1], DEFAULT_MODULE_SECONDS)
                                for m in modules))
        group_of.update(dict.fromkeys(modules, group))
    items.sort(key=lambda item: (-seconds[group_of[module(item)]], group_of[module(item)]))
    return group_of


# pytest-xdist's own --dist loadgroup does not group under pytest 9 (it renames Node._nodeid,
# which pytest 9 no longer reads), and its controller never collects: each worker writes the
# groups it computed to this file (all write the same), and the controller's scheduler reads it.
GROUPS_FILE_ENV = "PIPELINE_HEALTH_XDIST_GROUPS_FILE"


def write_groups(items: list[pytest.Item], path: Path) -> None:
    groups = xdist_groups(items)
    scratch = path.with_name(f"{path.name}.{os.getpid()}")
    scratch.write_text(json.dumps(groups))
    scratch.replace(path)  # atomic: the other worker may write the same file


class GroupScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with this suite's groups as scopes, in the workers' order."""

    def __init__(self, config: pytest.Config, log, groups_file: Path) -> None:
        # xdist would otherwise queue the scopes with the most tests first: the longest first.
        config.option.loadscopereorder = False
        super().__init__(config, log)
        self.groups_file = groups_file
        self._groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._groups is None:  # first called once every worker has collected
            self._groups = json.loads(self.groups_file.read_text())
        module = nodeid.split("::", 1)[0]
        return self._groups.get(module, module)
