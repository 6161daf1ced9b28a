# The two commands of the README: `make run` and `make test`. Both start from a bare machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# Catalogues: .po files are in git; the .mo files the portal reads are compiled here.
I18N := portal/translations
MO := $(patsubst %.po,%.mo,$(wildcard $(I18N)/*/LC_MESSAGES/messages.po))
BABEL_KEYWORDS := -k _l -k translate:2  # as portal/i18n.py KEYWORDS

.PHONY: run test lint format pytest-sqlite pytest-postgres system-packages translations bench bench-packages postgres-up bench-faults

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.run-deps

$(VENV)/.bench-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[bench]'
	touch $@ $(VENV)/.run-deps

$(I18N)/%/LC_MESSAGES/messages.mo: $(I18N)/%/LC_MESSAGES/messages.po | $(VENV)/.run-deps
	$(BIN)/pybabel compile --domain messages -i $< -o $@

# Extract every marked string, merge it into each catalogue, compile. New msgids arrive
# empty (or fuzzy when similar to an old one): translate them before committing.
translations: $(VENV)/.run-deps
	$(BIN)/pybabel extract -F $(I18N)/babel.cfg $(BABEL_KEYWORDS) --add-location=file \
	  --project portal --sort-by-file --width=100 -o $(I18N)/messages.pot .
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) --width=100 --ignore-pot-creation-date
	$(BIN)/pybabel compile -d $(I18N)

# Debian packages the portal needs: WeasyPrint's Pango, fonts (Noto CJK for Korean letters),
# poppler's pdftoppm for looking at a PDF page, and Chromium for browser tests.
system-packages:
	@need=""; \
	command -v chromium >/dev/null || need="$$need chromium"; \
	ldconfig -p | grep -q libpango-1.0 || need="$$need libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q libharfbuzz-subset || need="$$need libharfbuzz-subset0"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need="$$need fonts-dejavu-core"; \
	[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need="$$need fonts-noto-cjk"; \
	command -v pdftoppm >/dev/null || need="$$need poppler-utils"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "Please install as root:$$need" >&2; exit 1; fi; \
	  echo "Installing Debian packages:$$need"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; \
	fi

# PORTAL_PORT tells the portal its port, so the links it mails follow PORT
# unless PORTAL_BASE_URL names a public address.
run: export PORTAL_PORT := $(PORT)
run: $(VENV)/.run-deps $(MO)
	@mkdir -p -m 0700 instance
	@$(BIN)/flask keys init
	@$(BIN)/alembic upgrade head
	@$(BIN)/flask demo seed
	@$(BIN)/flask sla sweep  # in production, cron runs it every minute (dates, ladder, surveys)
	@$(BIN)/flask kpis rebuild --if-behind  # after an upgrade: the dashboard's ledger
	@$(BIN)/flask outbox send  # without PORTAL_MAIL_SERVER: .eml files in instance/mail/
	@$(BIN)/flask files sweep  # uploads a killed worker left behind; cron, every hour
	@echo "Serving the portal at http://127.0.0.1:$(PORT) (Ctrl+C stops it)"
	@[ -z "$${PORTAL_BASE_URL:-}" ] || echo "Links in mail use $$PORTAL_BASE_URL"
	@exec $(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

# Load and faults (bench/faults.py): a killed worker, PostgreSQL restarted, a full evidence
# folder, under 16 users. Root and PostgreSQL needed; FAULTS_ARGS="--duration 10" smoke-runs it.
FAULTS_ARGS ?=
bench-faults: $(VENV)/.run-deps $(MO)
	$(BIN)/python -m bench.faults --json bench/results/faults.json $(FAULTS_ARGS)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check portal tests migrations bench wsgi.py
	$(BIN)/ruff format --check portal tests migrations bench wsgi.py
	$(BIN)/lint-imports

format: $(VENV)/.test-deps
	$(BIN)/ruff format portal tests migrations bench wsgi.py
	$(BIN)/ruff check --fix portal tests migrations bench wsgi.py

test: $(VENV)/.test-deps system-packages $(MO)
	$(BIN)/ruff check portal tests migrations bench wsgi.py
	$(BIN)/lint-imports
	@# The two passes share nothing (own database, own ports), so they run side by
	@# side, one per core; -O prints each one's output whole when it ends.
	$(MAKE) --no-print-directory -j2 -O pytest-sqlite pytest-postgres

pytest-sqlite:
	@echo "== pytest on SQLite"
	$(BIN)/pytest -q $(PYTEST_ARGS)

# Start the local PostgreSQL cluster when it is installed but not answering (as root), as
# pytest-postgres does.
postgres-up:
	@if ! $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null \
	   && [ "$$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; sleep 2; \
	fi

pytest-postgres:
	@if ! $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null \
	   && [ "$$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; sleep 2; \
	fi
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  echo "== pytest on PostgreSQL"; \
	  PORTAL_TEST_POSTGRES='$(PG_URL)' $(BIN)/pytest -q $(PYTEST_ARGS); \
	elif [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then \
	  echo "PostgreSQL is not answering on 127.0.0.1:5432 and REQUIRE_POSTGRES=1" >&2; exit 1; \
	else \
	  echo "== PostgreSQL is not answering on 127.0.0.1:5432: skipped the PostgreSQL run"; \
	fi

# The benchmark: seeds bench/work/ once per size, prints the figures table and writes it to
# bench/results/ (BENCH_QUICK=1 for a short smoke run; bench/run.py lists the settings).
bench-packages:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then echo "Please install as root: wrk" >&2; exit 1; fi; \
	  echo "Installing Debian packages: wrk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

bench: $(VENV)/.bench-deps bench-packages postgres-up $(MO)
	$(BIN)/python -m bench.run
