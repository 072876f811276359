"""The Pipeline Health page in a real Airflow API server, driven by headless Chromium.

Starts `airflow api-server` on a copy of the built warehouse (SimpleAuthManager with a
login), logs in through the form, opens the coach email's link, checks the tiles against
the published marts, changes a filter, visits every tab, measures load times, and checks
the page keeps serving while another process holds the warehouse's write lock.
Screenshots (each tab inside the UI, and each tab's full page): the test's tmp dir and
`.state/test-artifacts/`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pytest
from e2e_support import prepare_airflow

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.dashboard.app import URL_PREFIX, URL_ROUTE
from pipeline_health.dashboard.publish import publish
from pipeline_health.local import local_airflow
from pipeline_health.local.local_stack import free_port
from pipeline_health.notifier.compose import dashboard_url

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = PROJECT_ROOT / ".state" / "test-artifacts"
TABS = [("caseload", "Coach caseload"), ("trends", "Programme trends"), ("equity", "Equity lens"),
        ("pipeline", "Pipeline")]

_WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
con.execute("create schema if not exists ops")
con.execute("create table if not exists ops.browser_test_write (written_at timestamp)")
con.execute("insert into ops.browser_test_write values (now())")
con.execute("checkpoint")
print("wrote", flush=True)
con.close()
"""


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def _status(url: str) -> int:
    """HTTP status of a GET, 0 while nothing listens."""
    try:
        with _DIRECT.open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError):
        return 0


@pytest.fixture(scope="module")
def server(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    """API server on a copy of the built warehouse; yields (base URL, state dir, admin login)."""
    state = tmp_path_factory.mktemp("ui-state")
    warehouse = state / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, warehouse)
    publish(warehouse, state / "dashboard" / "published.duckdb")
    base = {k: v for k, v in os.environ.items()
            if k != "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"}  # this test logs in
    base["PIPELINE_HEALTH_DUCKDB_PATH"] = str(warehouse)
    base["PIPELINE_HEALTH_WAREHOUSE"] = "duckdb"
    env = prepare_airflow(state, local_airflow.airflow_env(state, base))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env.update({"AIRFLOW__API__BASE_URL": url, "PIPELINE_HEALTH_STATE_DIR": str(state)})
    log = open(state / "api-server.log", "w")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([local_airflow.airflow_bin(), "api-server", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        while _status(f"{url}/api/v2/monitor/health") != 200:
            if proc.poll() is not None or time.monotonic() - started > 90:
                raise RuntimeError(f"api-server did not start; see {state / 'api-server.log'}")
            time.sleep(0.5)
        print(f"api-server serving after {time.monotonic() - started:.1f} s")
        passwords = state / "airflow" / "simple_auth_manager_passwords.json.generated"
        user, password = next(iter(json.loads(passwords.read_text()).items()))
        yield url, state, (user, password)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_route_answers_401_without_login(server) -> None:
    url, _, _ = server
    for route in ("/", "/trends", "/equity", "/pipeline"):
        assert _status(f"{url}{URL_PREFIX}{route}?coach=x&week=2026-01-05") == 401, route


def test_page_in_the_airflow_ui(server, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, state, (user, password) = server
    published = state / "dashboard" / "published.duckdb"
    caseload = "marts.fct_coach_caseload_weekly"
    week: date = _query(published, f"select max(week_start_date) from {caseload}")[0][0]
    # The coach whose Red/Amber apprentices span the most programmes, so a filter changes the table.
    coach = _query(published, f"select coach_id from {caseload} where week_start_date = ? and risk_band "
                   "in ('Red', 'Amber') group by coach_id order by count(distinct programme_id) desc, "
                   "count(*) desc, coach_id limit 1", [week])[0][0]
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is needed (apt-get install -y chromium)")
    # The coach email's link, pointed at this server.
    link = urlsplit(dashboard_url(coach, week))
    assert link.path == f"/plugin/{URL_ROUTE}{URL_PREFIX}/"
    link = urlunsplit(link._replace(scheme="http", netloc=urlsplit(url).netloc))

    problems: list[str] = []
    timings: dict[str, dict[str, float]] = {}
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            tempfile.mkdtemp(dir=tmp_path), executable_path=chromium, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1500, "height": 1100})
        try:
            page = context.new_page()
            page.goto(link)
            page.wait_for_load_state("networkidle")
            page.locator("input[name=username]").fill(user)
            page.locator("input[name=password]").fill(password)
            # From here on, any failed request or console error is a failure of the page.
            page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
            page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.locator("button[type=submit]").click()
            frame = _dashboard_frame(page)
            frame.wait_for_selector("[data-tile=red]")
            # The email's link landed on its coach and week.
            assert frame.locator("select[name=coach]").input_value() == coach
            assert frame.locator("select[name=week]").input_value() == week.isoformat()
            _check_tiles(frame, published, week, coach)
            timings["caseload (email link)"] = _timing(frame)
            _shot(page, tmp_path, "1-caseload")

            # A filter changes the table to what the mart says.
            programmes = _query(published, f"select programme_id, count(*) from {caseload} where "
                                "week_start_date = ? and coach_id = ? and risk_band in ('Red', 'Amber') "
                                "group by 1 order by 2 desc, 1", [week, coach])
            before = frame.locator("#caseload tbody tr").count()
            assert before == sum(n for _, n in programmes)
            programme, expected = programmes[0]
            frame.locator("select[name=programme]").select_option(programme)
            frame.locator("button[type=submit]").click()
            frame = _dashboard_frame(page, f"programme={programme}")
            frame.wait_for_selector("[data-tile=red]")
            assert frame.locator("#caseload tbody tr").count() == expected
            if len(programmes) > 1:
                assert expected < before
            _check_tiles(frame, published, week, coach, programme)

            for i, (tab, label) in enumerate(TABS[1:], start=2):
                frame.get_by_role("link", name=label, exact=True).click()
                frame = _dashboard_frame(page, f"{URL_PREFIX}/{tab}")
                frame.wait_for_selector(f"main#tab-{tab}")
                timings[tab] = _timing(frame)
                _shot(page, tmp_path, f"{i}-{tab}")
                assert frame.locator(".error").count() == 0, tab
                if tab == "trends":
                    _check_trends(frame, published)
                if tab == "equity":
                    _check_equity(frame, published)
                if tab == "pipeline":
                    last_daily = _query(published, "select max(period_start) from ops.pipeline_run_log "
                                        "where kind = 'daily'")[0][0]
                    assert frame.locator("[data-tile=last_daily] .value").inner_text() == str(last_daily)

            # The app's own URL also works with the UI's cookie; full-page screenshots of each tab.
            direct = context.new_page()
            for i, (tab, _) in enumerate(TABS, start=1):
                path = "" if tab == "caseload" else tab
                response = direct.goto(f"{url}{URL_PREFIX}/{path}?coach={coach}&week={week}")
                assert response.status == 200 and direct.locator(".error").count() == 0, tab
                _shot(direct, tmp_path, f"{i}-{tab}-full")
            direct.close()

            # A DAG task holds the warehouse's write lock: the page still serves, the writer writes.
            writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(state / "warehouse.duckdb")],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                assert writer.stdout.readline().strip() == "locked"
                started = time.perf_counter()
                page.goto(f"{url}/plugin/{URL_ROUTE}{URL_PREFIX}/?coach={coach}&week={week}")
                frame = _dashboard_frame(page)
                frame.wait_for_selector("[data-tile=red]")
                ui_seconds = time.perf_counter() - started
                timings["caseload (writer holds lock)"] = _timing(frame)
                _check_tiles(frame, published, week, coach)
                writer.stdin.write("go\n")
                writer.stdin.flush()
                assert writer.stdout.readline().strip() == "wrote"
            finally:
                if writer.poll() is None:
                    writer.kill()
                writer.wait(timeout=30)
        finally:
            context.close()

    for name, t in timings.items():
        print(f"{name}: time to first byte {t['ttfb']:.0f} ms, full load {t['load']:.0f} ms")
    print(f"email link to tiles on screen, Airflow UI included (wall clock): {ui_seconds * 1000:.0f} ms")
    # Load times are printed (pytest -s), not asserted: a shared CI machine's speed is no
    # property of the page.
    assert problems == []


