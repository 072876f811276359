"""The Pipeline Health page's FastAPI app, through its TestClient, on a tiny hand-made warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dashboard_sample import EVIL, PREVIOUS_WEEK, WEEK, build
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from pipeline_health.dashboard.app import (
    AUTHENTICATED,
    DOCS_NOT_BUILT,
    NOT_PUBLISHED,
    create_app,
    default_docs_dir,
)
from pipeline_health.dashboard.publish import publish
from pipeline_health.dashboard.reader import DuckDBReader

ROUTES = ["/", "/trends", "/equity", "/pipeline"]
DOCS_ROUTES = ["/dbt-docs", "/dbt-docs/", "/dbt-docs/manifest.json", "/dbt-docs/catalog.json"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    return publish(build(folder / "warehouse.duckdb"), folder / "published" / "published.duckdb").path


def _client(path: Path, authenticated: bool = True, docs_dir: Path | None = None) -> TestClient:
    app = create_app(lambda: DuckDBReader(path), docs_dir=docs_dir)
    if authenticated:
        app.dependency_overrides[AUTHENTICATED] = lambda: None
    return TestClient(app)


@pytest.fixture(scope="module")
def client(published: Path) -> TestClient:
    return _client(published)


def _rows(html: str, table_id: str) -> list[str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, flags=re.S)[1:]  # without the header


def test_every_route_requires_an_authenticated_user(published: Path) -> None:
    client = _client(published, authenticated=False)
    app_routes = [r.path for r in client.app.routes if isinstance(r, APIRoute)]
    assert sorted(app_routes) == sorted(ROUTES + DOCS_ROUTES)
    for route in app_routes:
        response = client.get(route, params={"coach": "C1", "week": WEEK.isoformat()})
        assert response.status_code == 401, route
        assert "Ada Red" not in response.text
    # No unauthenticated API documentation either.
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("route", ROUTES)
def test_every_tab_renders_without_error_and_loads_nothing_from_outside(client: TestClient,
                                                                         route: str) -> None:
    response = client.get(route)
    assert response.status_code == 200
    html = response.text
    assert 'class="error"' not in html and ">None<" not in html
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"


def test_coach_caseload_lists_red_then_amber_by_score_with_factors_and_newly_red(client: TestClient) -> None:
    html = client.get("/", params={"coach": "C1", "week": WEEK.isoformat()}).text
    rows = _rows(html, "caseload")
    assert [re.search(r'data-apprentice="(\w+)"', r).group(1) for r in rows] == ["A1", "A2", "A3"]
    assert 'class="newly-red"' in rows[0] and "Newly Red" in rows[0]
    assert "newly-red" not in rows[1]
    assert "55% (30 d)" in rows[0] and "avg 58/100" in rows[0] and "30 days ago" in rows[0]
    assert "80% of plan" in rows[0] and "<strong>60</strong> pts" in rows[0]
    assert rows[0].count('class="spark"') == 1
    tiles = dict(re.findall(r'data-tile="(\w+)"><div class="value">(\d+)<', html))
    assert tiles == {"in_learning": "4", "red": "2", "amber": "1", "green": "1", "newly_red": "1"}


def test_filters_and_week_picker_change_the_table(client: TestClient) -> None:
    by_programme = _rows(client.get("/", params={"coach": "C1", "week": WEEK.isoformat(),
                                                 "programme": "P2"}).text, "caseload")
    assert len(by_programme) == 1 and 'data-apprentice="A3"' in by_programme[0]
    by_cohort = _rows(client.get("/", params={"coach": "C1", "week": WEEK.isoformat(),
                                              "cohort": "K2"}).text, "caseload")
    assert len(by_cohort) == 1 and 'data-apprentice="A2"' in by_cohort[0]
    earlier = _rows(client.get("/", params={"coach": "C1", "week": PREVIOUS_WEEK.isoformat()}).text,
                    "caseload")
    assert len(earlier) == 1 and "75" in earlier[0]


def test_without_a_coach_the_tab_lists_coaches_with_links_that_keep_the_week(client: TestClient) -> None:
    html = client.get("/", params={"week": WEEK.isoformat()}).text
    rows = _rows(html, "coach-overview")
    assert len(rows) == 2
    assert f'href="./?coach=C1&amp;week={WEEK.isoformat()}' in html


def test_every_value_is_html_escaped(client: TestClient) -> None:
    pages = [client.get("/", params={"coach": "C1", "week": WEEK.isoformat()}).text,
             client.get("/", params={"week": WEEK.isoformat()}).text,
             client.get("/", params={"coach": EVIL, "week": EVIL}).text,
             client.get("/equity").text]
    for html in pages:
        assert EVIL not in html
        assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in pages[0]
    assert "Coach &lt;script&gt;" in pages[1]
    assert "is not a date" in pages[2]


def test_equity_lens_shows_intervals_and_suppressed_cells_as_fewer_than_10(client: TestClient) -> None:
    html = client.get("/equity").text
    assert html.count(">fewer than 10<") == 2
    assert "Gender" in html and "LDD" in html
    female = html.split('data-group="gender:Female"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="clear">+9.0 pp</span>' in female and "(+2.0 pp to +16.0 pp)" in female
    assert 'class="ci"' in female
    male = html.split('data-group="gender:Male"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="">+4.0 pp</span>' in male  # its interval includes zero: not highlighted
    p1 = client.get("/equity", params={"programme": "P1"}).text
    assert 'value="P1" selected' in p1


def test_programme_trends_sum_the_mart_over_the_filters(client: TestClient) -> None:
    html = client.get("/trends").text
    assert html.count('class="chart"') == 4
    tiles = dict(re.findall(r'data-tile="(\w+)"><div class="value">(\d+)<', html))
    # Latest week: programme 1 counts start at 11, programme 2 at 21 (see dashboard_sample).
    assert tiles["in_learning"] == str(11 + 21)
    only_p2 = dict(re.findall(r'data-tile="(\w+)"><div class="value">(\d+)<',
                              client.get("/trends", params={"programme": "P2"}).text))
    assert only_p2["in_learning"] == "21"


def test_pipeline_tab_shows_runs_loads_freshness_snapshots_and_emails(client: TestClient) -> None:
    html = client.get("/pipeline").text
    tiles = dict(re.findall(r'data-tile="(\w+)"><div class="value">([\d-]+)<', html))
    assert tiles == {"last_daily": "2026-11-22", "last_weekly": WEEK.isoformat()}
    assert len(_rows(html, "load-days")) == 3
    assert len(_rows(html, "freshness")) == 11
    assert len(_rows(html, "snapshot-weeks")) == 2
    assert len(_rows(html, "emails")) == 1
    assert "secret demographics" not in html


def test_before_anything_is_published_the_page_says_how_to_publish(tmp_path: Path) -> None:
    html = _client(tmp_path / "missing.duckdb").get("/").text
    assert NOT_PUBLISHED.split(";")[0] in html and 'class="error"' not in html


def test_a_mart_not_built_yet_gives_a_notice_not_an_error(tmp_path: Path) -> None:
    import duckdb

    warehouse = tmp_path / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    path = publish(warehouse, tmp_path / "p.duckdb").path
    for route in ROUTES:
        response = _client(path).get(route)
        assert response.status_code == 200 and 'class="error"' not in response.text
        assert "not built yet" in response.text


def test_a_failing_query_shows_an_error_element(published: Path) -> None:
    class Broken(DuckDBReader):
        def rows(self, query, **params):
            raise RuntimeError("boom")

    app = create_app(lambda: Broken(published))
    app.dependency_overrides[AUTHENTICATED] = lambda: None
    response = TestClient(app).get("/")
    assert response.status_code == 500 and 'class="error"' in response.text and "boom" not in response.text


def _freshness_rows(html: str) -> dict[str, str]:
    return {re.search(r'data-table="(\w+)"', r).group(1): r for r in _rows(html, "freshness")}


def test_pipeline_tab_shows_a_stale_raw_table_as_stale_with_age_and_thresholds(client: TestClient) -> None:
    html = client.get("/pipeline").text
    rows = _freshness_rows(html)
    assert len(rows) == 11
    # Past its error threshold (dashboard_sample.FRESHNESS): 100 h old, error after 54 h.
    stale = rows["raw_status_changes"]
    assert 'class="stale"' in stale and 'class="badge fresh-error">error<' in stale
    assert ">4 d 4 h<" in stale and ">30 h<" in stale and ">54 h<" in stale
    warned = rows["raw_quiz_attempts"]
    assert 'class="stale"' in warned and 'fresh-warn">warn<' in warned and ">2 d 12 h<" in warned
    fresh = rows["raw_otj_hours"]
    assert "stale" not in fresh and 'fresh-pass">pass<' in fresh and ">6 min<" in fresh
    assert ">not checked<" in rows["raw_programmes"] and "stale" not in rows["raw_programmes"]
    assert "checked\n2026-11-23 00:10:00 UTC by the daily run of 2026-11-22" in html


def test_before_any_freshness_check_the_raw_tables_show_unchecked(tmp_path: Path) -> None:
    import duckdb

    warehouse = build(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table ops.source_freshness")
    html = _client(publish(warehouse, tmp_path / "p.duckdb").path).get("/pipeline").text
    rows = _freshness_rows(html)
    assert len(rows) == 11 and all(">not checked<" in r and "stale" not in r for r in rows.values())
    assert "No dbt source freshness check recorded yet" in html and 'class="error"' not in html


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "target"
    folder.mkdir()
    (folder / "index.html").write_text("<html><head></head><body>dbt docs site</body></html>")
    (folder / "manifest.json").write_text('{"nodes": {"model.pipeline_health.x": {}}}')
    (folder / "catalog.json").write_text('{"nodes": {}}')
    return folder


def test_dbt_docs_are_served_to_a_logged_in_user_only(published: Path, docs_dir: Path) -> None:
    anonymous = _client(published, authenticated=False, docs_dir=docs_dir)
    for route in DOCS_ROUTES:
        response = anonymous.get(route, follow_redirects=False)
        assert response.status_code == 401, route
        assert "dbt docs site" not in response.text and "pipeline_health.x" not in response.text
    client = _client(published, docs_dir=docs_dir)
    redirect = client.get("/dbt-docs", follow_redirects=False)
    assert redirect.status_code in (302, 307) and redirect.headers["location"] == "dbt-docs/"
    index = client.get("/dbt-docs/")
    assert index.status_code == 200 and "dbt docs site" in index.text
    assert index.headers["content-type"].startswith("text/html")
    csp = index.headers["content-security-policy"]
    # The site's own scripts run; nothing is fetched from outside (connect, script, img: self only).
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "http" not in csp
    assert client.get("/dbt-docs/manifest.json").json() == {"nodes": {"model.pipeline_health.x": {}}}
    assert client.get("/dbt-docs/catalog.json").json() == {"nodes": {}}
    # Only the three files: no other path reaches the folder.
    assert client.get("/dbt-docs/partial_parse.msgpack").status_code == 404
    assert client.get("/dbt-docs/..%2Fmanifest.json").status_code == 404


def test_dbt_docs_not_built_say_how_to_build_them(published: Path, tmp_path: Path) -> None:
    response = _client(published, docs_dir=tmp_path / "nothing").get("/dbt-docs/")
    assert response.status_code == 404 and "make setup" in response.text
    assert DOCS_NOT_BUILT.split(".")[0] in response.text


def test_pipeline_tab_links_to_the_dbt_docs(client: TestClient) -> None:
    assert '<a href="dbt-docs/" id="dbt-docs">' in client.get("/pipeline").text


def test_setup_built_the_dbt_docs_beside_the_manifest() -> None:
    """`make setup` (and the image) run `dbt docs generate` after `dbt parse`."""
    folder = default_docs_dir()
    assert {"index.html", "manifest.json", "catalog.json"} <= {p.name for p in folder.iterdir()}
    assert "dbt" in (folder / "index.html").read_text()[:5000].lower()


def test_cosmos_docs_routes_answer_without_any_login(monkeypatch, docs_dir: Path) -> None:
    """Why Cosmos's docs plugin stays off: on Airflow 3 (Cosmos 1.15) its app has no auth
    dependency and Airflow mounts plugin apps as they are. If this starts failing, Cosmos
    protects its routes and could be reconsidered."""
    import json

    from cosmos.plugin import airflow3

    monkeypatch.setenv("AIRFLOW__COSMOS__DBT_DOCS_PROJECTS",
                       json.dumps({"pipeline_health": {"dir": str(docs_dir), "index": "index.html"}}))
    monkeypatch.setenv("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    anonymous = TestClient(airflow3.create_cosmos_fastapi_app())
    assert anonymous.get("/pipeline_health/dbt_docs_index.html").status_code == 200
    assert anonymous.get("/pipeline_health/manifest.json").status_code == 200
