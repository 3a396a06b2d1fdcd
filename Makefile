# fraudbrain — `make help` lists the targets. Everything runs in ./.venv, built from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced

# The demo: simulated sources under ./data, the published warehouse in ./data/warehouse.
DATA ?= data
DAYS ?= 30
SCALE ?= 1
SEED ?= 42
export FRAUDBRAIN_LANDING ?= $(DATA)/landing
export FRAUDBRAIN_POLICE_URL ?= sqlite:///$(DATA)/police.db
export FRAUDBRAIN_WORK_DIR ?= $(DATA)/work
export FRAUDBRAIN_WAREHOUSE ?= $(DATA)/warehouse/fraudbrain.duckdb
export PREFECT_HOME ?= $(CURDIR)/$(DATA)/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.DEFAULT_GOAL := help
.PHONY: help setup run test test-slow bench detection lint fmt clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml uv.lock
	@command -v $(PYTHON) >/dev/null || { echo "fraudbrain needs $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv sync --frozen --extra dev --inexact --python $(BIN)/python
	@touch $@

setup: $(STAMP) ## create .venv with the locked dependencies

run: setup ## the demo end to end: simulate the sources (once), run the pipeline, publish the warehouse
	@if [ ! -f $(DATA)/truth/world.json ]; then \
	  $(BIN)/fraudbrain simulate --landing $(FRAUDBRAIN_LANDING) --police-url $(FRAUDBRAIN_POLICE_URL) \
	    --truth $(DATA)/truth --days $(DAYS) --scale $(SCALE) --seed $(SEED); fi
	$(BIN)/fraudbrain run --demo

test: setup ## run the test suite (the quick default set; CI runs this)
	$(BIN)/pytest

test-slow: setup ## run the slow tests too
	$(BIN)/pytest -m "slow or not slow"

BENCH_SCALES ?= 1 10 30
bench: setup ## benchmark: simulate + plain-load baseline + pipeline per scale → bench/RESULTS.md, bench/results/
	$(BIN)/python -m bench.run --scales $(BENCH_SCALES) --days $(DAYS)

WORLD_SET ?= all
detection: setup ## detection quality on the tuning and held-out worlds (WORLD_SET=tuning|held-out|all) → bench/DETECTION.md
	$(BIN)/python -m bench.detection --set $(WORLD_SET) --days $(DAYS)

lint: setup ## ruff (check, format), the generated identifier macros up to date, sqlfluff (core rules) on every dbt model; CI runs this
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m rules.sql_macros --check
	$(BIN)/sqlfluff lint --processes 2 dbt_project/models

fmt: setup ## format Python
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## remove the demo data (not the venv)
	rm -rf $(DATA)
