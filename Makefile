# Every target creates or reuses .venv and installs what it needs, so each is the
# only command needed on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DURATION ?= 60
DATA_DIR ?= demo-data
PYTEST_ARGS ?=

.PHONY: demo test lint proto bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pantau-collector demo --duration $(DURATION) --data-dir $(DATA_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check agent collector proto/pantau/core tests bench
	$(BIN)/ruff format --check agent collector proto/pantau/core tests bench
	$(BIN)/mypy

proto: $(STAMP)
	PATH=$(BIN):$$PATH proto/genproto.sh

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
