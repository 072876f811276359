# Production image: Airflow 3.3 on Python 3.11 with this project's DAGs, package and dbt project.
FROM apache/airflow:3.3.2-python3.11

ENV PIPELINE_HEALTH_HOME=/opt/pipeline-health \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/pipeline-health/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/pipeline-health/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PIPELINE_HEALTH_WAREHOUSE=bigquery \
    PIPELINE_HEALTH_DUCKDB_PATH=/opt/pipeline-health/.state/warehouse.duckdb

WORKDIR /opt/pipeline-health

COPY --chown=airflow:root requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY --chown=airflow:root . .
# The package under include/ is imported as `pipeline_health`, as in development and tests.
# The dbt manifest is built here so DAG parsing never runs `dbt ls`.
RUN pip install --no-cache-dir --no-deps . \
    && dbt parse --project-dir dbt --profiles-dir dbt --target duckdb
