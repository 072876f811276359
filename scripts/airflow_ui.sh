#!/usr/bin/env bash
# Start Airflow's web UI with this repository's DAGs and the local DuckDB warehouse.
# Every part listens on 127.0.0.1 only (`airflow standalone` would expose log servers on
# all interfaces). Ctrl-C stops everything. The set-up (install, settings check, metadata
# database, pool) must succeed first: on any failure it exits non-zero and starts nothing.
# Airflow's home is always inside the state folder, never ~/airflow.
#   PORT (default 8080)               web UI / API server port
#   PIPELINE_HEALTH_STATE_DIR         state folder (default .state): warehouse, Airflow home
#   VENV (default .venv)              virtualenv holding Airflow
#   PIPELINE_HEALTH_SKIP_SETUP=1      skip `make setup` (environment already installed)
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "airflow_ui.sh: $*" >&2; exit 1; }

PORT="${PORT:-8080}"
VENV="${VENV:-.venv}"
export PIPELINE_HEALTH_STATE_DIR="${PIPELINE_HEALTH_STATE_DIR:-$PWD/.state}"
# Set before any Airflow import: an unset AIRFLOW_HOME makes Airflow create ~/airflow.
export AIRFLOW_HOME="$PIPELINE_HEALTH_STATE_DIR/airflow"

if [[ "${PIPELINE_HEALTH_SKIP_SETUP:-}" != 1 ]]; then
  make --no-print-directory setup || fail "make setup failed; nothing started"
fi
# An assignment, so a failed set-up stops here (`eval "$(...)"` would report success).
exports="$("$VENV/bin/python" -m pipeline_health.local.local_airflow)" \
  || fail "local Airflow set-up failed (message above); nothing started"
grep -q '^export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=' <<<"$exports" \
  || fail "the set-up printed no Airflow settings; nothing started"
eval "$(grep '^export ' <<<"$exports")"

home="$(realpath -m "${AIRFLOW_HOME:-}")"
state="$(realpath -m "$PIPELINE_HEALTH_STATE_DIR")"
[[ -n "${AIRFLOW_HOME:-}" && "$home" == "$state"/* ]] \
  || fail "AIRFLOW_HOME='${AIRFLOW_HOME:-}' is not inside the state folder $state; nothing started"

# Local use only: every visitor is an admin. Remove for anything shared (README, Operations).
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS:-True}"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:${PORT}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:${PORT}/execution/"
LOGS="$AIRFLOW_HOME/processes"
mkdir -p "$LOGS"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
"$VENV/bin/airflow" api-server --host 127.0.0.1 --port "$PORT" > "$LOGS/api-server.log" 2>&1 & pids+=($!)
"$VENV/bin/airflow" scheduler --skip-serve-logs > "$LOGS/scheduler.log" 2>&1 & pids+=($!)
"$VENV/bin/airflow" dag-processor > "$LOGS/dag-processor.log" 2>&1 & pids+=($!)
"$VENV/bin/airflow" triggerer --skip-serve-logs > "$LOGS/triggerer.log" 2>&1 & pids+=($!)
echo "Airflow UI: http://127.0.0.1:${PORT}"
echo "Pipeline Health page: http://127.0.0.1:${PORT}/plugin/pipeline-health"
echo "dbt docs: http://127.0.0.1:${PORT}/plugin/pipeline-health-dbt-docs"
echo "(DAGs unpaused; process logs in $LOGS; Ctrl-C stops)"
wait -n "${pids[@]}" || true
fail "an Airflow process exited (logs in $LOGS); stopping the others"
