# 职工互助保障管理系统 — `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-dev browser-deps lint check migrations-check bench clean stack stack-smoke backup-drill

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Chromium and Chinese fonts for the browser tests come from Debian's packages.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "系统已启动：http://127.0.0.1:$(PORT)/  （后台：http://127.0.0.1:$(PORT)/staff/login/）"
	STAFF_TOTP_REQUIRED=$${STAFF_TOTP_REQUIRED:-false} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install browser-deps
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check zghz bench deploy
	$(BIN)/mypy zghz

# The production stack on this machine (gunicorn, Celery worker and beat, S3-protocol server) against
# the local PostgreSQL and Redis; `stack-smoke` runs the end-to-end smoke through it and stops it.
stack: install
	deploy/stack start

stack-smoke: install
	deploy/stack smoke

# The smoke, then back up (deploy/backup), wipe, restore (deploy/restore) and verify (deploy/drill.py).
backup-drill: install
	deploy/stack drill

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var staticfiles screenshots
