# Social Fabric — `make run` serves the demo, `make test` runs the whole suite on SQLite and PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/socialfabric
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

.PHONY: run dev bench-load test test-sqlite test-postgres venv chromium postgres redis lint bench bench-insights demo clean

$(BIN)/socialfabric: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/socialfabric

# The production profile (DEBUG off, a SECRET_KEY made once and kept in var/secret_key),
# granian and the background worker: what an organisation runs, on this machine.
run: venv
	export DJANGO_SETTINGS_MODULE=socialfabric.settings.production && \
	$(BIN)/socialfabric migrate --noinput && \
	$(BIN)/socialfabric demo --if-empty --members 2000 --seed 1 --until $$(date -u +%F) && \
	echo "Serving Social Fabric on http://127.0.0.1:8000  (demo login: alex / socialfabric; admin / socialfabric also sees Staff and Insights)" && \
	$(BIN)/socialfabric serve --host 127.0.0.1 --port 8000

# Development: Django's autoreloading server with DEBUG on (local profile).
dev: venv
	$(BIN)/socialfabric migrate --noinput
	$(BIN)/socialfabric demo --if-empty --members 2000 --seed 1 --until $$(date -u +%F)
	DEBUG=true $(BIN)/socialfabric runserver 127.0.0.1:8000

demo: venv
	$(BIN)/socialfabric migrate --noinput
	$(BIN)/socialfabric demo --members 2000 --seed 1

# Debian's Chromium drives the browser tests; install it when missing.
chromium:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# PostgreSQL runs on this machine; start it when it is down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "Starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
		for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

# Redis for the RQ backend's tests (tests/test_rq.py, database 5): start it when it is down,
# keeping nothing on disk; install Debian's redis-server when it is missing.
redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Starting Redis"; \
		command -v redis-server >/dev/null || { apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }; \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null; \
		for i in $$(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; }

lint: venv
	$(BIN)/ruff check src tests bench

test: venv chromium postgres redis lint test-sqlite test-postgres

test-sqlite: venv chromium redis
	@echo "== Test suite on SQLite =="
	SOCIALFABRIC_VAR=$(CURDIR)/var/test $(BIN)/pytest -p no:cacheprovider

test-postgres: venv chromium postgres redis
	@echo "== Test suite on PostgreSQL =="
	SOCIALFABRIC_VAR=$(CURDIR)/var/test DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider

# The core figures (feed, replies, insights report) on SQLite, then search on SQLite and PostgreSQL.
bench: venv postgres
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_search.py
	$(BIN)/python bench/bench_notifications.py
	$(BIN)/python bench/bench_governance.py
	$(BIN)/python bench/bench_audit.py
	$(BIN)/python bench/bench_rights.py

bench-insights: venv
	$(BIN)/python bench/bench_insights.py

# The production server under 200 members at once, then kill -9 mid-load (SQLite and PostgreSQL).
bench-load: venv postgres
	$(BIN)/python bench/bench_load.py

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
