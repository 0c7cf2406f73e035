# One command each: `make demo` runs the service on the embedded default with demo data,
# `make test` installs what the tests need and runs them. Everything lives in .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
CITY ?= manchester

.PHONY: demo test check lint typecheck translations bench-solomon bench-generated bench-field bench-city bench-sync bench-api bench-kb bench-reports clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

## Run the demo: SQLite file in ./instance, migrations, demo city, in-process worker (CITY=shanghai for Shanghai).
demo: $(VENV)/.installed
	$(BIN)/dispatch demo --city $(CITY)

## Install the test extras, Chromium and the CJK fonts (browser tests), then run the whole suite on both cores
## (the 25 slowest tests are listed at the end: where the suite's time goes).
test: $(VENV)/.installed-test
	@command -v chromium >/dev/null 2>&1 || scripts/install-chromium
	@fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || scripts/install-chromium
	$(BIN)/pytest -n 2 --durations=25 $(PYTEST_ARGS)

## Lint, format check and types (CI runs this too).
check: lint typecheck

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

## Extract every user-facing string, update the catalogs (English source, Simplified Chinese) and compile them.
CATALOGS := dispatch/translations
translations: $(VENV)/.installed
	$(BIN)/pybabel --quiet extract -F babel.cfg -k lazy_ngettext:1,2 --project field-dispatch \
		--copyright-holder "field-dispatch contributors" --width 110 -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel --quiet update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --width 110 \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(CATALOGS) --statistics

bench-solomon: $(VENV)/.installed
	$(BIN)/python -m optimizer.bench solomon --time-limit 10

bench-generated: $(VENV)/.installed
	$(BIN)/python -m optimizer.bench generated --time-limit 60

bench-field: $(VENV)/.installed
	$(BIN)/python -m optimizer.bench field --time-limit 60 --city $(CITY)

bench-city: $(VENV)/.installed
	$(BIN)/python -m optimizer.bench city --city $(CITY)

## Replay 1,000 queued PWA actions (200 photos) against gunicorn: time and server memory.
bench-sync: $(VENV)/.installed
	$(BIN)/python -m api.bench_sync

## The busiest API endpoints on gunicorn + PostgreSQL + Redis beside a Flask hello-world (see README, API speed).
bench-kb: $(VENV)/.installed
	$(BIN)/python -m dispatch.kb.bench
	$(BIN)/python -m dispatch.kb.bench --database-url $${DISPATCH_BENCH_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

bench-reports: $(VENV)/.installed
	$(BIN)/python -m dispatch.reports.bench $(BENCH_ARGS)

bench-api: $(VENV)/.installed
	$(BIN)/python -m api.bench_api $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .mypy_cache .ruff_cache
