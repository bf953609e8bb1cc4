# learngraph: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint schema migrate seed-demo bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/learngraph serve --seed-demo

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

schema: $(STAMP)
	$(BIN)/learngraph export-schema > schema.graphql

migrate: $(STAMP)
	$(BIN)/learngraph migrate

seed-demo: $(STAMP)
	$(BIN)/learngraph seed-demo

bench: $(STAMP)
	$(BIN)/python bench/auth_load.py

clean:
	rm -rf $(VENV) .data
