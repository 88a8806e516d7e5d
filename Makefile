# Solidarity Node — the two commands of the quick start, and a few more.
#   make run    install, initialise, load demo data, serve at http://127.0.0.1:8000
#   make test   install, then ruff, mypy and the whole pytest suite (SQLite and PostgreSQL)
#   make test-fast  the edit loop: ruff, mypy, then tests/unit and tests/db on SQLite only
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast install lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/solnode init
	$(BIN)/solnode demo
	$(BIN)/solnode serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check node tests bench
	$(BIN)/ruff format --check node tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# Markers come from the folders (tests/conftest.py); PostgreSQL and real node processes wait for `make test`.
test-fast: lint typecheck
	$(BIN)/pytest -q -m "unit or db" -k "not postgresql"

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
