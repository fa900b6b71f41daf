# Punchlist: `make demo` to see it work, `make test` to check it, `make bench` to measure it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-year-ahead bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The demo organization (src/punchlist/examples/ridgeline-*.csv and four months of history) in ./data/demo, served on
# http://127.0.0.1:$(DEMO_PORT)/; it prints the sign-ins. Delete data/demo to start over.
DEMO_PORT ?= 8000

demo: install
	@$(BIN)/punchlist demo --data-dir data/demo --port $(DEMO_PORT)

# The PostgreSQL that CI and every developer machine run (trust auth); override to point elsewhere.
TEST_POSTGRESQL ?= postgresql://postgres@127.0.0.1:5432/test

# Everything that touches the database runs a second time on PostgreSQL.
DATABASE_TESTS := tests/register tests/audit tests/rhythm tests/web tests/reports tests/api

test: install
	$(BIN)/python -m pytest
	PUNCHLIST_DATABASE_URL=$(TEST_POSTGRESQL) $(BIN)/python -m pytest $(DATABASE_TESTS)

# The tests pin Python's clock (src/punchlist/pytest_plugin.py); this runs them with the machine's clock a year
# ahead (Debian's faketime, libfaketime), so that a test reading the clock where the pin cannot reach (a
# subprocess, SQLite's own functions) fails the day it is written. .ci/run runs it after `make test`. The slow
# release test is left out: it reads no clock, and a package index's TLS certificate is not valid a year ahead.
YEAR_AHEAD ?= +365d

test-year-ahead: install
	@command -v faketime >/dev/null || { echo "faketime is missing: apt-get install faketime"; exit 1; }
	faketime -f '$(YEAR_AHEAD)' $(BIN)/python -m pytest -q --ignore=tests/browser -m 'not slow'

# Every benchmark runs, then one table of every target, met and missed (benchmarks/all.py); it exits non-zero
# only after that table.
bench: install
	$(BIN)/python -m benchmarks.all

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
