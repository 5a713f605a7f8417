# Two commands for a fresh machine with Python 3.11+:
#   make run   - create .venv, install, migrate, load demo data into an empty catalogue, serve on :8000
#                with the background worker that runs large admin imports
#   make test  - run the whole test suite
# Without DATABASE_URL both use an embedded PostgreSQL kept under var/pgdata.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test lint check clean-db

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

run: $(BIN)/.installed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py load_demo_data
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST)

test: $(BIN)/.installed
	DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(BIN)/.installed
	SECRET_KEY=check-only-$$(date +%s)-not-secret-but-long-enough-for-the-deploy-check-xxxxxxxxxx \
		ALLOWED_HOSTS=example.org $(BIN)/python manage.py check --deploy --fail-level WARNING
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

clean-db:
	rm -rf var/pgdata
