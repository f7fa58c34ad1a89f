# FTU Hub — the two commands: `make run` (demo) and `make test` (whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Re-install only when the dependency files change.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt 2>/dev/null | sha1sum | cut -c1-10)

.PHONY: run test install lint format migrate seed messages bench clean

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo ""
	@echo "  FTU Hub demo: http://$(HOST):$(PORT)/   (demo logins: see README.md or above)"
	@echo ""
	$(BIN)/daphne -b $(HOST) -p $(PORT) ftu.asgi:application

# Runs on the embedded default; with DATABASE_URL and REDIS_URL set, on PostgreSQL + Redis.
# Two workers (pytest-xdist) by default; PYTEST_ARGS= runs in one process.
PYTEST_ARGS ?= -n 2
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	$(BIN)/python manage.py makemessages -l hi --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench --ignore=deploy
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=staticfiles

# Each benchmark prints its own figures; bench/README.md says how to read them.
bench: install
	@for script in bench/*.py; do echo "==> $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
