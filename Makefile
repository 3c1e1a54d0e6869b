# The two commands: `make run` serves the app with demo data; `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-clock lint typecheck format install lock clean-db backup restore bench messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The locks (requirements/*.txt) carry a hash for every file: pip installs nothing else.
# local.txt = production's base.txt + the embedded PostgreSQL; dev.txt = local.txt + tests and tools.
$(VENV)/.installed-local: requirements/local.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/local.txt
	touch $@

$(VENV)/.installed-dev: requirements/local.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.installed-local

install: $(VENV)/.installed-local

run: $(VENV)/.installed-local
	bin/run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# mypy's Django plugin imports the settings: give them a database address (never connected to), so that
# checking types starts no embedded PostgreSQL.
typecheck: $(VENV)/.installed-dev
	DEBUG=true SECRET_KEY=typecheck-only DATABASE_URL=postgres://typecheck@127.0.0.1/typecheck $(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-resolves the locks from requirements/*.in after a pin changed there; every other pin stays as it is.
# To move a package on: make lock LOCK_ARGS="--upgrade-package django".
lock: $(VENV)/.installed-dev
	cd requirements && for name in base local dev; do \
	  ../$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	    --custom-compile-command "make lock" $(LOCK_ARGS) $$name.in -o $$name.txt || exit 1; \
	done

# The Spanish catalogue (locale/es/LC_MESSAGES): gathers every marked string, keeps the translations made, and compiles
# it. Needs GNU gettext (Debian: apt-get install gettext). Then translate the new entries in django.po and run it again;
# tests/recovery_program/test_translation.py fails while an entry is untranslated or fuzzy.
MESSAGES_IGNORE := --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --ignore "docs/*" --ignore "staticfiles/*"
# (A database address, never connected to, so that no embedded PostgreSQL starts for it.)
MESSAGES_ENV := DEBUG=true DATABASE_URL=postgres://messages@127.0.0.1/messages
messages: $(VENV)/.installed-dev
	$(MESSAGES_ENV) $(BIN)/python manage.py makemessages --locale es --no-location --no-obsolete $(MESSAGES_IGNORE)
	$(MESSAGES_ENV) $(BIN)/python manage.py compilemessages --locale es $(MESSAGES_IGNORE)

# Without DATABASE_URL the tests use the embedded PostgreSQL, stopped again at the end.
test: lint typecheck
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	status=0; CELERY_QUEUE=tests-$$$$ $(BIN)/pytest || status=$$?; \
	  [ -n "$$DATABASE_URL" ] || $(BIN)/python -m recovery_program.embedded_db stop; \
	  exit $$status

# The whole suite again at fixed instants in the program's zone (America/New_York): Sunday 23:59 (already Monday in
# UTC, the last minute of a week) and 01:59 the night the clocks go forward (early morning, before any 09:20, and the
# hour that does not exist). (An ordinary weekday hour is `make test` itself, at whatever time it runs.) Each test
# begins at the instant (`--clock`, tests/conftest.py); a test about a moment of its own travels there. The first run
# makes the test database; the other reuses it (Django still applies any migration it lacks). Left out: the tests
# that serve the app from other processes, which keep the real time whatever the instant (the benchmark's smoke, two
# web nodes), and the memory measure of a long download. Two instants, not four: the suite takes about 20 minutes a
# run now, and CI must end within 90. The two left out (Monday 3 am, the night the clocks go back) passed in CI on
# 2026-11-30; run them by hand with `pytest --clock=2026-06-08T03:00-04:00` or `--clock=2026-11-01T01:59-04:00`.
CLOCKS := 2026-06-14T23:59-04:00 2026-03-08T01:59-05:00
CLOCK_SKIP := --ignore=tests/workspace/test_bench.py --ignore=tests/recovery_program/test_scale_out.py \
              --ignore=tests/workspace/test_export_memory.py

test-clock: $(VENV)/.installed-dev
	status=0; for instant in $(CLOCKS); do \
	  echo "The suite at $$instant:"; \
	  CELERY_QUEUE=tests-$$$$ $(BIN)/pytest -q --reuse-db $(CLOCK_SKIP) --clock=$$instant || status=$$?; \
	done; \
	  [ -n "$$DATABASE_URL" ] || $(BIN)/python -m recovery_program.embedded_db stop; \
	  exit $$status

# The benchmark (docs/performance.md): the app under gunicorn beside a bare Django project, on a hundredth of a state
# and on a whole state (seed_scale; each database is made and filled once, the state in minutes), tables written
# into docs/performance.md. Needs a PostgreSQL server: BENCH_DATABASE_URL names the databases' prefix.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/recovery_bench
BENCH_ARGS ?=
bench: $(VENV)/.installed-dev
	DATABASE_URL=$(BENCH_DATABASE_URL)_demo $(BIN)/python -m bench.run --seed demo --label demo \
	  --write docs/performance.md $(BENCH_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL)_state $(BIN)/python -m bench.run --seed state --label state \
	  --write docs/performance.md $(BENCH_ARGS)

# The database and the private files in one archive under BACKUP_DIR (var/backups), old ones pruned (README).
backup: $(VENV)/.installed-local
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py backup

# make restore ARCHIVE=var/backups/recovery-backup-....tar: stop web, worker and beat first. Pages and e-mails that
# were waiting at backup time are then held for a supervisor to send or drop.
restore: $(VENV)/.installed-local
	@test -n "$(ARCHIVE)" || { echo "usage: make restore ARCHIVE=path/to/recovery-backup-....tar"; exit 2; }
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py restore "$(ARCHIVE)" --yes
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py hold_after_restore

# Removes the embedded database's data (only under var/; never touches DATABASE_URL).
clean-db:
	-$(BIN)/python -m recovery_program.embedded_db stop
	rm -rf var/pgdata
