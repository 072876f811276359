# Production image: Airflow 3.3 on Python 3.11 with this project's DAGs, package and dbt project.
FROM apache/airflow:3.3.2-python3.11

# The package is installed into site-packages, so it is told where the dbt project and the
# state folder are (its default is relative to its own source folder).
ENV PIPELINE_HEALTH_HOME=/opt/pipeline-health \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/pipeline-health/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/pipeline-health/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PIPELINE_HEALTH_WAREHOUSE=bigquery \
    PIPELINE_HEALTH_DBT_DIR=/opt/pipeline-health/dbt \
    PIPELINE_HEALTH_STATE_DIR=/opt/pipeline-health/.state \
    PIPELINE_HEALTH_DUCKDB_PATH=/opt/pipeline-health/.state/warehouse.duckdb

WORKDIR /opt/pipeline-health

COPY --chown=airflow:root requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY --chown=airflow:root . .
# The package under include/ is imported as `pipeline_health`, as in development and tests.
# The dbt manifest is built here so DAG parsing never runs `dbt ls`, for the BigQuery target the
# image runs (its configs, e.g. insert_overwrite partitions, are BigQuery's). Parsing opens no
# connection: the project id is a placeholder for this step only, the real one comes from the
# environment at run time. The dbt docs site beside it (no warehouse needed) is served behind
# the Airflow login at /pipeline-health/dbt-docs/. tests/test_image_build.py runs these commands.
RUN pip install --no-cache-dir --no-deps . \
    && PIPELINE_HEALTH_BQ_PROJECT=manifest-build dbt parse --project-dir dbt --profiles-dir dbt --target bigquery \
    && PIPELINE_HEALTH_BQ_PROJECT=manifest-build dbt docs generate --no-compile --empty-catalog --project-dir dbt --profiles-dir dbt --target bigquery
