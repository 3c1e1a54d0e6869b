# The two commands: `make run` serves the app with demo data; `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-clock lint format install clean-db

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

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Without DATABASE_URL the tests use the embedded PostgreSQL, stopped again at the end.
test: lint
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	status=0; CELERY_QUEUE=tests-$$$$ $(BIN)/pytest || status=$$?; \
	  [ -n "$$DATABASE_URL" ] || $(BIN)/python -m recovery_program.embedded_db stop; \
	  exit $$status

# The whole suite again at fixed instants in the program's zone (America/New_York): Monday 3 am, Wednesday noon,
# Sunday 23:59 (already Monday in UTC), and a minute before the clocks go forward and before they go back.
# Each test begins at the instant (`--clock`, tests/conftest.py); a test about a moment of its own travels there.
CLOCKS := 2026-06-08T03:00-04:00 2026-06-10T12:00-04:00 2026-06-14T23:59-04:00 \
          2026-03-08T01:59-05:00 2026-11-01T01:59-04:00

test-clock: $(VENV)/.installed-dev
	status=0; for instant in $(CLOCKS); do \
	  echo "The suite at $$instant:"; \
	  CELERY_QUEUE=tests-$$$$ $(BIN)/pytest -q --clock=$$instant || status=$$?; \
	done; \
	  [ -n "$$DATABASE_URL" ] || $(BIN)/python -m recovery_program.embedded_db stop; \
	  exit $$status

# Removes the embedded database's data (only under var/; never touches DATABASE_URL).
clean-db:
	-$(BIN)/python -m recovery_program.embedded_db stop
	rm -rf var/pgdata
