# learngraph: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz lint schema migrate seed-demo bench clean

# The install: uv (a wheel from PyPI) downloads and installs the dependencies in
# parallel and compiles no bytecode up front, several times faster than pip. The
# venv is made without pip (seconds saved): uv goes into it with the interpreter's
# own pip where it has one, else with the pip that ensurepip puts into the venv.
# INSTALLER=pip installs everything with pip alone, as does a machine where uv
# cannot be installed or cannot install (pip tries again after uv fails).
INSTALLER ?= uv
VENV_PIP = { $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip >/dev/null; }
PIP_INSTALL = $(VENV_PIP) && echo "$(BIN)/python -m pip install -e '.[dev]'" \
	&& $(BIN)/python -m pip install --quiet --upgrade pip \
	&& $(BIN)/python -m pip install --quiet -e '.[dev]'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	@if [ "$(INSTALLER)" = uv ] && { $(BIN)/uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip --python $(BIN)/python install --quiet uv \
		|| { $(VENV_PIP) && $(BIN)/python -m pip install --quiet uv; }; }; then \
		echo "$(BIN)/uv pip install -e '.[dev]'"; \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]' \
		|| { echo "uv could not install: trying pip"; $(PIP_INSTALL); }; \
	else \
		$(PIP_INSTALL); \
	fi
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/learngraph serve --seed-demo

# One pytest worker per usable core (at most 4); each worker starts its own
# embedded PostgreSQL, so the workers never share a database. Work stealing keeps
# both busy to the end: the few slow tests (subprocess servers) are not left
# queued behind one worker.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4))')

# Bytecode: every Python process of the run (both workers, the servers and commands
# the tests start) reads the modules' compiled code from one cache in the venv, each
# module compiled once, where PYTHONDONTWRITEBYTECODE would have every process compile
# every module it imports (and pytest rewrite every test module) anew.
PYCACHE := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache

test: $(STAMP)
	$(PYCACHE) $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

# The property-based run of tests/fuzz, long: FUZZ_EXAMPLES generated cases per
# operation and variant (plus the coverage phase), a new seed each run unless
# LEARNGRAPH_FUZZ_SEED is set. Its length grows with FUZZ_EXAMPLES (tens of
# minutes on 2 cores at the default).
FUZZ_EXAMPLES ?= 20

fuzz: $(STAMP)
	@seed=$${LEARNGRAPH_FUZZ_SEED:-$$(date +%s)}; echo "fuzz seed: $$seed"; \
	LEARNGRAPH_FUZZ_SEED=$$seed LEARNGRAPH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) LEARNGRAPH_FUZZ_LONG=1 \
	$(PYCACHE) $(BIN)/pytest -q -n $(TEST_WORKERS) tests/fuzz

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
