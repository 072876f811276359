"""The FastAPI app behind the "Pipeline Health" page of the Airflow UI (plugins/ mounts it).

Every route requires an authenticated Airflow user: the UI's cookie authenticates the
page in its iframe, and a request without a token gets 401. Coach, week and filters are
query parameters, so a link (e.g. from a coach's email) opens the page on them.

`/dbt-docs/` serves the dbt docs site built at set-up (`dbt docs generate`: dbt/target's
index.html, manifest.json, catalog.json), read-only and behind the same login. Cosmos's own
docs plugin is not used: on Airflow 3 its routes (/cosmos/<project>/...) are mounted without
any authentication, so anyone who can reach the API server could read the project.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from airflow.api_fastapi.core_api.security import requires_authenticated
from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from pipeline_health.dashboard import URL_PREFIX, URL_ROUTE, views
from pipeline_health.dashboard.reader import NotPublished, Reader, reader_from_settings
from pipeline_health.dashboard.templates import environment

log = logging.getLogger(__name__)
__all__ = ["AUTHENTICATED", "URL_PREFIX", "URL_ROUTE", "create_app"]

# Kept as one object so tests can override exactly this dependency.
AUTHENTICATED = requires_authenticated()

TABS = (
    ("caseload", "Coach caseload", "./", views.caseload),
    ("trends", "Programme trends", "trends", views.trends),
    ("equity", "Equity lens", "equity", views.equity),
    ("pipeline", "Pipeline", "pipeline", views.pipeline),
)
# No script, no outside request: everything the page needs is in the response.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
    "Cache-Control": "no-store",  # names of apprentices: never keep them in a shared cache
    "X-Content-Type-Options": "nosniff",
}
# The dbt docs site is a script application (AngularJS, inline): scripts and styles of its own
# page only, data fetched from this origin (manifest.json, catalog.json), nothing from outside
# (its usage tracker is blocked too).
_DOCS_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                               "img-src 'self' data:; font-src data:; connect-src 'self'; "
                               "form-action 'none'; frame-ancestors 'self'; base-uri 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
DOCS_FILES = {"index.html": "text/html; charset=utf-8", "manifest.json": "application/json",
              "catalog.json": "application/json"}
DOCS_NOT_BUILT = ("The dbt docs are not built. Build them with `make setup` (locally) or "
                  "`dbt docs generate --no-compile --empty-catalog --project-dir dbt --profiles-dir dbt` "
                  "(the image's build does it).")
NOT_PUBLISHED = ("No data published yet. The last task of each daily and weekly pipeline run "
                 "publishes it; to publish now: python -m pipeline_health.dashboard.publish")


def default_docs_dir() -> Path:
    from pipeline_health.dbt_cli import DBT_PROJECT_DIR

    return DBT_PROJECT_DIR / "target"


def create_app(reader_factory: Callable[[], Reader] = reader_from_settings,
               docs_dir: Path | None = None) -> FastAPI:
    docs_dir = docs_dir or default_docs_dir()
    app = FastAPI(title="Pipeline Health", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(AUTHENTICATED)])
    env = environment()
    for tab, _, _, _ in TABS:  # compile now (~70 ms), not on the first visitor's request
        env.get_template(f"{tab}.html")

    def render(tab: str, filters: views.Filters) -> HTMLResponse:
        view = next(v for key, _, _, v in TABS if key == tab)
        status, ctx = 200, {"notices": []}
        reader = None
        try:
            reader = reader_factory()
            ctx = view(reader, filters)
            ctx["published_at"] = reader.published_at()
        except NotPublished:
            ctx["not_built"] = NOT_PUBLISHED
        except Exception:  # the page says so instead of a bare 500; details go to the log
            log.exception("Pipeline Health page %s failed", tab)
            status, ctx = 500, {"notices": [], "error": "The page could not read the dashboard data; "
                                                        "the API server log has the details."}
        finally:
            if reader is not None:
                reader.close()
        if filters.bad_week:
            ctx["notices"].insert(0, f"Week {filters.bad_week!r} is not a date (YYYY-MM-DD).")
        week = ctx.get("week")
        keep = {"week": week.isoformat()} if week is not None and tab in ("caseload", "equity") else {}
        tabs = [(key, label, _href(href, keep if key in ("caseload", "equity") else {}))
                for key, label, href, _ in TABS]
        html = env.get_template(f"{tab}.html").render(tab=tab, tabs=tabs, title=_title(tab), **ctx)
        return HTMLResponse(html, status_code=status, headers=_HEADERS)

    @app.get("/", response_class=HTMLResponse)
    def caseload(week: str | None = None, coach: str | None = None, programme: str | None = None,
                 cohort: str | None = None) -> HTMLResponse:
        return render("caseload", views.Filters.parse(week, coach, programme, cohort))

    @app.get("/trends", response_class=HTMLResponse)
    def trends(programme: str | None = None, cohort: str | None = None) -> HTMLResponse:
        return render("trends", views.Filters.parse(None, None, programme, cohort))

    @app.get("/equity", response_class=HTMLResponse)
    def equity(week: str | None = None, programme: str | None = None) -> HTMLResponse:
        return render("equity", views.Filters.parse(week, None, programme, None))

    @app.get("/pipeline", response_class=HTMLResponse)
    def pipeline() -> HTMLResponse:
        return render("pipeline", views.Filters())

    def docs_file(name: str) -> Response:
        path = docs_dir / name  # one of DOCS_FILES: nothing from the request reaches the path
        if not path.is_file():
            return HTMLResponse(f"<p>{DOCS_NOT_BUILT}</p>", status_code=404, headers=_HEADERS)
        return FileResponse(path, media_type=DOCS_FILES[name], headers=_DOCS_HEADERS)

    @app.get("/dbt-docs", include_in_schema=False)
    def dbt_docs_slash() -> RedirectResponse:
        return RedirectResponse("dbt-docs/", headers=_HEADERS)

    @app.get("/dbt-docs/")
    def dbt_docs() -> Response:
        return docs_file("index.html")

    @app.get("/dbt-docs/manifest.json")
    def dbt_docs_manifest() -> Response:
        return docs_file("manifest.json")

    @app.get("/dbt-docs/catalog.json")
    def dbt_docs_catalog() -> Response:
        return docs_file("catalog.json")

    return app


def _href(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _title(tab: str) -> str:
    return next(label for key, label, _, _ in TABS if key == tab)
