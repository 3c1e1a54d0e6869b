# The two commands: `make run` serves the app with demo data; `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format install clean-db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-base: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@ $(VENV)/.installed-base

install: $(VENV)/.installed-base

run: $(VENV)/.installed-base
	bin/run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Without DATABASE_URL the tests use the embedded PostgreSQL, stopped again at the end.
test: lint
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	status=0; CELERY_QUEUE=tests-$$$$ $(BIN)/pytest || status=$$?; \
	  [ -n "$$DATABASE_URL" ] || $(BIN)/python -m recovery_program.embedded_db stop; \
	  exit $$status

# Removes the embedded database's data (only under var/; never touches DATABASE_URL).
clean-db:
	-$(BIN)/python -m recovery_program.embedded_db stop
	rm -rf var/pgdata
