"""The "Pipeline Health" page inside the Airflow web UI: coach caseload, programme trends,
equity lens and pipeline health, read from the dbt marts.

Modules: `queries` (every SQL statement, DuckDB and BigQuery), `reader` (runs them),
`publish` (the read-only copy the page reads locally), `views` (what each tab shows),
`charts` (inline SVG), `templates` (Jinja, autoescaped), `app` (the FastAPI app that
plugins/pipeline_health_dashboard.py mounts).

Concurrency on DuckDB (one writer per file). Options considered:
* open the warehouse read-only per request: fails with a lock error whenever a DAG task
  writes, and while the page holds the file a DAG task cannot open it for writing;
* retry around the lock: the page stalls for the length of a dbt model build;
* **publish a copy (chosen)**: the last task of each daily and weekly DAG run, in the
  one-slot writer pool, copies the tables the page reads into
  `$PIPELINE_HEALTH_STATE_DIR/dashboard/published.duckdb` (temp file, then `os.replace`,
  atomic), and the page opens that file read-only per request. The page never touches
  the warehouse file, so it serves during a DAG run and never blocks one; it shows the
  data as of the last finished run, which is when the marts are consistent anyway
  (a half-built weekly run is never shown). Cost: one copy per run (about a second on
  the demo's warehouse) and a second file of a few MB.
On BigQuery there is no writer lock: the page runs the same queries on the marts datasets.
"""

# Where the Airflow API server mounts the app, and the UI route that shows it in an iframe
# (/plugin/<URL_ROUTE>). Here, not in app.py, so callers need not import Airflow.
URL_PREFIX = "/pipeline-health"
URL_ROUTE = "pipeline-health"
