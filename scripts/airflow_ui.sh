#!/usr/bin/env bash
# Start Airflow's web UI with this repository's DAGs and the local DuckDB warehouse.
# Every part listens on 127.0.0.1 only (`airflow standalone` would expose log servers on
# all interfaces). Ctrl-C stops everything.
#   PORT (default 8080)   web UI / API server port
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory setup
PORT="${PORT:-8080}"
eval "$(.venv/bin/python -m pipeline_health.local_airflow | grep "^export ")"
# Local use only: every visitor is an admin. Remove for anything shared.
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS:-True}"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:${PORT}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:${PORT}/execution/"
LOGS="$PIPELINE_HEALTH_STATE_DIR/airflow/processes"
mkdir -p "$LOGS"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
.venv/bin/airflow api-server --host 127.0.0.1 --port "$PORT" > "$LOGS/api-server.log" 2>&1 & pids+=($!)
.venv/bin/airflow scheduler --skip-serve-logs > "$LOGS/scheduler.log" 2>&1 & pids+=($!)
.venv/bin/airflow dag-processor > "$LOGS/dag-processor.log" 2>&1 & pids+=($!)
.venv/bin/airflow triggerer --skip-serve-logs > "$LOGS/triggerer.log" 2>&1 & pids+=($!)
echo "Airflow UI: http://127.0.0.1:${PORT}  (process logs in $LOGS; Ctrl-C stops)"
wait
