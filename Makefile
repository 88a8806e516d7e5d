# Solidarity Node — the two commands of the quick start, and a few more.
#   make run    install, initialise, load demo data, serve at http://$(HOST):$(PORT)
#               (HOST=127.0.0.1 PORT=8000 by default: `make run PORT=8123`; the node's ids are
#               made with this address, so keep it, or move a node that never federated with
#               `solnode rebase NEW_BASE_URL`); BASE_URL=https://… (or SOLNODE_BASE_URL in the
#               environment) when the public address is not http://$(HOST):$(PORT)
#   make test   install, then ruff, mypy and the whole pytest suite (SQLite and PostgreSQL), in
#               4 pytest-xdist processes (PYTEST_WORKERS=0: one process)
#   make test-fast  the edit loop: ruff, mypy, then tests/unit and tests/db on SQLite only
#   make bench  every bench/bench_*.py (installs wrk when missing); figures in docs/benchmarks.md
#   make system-deps  the programs the deploy tests run (caddy, nginx, systemd-analyze): installs
#               them with apt-get when run as root on Debian/Ubuntu, else says what to install
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast install lint typecheck pytest bench clean system-deps messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# init, demo and serve agree on one base URL, so the ids stored by the first two are served.
BASE_URL ?= $(or $(SOLNODE_BASE_URL),http://$(HOST):$(PORT))

run: $(STAMP)
	SOLNODE_BASE_URL=$(BASE_URL) $(BIN)/solnode init
	SOLNODE_BASE_URL=$(BASE_URL) $(BIN)/solnode demo
	SOLNODE_BASE_URL=$(BASE_URL) $(BIN)/solnode serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check node tests bench
	$(BIN)/ruff format --check node tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# PROGRAM:PACKAGE pairs (Debian/Ubuntu package names) the test suite runs: Debian's Chromium
# and its driver for the browser tests, npm for axe-core and the Fedify peer, and the programs
# that validate deploy/. Installed when missing (Debian/Ubuntu as root), else named.
SYSTEM_DEPS := chromium:chromium chromedriver:chromium-driver npm:npm \
	caddy:caddy nginx:nginx-light systemd-analyze:systemd
AXE := tests/browser/node_modules/axe-core/axe.min.js

system-deps:
	sh tools/ensure-system-packages.sh $(SYSTEM_DEPS)

$(AXE): tests/browser/package.json tests/browser/package-lock.json | system-deps
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $(AXE)

# pytest-xdist: PYTEST_WORKERS processes. On 2 cores the suite used ~14 CPU-minutes of its 28
# serial minutes (the rest is waiting on node processes, sockets, PostgreSQL), so more workers
# than cores pay; tests/unit and tests/browser alone gain as much from 2 as from 4. loadfile keeps a file's tests, and so its module-scoped
# browser and nodes, in one worker. --no-loadscope-reorder: files go out in collection order,
# slowest folders first (tests/conftest.py), not sorted by test count, which left the few long
# integration and browser files for last. `make pytest PYTEST_WORKERS=0`: one process.
PYTEST_WORKERS ?= 4
XDIST := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

pytest: $(STAMP) system-deps $(AXE)
	$(BIN)/pytest -q $(XDIST)

test: lint typecheck pytest

# Markers come from the folders (tests/conftest.py); PostgreSQL and real node processes wait for `make test`.
test-fast: lint typecheck
	$(BIN)/pytest -q $(XDIST) -m "unit or db" -k "not postgresql"

# Gather the strings marked for translation (node/, templates/) into node/locale/messages.pot and
# merge them into each language's messages.po; translate the new entries there.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o node/locale/messages.pot --no-location --sort-output \
	  --project "Solidarity Node" --copyright-holder "Solidarity Node contributors" .
	$(BIN)/pybabel update -i node/locale/messages.pot -d node/locale --no-fuzzy-matching \
	  --ignore-obsolete --width 100

# The benchmarks drive servers with Debian's wrk from a separate process (bench/inbox_load.py).
bench: $(STAMP)
	sh tools/ensure-system-packages.sh wrk:wrk
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info tests/browser/node_modules test-artifacts
