"""Airflow plugin: the "Pipeline Health" page in the web UI's navigation.

The app lives in pipeline_health.dashboard; this file only registers it. The API server
mounts the FastAPI app at /pipeline-health, and the UI shows it in an iframe at
/plugin/pipeline-health. Plugins load when the API server starts.

"dbt Docs" (Browse menu) is the dbt docs site the same app serves behind the Airflow login
(/pipeline-health/dbt-docs/), shown at /plugin/pipeline-health-dbt-docs; Cosmos's own docs
routes are not enabled (unauthenticated on Airflow 3, see pipeline_health.dashboard.app).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from pipeline_health.dashboard.app import URL_PREFIX, URL_ROUTE, create_app


class PipelineHealthDashboardPlugin(AirflowPlugin):
    name = "pipeline_health_dashboard"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Pipeline Health"}]
    external_views = [{
        "name": "Pipeline Health",
        "href": f"{URL_PREFIX}/",
        "url_route": URL_ROUTE,
        "destination": "nav",
        "category": "Dashboards",
    }, {
        "name": "dbt Docs (Pipeline Health)",
        "href": f"{URL_PREFIX}/dbt-docs/",
        "url_route": f"{URL_ROUTE}-dbt-docs",
        "destination": "nav",
        "category": "Browse",
    }]
