# Punchlist: `make demo` to see it work, `make test` to check it, `make bench` to measure it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo's files describe the organization as it stands on this day; judge them as of the same day.
DEMO_AS_OF := 2026-11-23

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	@echo "== punchlist score examples/ridgeline-assessment.csv"
	@$(BIN)/punchlist score examples/ridgeline-assessment.csv
	@echo
	@echo "== punchlist lint examples/ridgeline-poam.csv --as-of $(DEMO_AS_OF)"
	@$(BIN)/punchlist lint examples/ridgeline-poam.csv --as-of $(DEMO_AS_OF); test $$? -le 1

# The PostgreSQL that CI and every developer machine run (trust auth); override to point elsewhere.
TEST_POSTGRESQL ?= postgresql://postgres@127.0.0.1:5432/test

test: install
	$(BIN)/python -m pytest
	PUNCHLIST_DATABASE_URL=$(TEST_POSTGRESQL) $(BIN)/python -m pytest tests/register tests/audit

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
