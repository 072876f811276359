#!/usr/bin/env bash
# Set up the local BigQuery emulator (bqemulator) used by tests/test_bigquery_loader.py.
#
# It lives in its own virtualenv because it pins duckdb 1.5.5, which conflicts with the
# project's duckdb. Its DuckDB extensions (spatial, required; avro, optional) are installed
# once from their registry wheels' files under a scratch HOME: otherwise the emulator tries
# to download them at start-up, and without spatial it dies (this machine reaches no
# extension repository). numpy is needed by its built-in UDFs but is not a declared
# dependency.
#
# Idempotent: does nothing when the stamp matches the pins below. Prints the venv path on stdout.
#   PIPELINE_HEALTH_STATE_DIR   where state lives (default: <repo>/.state)
#   PYTHON                      interpreter for the venv (default: python3.11)
# The emulator must then run with HOME="$PIPELINE_HEALTH_STATE_DIR/bqemu-home".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${PIPELINE_HEALTH_STATE_DIR:-$ROOT/.state}"
case "$STATE_DIR" in /*) ;; *) STATE_DIR="$ROOT/$STATE_DIR" ;; esac
VENV="$STATE_DIR/bqemu-venv"
EMU_HOME="$STATE_DIR/bqemu-home"
STAMP="$VENV/.installed"
LOG="$STATE_DIR/bqemu-setup.log"
PYTHON="${PYTHON:-python3.11}"

BQEMULATOR_VERSION="1.4.0"
DUCKDB_VERSION="1.5.5"
NUMPY_VERSION="2.4.6"  # same as the project's pin
# The full resolved set (pip freeze of a working install), so every machine gets the
# same emulator. To upgrade: change the versions above, empty this list, run the
# script, run the tests, and paste the new venv's `pip freeze` here.
CONSTRAINTS="$(cat <<'PINS'
alembic==1.20.1
annotated-doc==0.0.7
annotated-types==0.8.0
anyio==4.16.0
asgiref==3.13.0
bqemulator==1.4.0
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.2
click==8.5.1
cryptography==50.0.2
duckdb==1.5.5
duckdb_extension_avro==1.5.5
duckdb_extension_spatial==1.5.5
fastapi==0.165.0
fastavro==1.13.1
google-api-core==2.44.0
google-auth==2.63.0
google-cloud-bigquery-storage==2.43.0
googleapis-common-protos==1.76.0
grpcio==1.85.3
grpcio-health-checking==1.80.1
grpcio-status==1.85.3
grpcio-tools==1.80.1
h11==0.16.0
httpcore==1.0.9
httptools==0.9.0
httpx==0.28.1
idna==3.20
Mako==1.4.3
MarkupSafe==3.0.4
numpy==2.4.6
opentelemetry-api==1.45.2
opentelemetry-exporter-http-transport==0.66b2
opentelemetry-exporter-otlp==1.45.2
opentelemetry-exporter-otlp-common==0.66b2
opentelemetry-exporter-otlp-proto-common==1.45.2
opentelemetry-exporter-otlp-proto-grpc==1.45.2
opentelemetry-exporter-otlp-proto-http==1.45.2
opentelemetry-instrumentation==0.66b2
opentelemetry-instrumentation-asgi==0.66b2
opentelemetry-instrumentation-fastapi==0.66b2
opentelemetry-instrumentation-grpc==0.66b2
opentelemetry-proto==1.45.2
opentelemetry-sdk==1.45.2
opentelemetry-semantic-conventions==0.66b2
opentelemetry-util-http==0.66b2
orjson==3.13.0
packaging==26.3
prometheus_client==0.26.0
proto-plus==1.29.0
protobuf==6.33.6
pyarrow==26.0.1
pyasn1==0.6.5
pyasn1_modules==0.4.2
pycparser==3.12
pydantic==2.14.4
pydantic-settings==2.16.3
pydantic_core==2.50.5
PyJWT==2.15.1
python-dotenv==1.2.4
pytz==2026.6
PyYAML==6.0.4
requests==2.34.2
SQLAlchemy==2.1.9
sqlglot==30.11.0
starlette==1.10.0
structlog==26.1.0
typing-inspection==0.4.5
typing_extensions==4.16.0
urllib3==2.8.0
uvicorn==0.54.0
uvloop==0.23.0
watchfiles==1.3.0
websockets==17.4
wrapt==2.5.2
PINS
)"
# The stamp holds a digest of what was installed: changing a pin rebuilds the venv.
WANT="$(printf '%s\n' "$BQEMULATOR_VERSION" "$DUCKDB_VERSION" "$NUMPY_VERSION" "$CONSTRAINTS" \
    | sha256sum | cut -d' ' -f1)"

installed() { [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; }

if installed; then
    echo "$VENV"
    exit 0
fi

mkdir -p "$STATE_DIR"
# Two test runs sharing a state folder must not build the venv at the same time.
exec 9>"$STATE_DIR/bqemu-setup.lock"
flock 9
if installed; then
    echo "$VENV"
    exit 0
fi
# No stamp means an earlier run did not finish: start again from nothing.
rm -rf "$VENV" "$EMU_HOME"
mkdir -p "$EMU_HOME"
echo "setting up the BigQuery emulator in $VENV (log: $LOG)" >&2
"$PYTHON" -m venv "$VENV"
printf '%s\n' "$CONSTRAINTS" >"$STATE_DIR/bqemu-constraints.txt"
# The project's uv (make setup) when there is one: seconds instead of minutes; pip otherwise.
if [[ -x "$ROOT/.venv/bin/uv" ]]; then
    INSTALL=("$ROOT/.venv/bin/uv" pip install --python "$VENV/bin/python")
else
    INSTALL=("$VENV/bin/python" -m pip install)
fi
if ! "${INSTALL[@]}" -c "$STATE_DIR/bqemu-constraints.txt" \
        "bqemulator==$BQEMULATOR_VERSION" \
        "duckdb==$DUCKDB_VERSION" \
        "duckdb-extension-spatial==$DUCKDB_VERSION" \
        "duckdb-extension-avro==$DUCKDB_VERSION" \
        "numpy==$NUMPY_VERSION" >"$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2
    echo "installing the BigQuery emulator failed (full log: $LOG)" >&2
    exit 1
fi

HOME="$EMU_HOME" "$VENV/bin/python" - <<'EOF' >&2
import pathlib

import duckdb
import duckdb_extension_avro
import duckdb_extension_spatial

con = duckdb.connect()
for name, pkg in (("spatial", duckdb_extension_spatial), ("avro", duckdb_extension_avro)):
    files = sorted(pathlib.Path(pkg.__file__).parent.rglob(f"{name}.duckdb_extension"))
    if not files:
        raise SystemExit(f"no {name}.duckdb_extension file in {pkg.__file__}")
    con.execute(f"INSTALL '{files[0]}'")
    con.execute(f"LOAD {name}")
    print(f"duckdb extension {name} installed from {files[0]}")
EOF

printf '%s' "$WANT" >"$STAMP"
echo "$VENV"
