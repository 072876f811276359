# Two commands (see README): `make demo` runs the pipeline end to end on DuckDB,
# `make test` runs the full test suite. Both set up the environment first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIPELINE_HEALTH_STATE_DIR ?= $(CURDIR)/.state
export PIPELINE_HEALTH_DUCKDB_PATH ?= $(PIPELINE_HEALTH_STATE_DIR)/warehouse.duckdb
MANIFEST := dbt/target/manifest.json
DBT_DOCS := dbt/target/index.html
# SQL lint of the dbt project (rules in dbt/.sqlfluff). The warning filter hides Python's
# harmless "leaked semaphore" notice at the end of a multi-process run.
SQLFLUFF_LINT := PYTHONWARNINGS="ignore:resource_tracker:UserWarning" $(BIN)/sqlfluff lint dbt --processes 2
DBT_SOURCES := $(shell find dbt/models dbt/macros dbt/snapshots dbt/tests dbt/seeds -type f 2>/dev/null) dbt/dbt_project.yml

.PHONY: setup demo test lint bench validity lock clean

# uv installs the pinned set (constraints.txt) in seconds where pip took 5-7 minutes on this
# machine; the same packages and versions. Its own pin is in requirements-dev.txt.
UV_PIN := $(shell sed -n 's/^\(uv==[^ ]*\).*/\1/p' requirements-dev.txt)
# --compile-bytecode: uv, unlike pip, writes no .pyc files, and where PYTHONDONTWRITEBYTECODE is
# set (as on this machine) Python writes none either, so every Airflow task, dbt run and DAG
# parse compiled its imports from source again: `import airflow.sdk` took 3-15 s instead of ~1.
UV_INSTALL := $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet '$(UV_PIN)'
	$(UV_INSTALL) -r requirements-dev.txt -c constraints.txt
	$(UV_INSTALL) --no-deps -e .
	touch $(STAMP)

# Cosmos builds the Airflow task graph from this manifest (no `dbt ls` at DAG parse time).
# Its saved parse (partial_parse.msgpack) starts the DAGs' first dbt commands and the CLI's:
# dbt reuses it only for the same --profile, --target, vars and warehouse path, as they pass.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(BIN)/dbt parse --quiet --project-dir dbt --profiles-dir dbt --profile pipeline_health --target duckdb
	touch $(MANIFEST)

# The dbt docs site (index.html + catalog.json beside the manifest), served behind the Airflow
# login by the Pipeline Health plugin at /pipeline-health/dbt-docs/. No warehouse needed:
# --no-compile keeps the parsed manifest, --empty-catalog skips reading table metadata.
$(DBT_DOCS): $(MANIFEST)
	$(BIN)/dbt docs generate --quiet --no-compile --empty-catalog --project-dir dbt --profiles-dir dbt \
		--profile pipeline_health --target duckdb
	touch $(DBT_DOCS)

# This project's own modules, compiled likewise (seconds; Python recompiles any it finds stale).
setup: $(STAMP) $(MANIFEST) $(DBT_DOCS)
	$(BIN)/python -m compileall -q include dags plugins scripts > /dev/null

demo: setup
	$(BIN)/python -m pipeline_health.cli demo

test: setup
	$(BIN)/ruff check .
	$(SQLFLUFF_LINT)
	$(BIN)/hadolint Dockerfile
	bash scripts/install_test_packages.sh
	bash scripts/setup_bq_emulator.sh > /dev/null
	$(BIN)/python -m pytest -n 2 --dist loadscope

lint: setup
	$(BIN)/ruff check .
	$(SQLFLUFF_LINT)

# Every benchmark in one table, written to docs/benchmarks.md (~43 min with three demos and the 100,000-apprentice year on this 2-core machine; BENCH_ARGS=--quick: ~20 min).
bench: setup
	$(BIN)/python scripts/bench_all.py $(BENCH_ARGS)

# Validity and fairness report of the risk score: builds its own warehouses under
# .state/validity (a test seed, equity on/off, the OULAD learners) and writes
# docs/validity.md and docs/validity.png. Pass options with VALIDITY_ARGS="--seed 404".
validity: setup
	$(BIN)/python -m pipeline_health.validity.report $(VALIDITY_ARGS)

lock: setup
	$(BIN)/pip freeze --exclude-editable | sed '1i # Full resolved set for Python 3.11, produced by: pip freeze (see Makefile lock).' > constraints.txt

clean:
	rm -rf .state dbt/target dbt/logs