def _dashboard_frame(page, contains: str = ""):
    """The iframe showing the app, once its URL contains `contains`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for frame in page.frames:
            if f"{URL_PREFIX}/" in frame.url and "/plugin/" not in frame.url and contains in frame.url:
                frame.wait_for_load_state("load")
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no dashboard frame with {contains!r}: {[f.url for f in page.frames]}")


def _timing(frame) -> dict[str, float]:
    nav = frame.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
    return {"ttfb": nav["responseStart"] - nav["requestStart"],
            "load": nav["loadEventEnd"] - nav["startTime"]}


def _tiles(frame) -> dict[str, int]:
    return {el.get_attribute("data-tile"): int(el.locator(".value").inner_text())
            for el in frame.locator("[data-tile]").all()}


def _check_tiles(frame, published: Path, week: date, coach: str, programme: str = "") -> None:
    (n, red, amber, green, newly), = _query(
        published, "select count(*), count(*) filter (where risk_band = 'Red'), count(*) filter (where "
        "risk_band = 'Amber'), count(*) filter (where risk_band = 'Green'), count(*) filter (where "
        "is_newly_red) from marts.fct_coach_caseload_weekly where week_start_date = ? and coach_id = ? "
        "and (? = '' or programme_id = ?)", [week, coach, programme, programme])
    assert _tiles(frame) == {"in_learning": n, "red": red, "amber": amber, "green": green,
                             "newly_red": newly}
    assert frame.locator(".error").count() == 0


def _check_trends(frame, published: Path) -> None:
    (week, n, red, amber), = _query(
        published, "select week_start_date, sum(in_learning_count), sum(red_count), sum(amber_count) "
        "from marts.fct_programme_weekly_trends group by 1 order by 1 desc limit 1")
    tiles = _tiles(frame)
    assert (tiles["in_learning"], tiles["red"], tiles["amber"]) == (n, red, amber)
    assert frame.locator("svg.chart").count() == 4


def _check_equity(frame, published: Path) -> None:
    week = _query(published, "select max(week_start_date) from marts.fct_equity_gaps_weekly")[0][0]
    suppressed = _query(published, "select count(*) filter (where is_suppressed) from "
                        "marts.fct_equity_gaps_weekly where week_start_date = ? and programme_id = 'ALL'",
                        [week])[0][0]
    assert frame.locator("td.suppressed", has_text="fewer than 10").count() == suppressed


def _shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, ARTIFACTS / path.name)
