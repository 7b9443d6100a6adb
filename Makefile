# 职工互助保障管理系统 — `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-dev browser-deps lint check migrations-check bench clean stack stack-smoke backup-drill fault-drill security deploy-check audit

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
	@echo "系统已启动：http://127.0.0.1:$(PORT)/  （后台：http://127.0.0.1:$(PORT)/staff/login/；会员手机端：http://127.0.0.1:$(PORT)/m/）"
	STAFF_TOTP_REQUIRED=$${STAFF_TOTP_REQUIRED:-false} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install browser-deps
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check zghz bench deploy
	$(BIN)/mypy zghz

# bandit: every finding in the application is fixed or justified inline (# nosec with the reason). The
# operator scripts (deploy/, bench/) run fixed commands (pg_dump, psql, this Python) with argument
# lists and make synthetic data with seeded random numbers, so those checks are off for them only.
security: install
	$(BIN)/bandit -q -c pyproject.toml -r zghz
	$(BIN)/bandit -q -c pyproject.toml -r deploy bench --skip B101,B311,B404,B603,B607

# Django's deployment checks against production settings (throwaway secrets; nothing is connected to).
deploy-check: install
	@S=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))'); \
	env ZGHZ_MODE=production SECRET_KEY=$$S FIELD_ENCRYPTION_KEY=$$S-field FIELD_INDEX_KEY=$$S-index \
	  DATABASE_URL=postgres://zghz@127.0.0.1:5432/zghz REDIS_URL=redis://127.0.0.1:6379/0 \
	  ALLOWED_HOSTS=zghz.example.gov.cn S3_BUCKET=zghz-files S3_ENDPOINT_URL=https://oss.example.gov.cn \
	  S3_ACCESS_KEY=check S3_SECRET_KEY=check SMS_BACKEND=http SMS_HTTP_URL=https://sms.example.gov.cn/send \
	  SMS_HTTP_SECRET=check METRICS_TOKEN=$$S-metrics \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

# Known vulnerabilities in the pinned dependencies. Needs a network that reaches an advisory service
# (PyPI's JSON API / OSV); CI's package mirror serves no advisory data, so CI does not run it.
audit: install
	$(BIN)/pip-audit --strict --disable-pip --no-deps -r requirements.lock

# The production stack on this machine (gunicorn, Celery worker and beat, S3-protocol server) against
# the local PostgreSQL and Redis; `stack-smoke` runs the end-to-end smoke through it and stops it.
stack: install
	deploy/stack start

stack-smoke: install
	deploy/stack smoke

# The smoke, then back up (deploy/backup), wipe, restore (deploy/restore) and verify (deploy/drill.py).
backup-drill: install
	deploy/stack drill

# Workers killed, PostgreSQL and Redis cut and restored under load (deploy/faults.py).
fault-drill: install
	deploy/stack faults

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var staticfiles screenshots
