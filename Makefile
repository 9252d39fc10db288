# Mourafaka: `make run` sets everything up and serves; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run setup install messages compile-messages migrate reference demo serve test test-postgres e2e lint format check-migrations bench load-test clean

run: setup serve

setup: install compile-messages migrate reference demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

compile-messages: install
	$(VENV)/bin/pybabel compile --domain django --directory mourafaka/locale --statistics

messages: install  ## refresh the .po files from the code (needs GNU gettext)
	$(PY) manage.py makemessages --locale fr --locale ar --locale en --no-obsolete --ignore ".venv/*" --ignore "var/*" --ignore "e2e/*" --ignore "bench/*"

migrate: install
	$(PY) manage.py migrate --noinput

reference: install
	$(PY) manage.py load_reference

demo: install
	$(PY) manage.py load_demo

serve: install
	@echo "Serving on http://$(HOST):$(PORT)/ (background jobs run beside it). Ctrl-C stops both."
	@$(PY) manage.py db_worker --queue-name default > var/worker.log 2>&1 & \
	  worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

test: install compile-messages
	MOURAFAKA_TESTING=1 $(VENV)/bin/pytest -q -n 2 --dist loadfile -m "not e2e"

e2e: install compile-messages
	MOURAFAKA_TESTING=1 $(VENV)/bin/pytest -q -m e2e mourafaka e2e

load-test: install  ## 100 users for 2 minutes on gunicorn + PostgreSQL with the national registry
	$(PIP) install --quiet -e ".[load]"
	$(PY) bench/load/run.py

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var
