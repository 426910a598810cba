# 基层人大工作平台 — the two commands a newcomer needs:
#
#   make run    virtualenv + pinned requirements + migrate + demo data (once) + serve on 127.0.0.1:8000
#   make test   dev requirements + ruff + mypy + pytest (browser tests too when /usr/bin/chromium exists)
#
# Useful knobs:  make test PYTEST_ARGS="-k login"   make test PYTEST_WORKERS=0   make run PORT=8080
#                DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make pytest

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.SILENT:
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/bin/chromium
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

# Stamps live inside the venv, so deleting .venv resets them.
RUN_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

export PYTHONIOENCODING := utf-8

.PHONY: help run test lint pytest clean

help:
	echo "make run    start the demo on http://$(HOST):$(PORT)/ (first run builds the demo county)"
	echo "make test   ruff, mypy and the whole pytest suite (browser tests need $(CHROMIUM))"

$(PY):
	command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 first" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	echo "==> installing requirements.txt into $(VENV)"
	$(PY) -m pip install --disable-pip-version-check --quiet -r requirements.txt
	touch $@

# The dev set includes the runtime set, so it refreshes both stamps.
$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	echo "==> installing requirements-dev.txt into $(VENV)"
	$(PY) -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	touch $(RUN_STAMP) $@

run: $(RUN_STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	echo
	echo "==> serving on http://$(HOST):$(PORT)/  (Ctrl-C stops; the data stays in var/)"
	# serve = runserver plus the periodic tasks in-process (no Redis/Celery needed).
	exec $(PY) manage.py serve $(HOST):$(PORT)

# Every step runs even when an earlier one fails, so one run shows every problem.
test: $(DEV_STAMP)
	failed=()
	$(MAKE) --no-print-directory lint || failed+=("lint")
	$(MAKE) --no-print-directory pytest || failed+=("pytest")
	if (( $${#failed[@]} )); then
		echo "==> make test FAILED: $${failed[*]}" >&2
		exit 1
	fi
	echo "==> make test passed"

lint: $(DEV_STAMP)
	failed=()
	echo "==> ruff check";          $(VENV)/bin/ruff check . || failed+=("ruff check")
	echo "==> ruff format --check"; $(VENV)/bin/ruff format --check . || failed+=("ruff format")
	echo "==> mypy renda";          $(VENV)/bin/mypy renda || failed+=("mypy")
	echo "==> makemigrations --check"; $(PY) manage.py makemigrations --check --dry-run || failed+=("makemigrations")
	if (( $${#failed[@]} )); then
		echo "==> lint FAILED: $${failed[*]}" >&2
		exit 1
	fi

pytest: $(DEV_STAMP)
	banner() {
		[ -x $(CHROMIUM) ] && return 0
		for _ in 1 2 3; do echo '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'; done
		echo '!!!! BROWSER TESTS SKIPPED: $(CHROMIUM) not found — apt-get install chromium fonts-noto-cjk !!!!'
		echo '!!!! (.ci/run installs both when run as root)                                               !!!!'
		for _ in 1 2 3; do echo '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'; done
	}
	banner
	echo "==> pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)  (database: $${DATABASE_URL:-SQLite in memory})"
	rc=0
	# -rfEs: list failures, errors and every skip reason (a skipped browser test says why).
	$(PY) -m pytest -n $(PYTEST_WORKERS) -rfEs $(PYTEST_ARGS) || rc=$$?
	banner
	if [ "$$rc" -eq 5 ]; then
		echo "!!!! pytest collected NO tests (exit code 5): treated as a failure !!!!" >&2
		exit 1
	fi
	exit "$$rc"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache test-artifacts staticfiles
	echo "removed the virtualenv and caches; var/ (database, secret key) is kept"
