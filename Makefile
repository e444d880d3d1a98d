# Masthead: `make demo` serves the demo outlet, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip and setuptools are pinned too: the project's metadata (an SPDX licence string)
# needs setuptools 77 or later, newer than the one a Python 3.11 venv starts with.
BOOTSTRAP := pip==26.3 setuptools==84.2.1

.PHONY: demo test install lint format lock clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Masthead needs Python 3.11 ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade $(BOOTSTRAP)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/masthead demo

# Browser tests run when /usr/bin/chromium exists and are skipped, with the reason, when not.
# They run in a pytest session of their own: they are transactional (the live server is
# another thread), and after ordinary database tests in the same session Django's
# serialized rollback no longer restores the migrations' rows between them.
# BROWSER_TESTS=0 leaves them out: CI runs them once, on SQLite, since what a reader clicks
# through is the same on either database, and runs everything else on both.
BROWSER_TESTS ?= 1
test: install
	MASTHEAD_TESTING=1 $(BIN)/python -m pytest --ignore=tests/browser $(PYTEST_ARGS)
	@if [ "$(BROWSER_TESTS)" = 0 ]; then echo "Browser tests left out (BROWSER_TESTS=0)"; \
	else MASTHEAD_TESTING=1 $(BIN)/python -m pytest tests/browser $(PYTEST_ARGS); fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	MASTHEAD_DATA_DIR=$(CURDIR)/var/lint $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every dependency from pyproject.toml into requirements.lock.
lock:
	rm -rf var/lock-venv
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet --upgrade $(BOOTSTRAP)
	var/lock-venv/bin/pip install --quiet ".[test]"
	{ echo "# Pinned dependencies for Masthead (Python 3.11). Regenerate with: make lock"; \
	  var/lock-venv/bin/pip freeze --exclude-editable | grep -v '^masthead'; } > requirements.lock
	rm -rf var/lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
