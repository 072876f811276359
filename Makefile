# Two commands (see README): `make demo` runs the pipeline end to end on DuckDB,
# `make test` runs the full test suite. Both set up the environment first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIPELINE_HEALTH_STATE_DIR ?= $(CURDIR)/.state

.PHONY: setup demo test lint bench lock clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/python -m pipeline_health.cli demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python scripts/benchmark_simulator.py

lock: setup
	$(BIN)/pip freeze --exclude-editable | sed '1i # Full resolved set for Python 3.11, produced by: pip freeze (see Makefile lock).' > constraints.txt

clean:
	rm -rf .state dbt/target dbt/logs
