# The README's two commands:
#   make demo   — set up everything and serve the demo shop with the chat at http://127.0.0.1:8000
#   make test   — set up everything and run every check (lint, types, widget, Python on
#                 SQLite and PostgreSQL, browser tests in headless Chromium)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432
CHROMIUM ?= /usr/bin/chromium
export PATH := $(CURDIR)/$(BIN):$(PATH)

help:
	@echo "make demo   # install, migrate, load the demo shops, serve http://127.0.0.1:8000"
	@echo "make test   # install and run every check and test"

# Reinstall only when a requirements file changes.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

widget/node_modules/.installed: widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The demo serves static files as production does (hashed names, gzip/brotli, a year of
# Cache-Control), also with DEBUG on: collected into staticfiles/ first.
DEMO_STATIC := config.static.HashedAlsoInDebugManifestStorage

demo: install
	python manage.py migrate --noinput
	python manage.py load_demo
	STATICFILES_BACKEND=$(DEMO_STATIC) python manage.py collectstatic --noinput --verbosity 0
	@echo
	@echo "  Demo shop: http://127.0.0.1:$${PORT:-8000}   (customer demo@example.com / demo12345, admin admin / admin12345)"
	@echo
	# One worker: without REDIS_URL live events stay inside one process.
	STATICFILES_BACKEND=$(DEMO_STATIC) DEBUG=$${DEBUG:-true} HOST=127.0.0.1 PORT=$${PORT:-8000} WEB_CONCURRENCY=$${WEB_CONCURRENCY:-1} bin/serve

lint: install
	ruff check .
	ruff format --check .
	mypy chatbot

widget-check: widget/node_modules/.installed
	cd widget && npm run lint && npm run typecheck && npm test && npm run check-built

test-sqlite: install
	DATABASE_URL= python -m pytest -m "not browser"

test-postgres: install
	@pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || python -c "import psycopg; psycopg.connect('$(PG_URL)/postgres').close()" \
	  || { echo "PostgreSQL must answer on 127.0.0.1:5432 (see README)"; exit 1; }
	# pytest-django creates test_<name> and drops it afterwards: a throwaway database.
	DATABASE_URL=$(PG_URL)/chatbot_ci_$$$$ CHATBOT_TEST_REDIS_DB_SHIFT=8 python -m pytest -m "not browser" -p no:cacheprovider

# Both database suites side by side: they spend most of their time waiting on live servers
# and sockets, not computing (about 7 minutes each on 2 cores, run one after the other).
# Each has its own Redis databases (tests/support/redisdb.py); output is kept per suite.
test-python: install
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

# The accessibility tests inject axe-core from widget/node_modules.
test-browser: install widget/node_modules/.installed
	@test -x $(CHROMIUM) || { echo "Headless Chromium is needed at $(CHROMIUM): apt-get install -y chromium"; exit 1; }
	DATABASE_URL= CHROMIUM=$(CHROMIUM) python -m pytest -m browser tests/browser tests/security

test: lint widget-check test-python test-browser
	@echo "All checks passed."

.PHONY: help install demo lint widget-check test-sqlite test-postgres test-python test-browser test
