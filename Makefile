# Loket: `make run` to start on SQLite, `make dev` for the development server, `make test` for
# the whole suite, `make deploy-check` for the README's production steps on PostgreSQL.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: run dev install install-test browser proxy migrate demo test chaos lint bench bench-proxy \
	deploy-check clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test browser

# Browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Note: /usr/bin/chromium is missing (apt-get install chromium): browser tests will be skipped"; \
	  fi; \
	fi

migrate: install
	@mkdir -p data
	$(PY) manage.py migrate --noinput

# The demo office, its staff and sample bookings, and 30 days of generated history up to
# yesterday for the reports (skipped when those days already have data): today and the days
# ahead stay free but for the sample bookings.
# An office node (LOKET_ROLE=office) loads no demo: its data comes from the central site.
demo: migrate
ifeq ($(LOKET_ROLE),office)
	@echo "Office node: the office's data comes from the central site ($(LOKET_CENTRAL_URL))"
else
	$(PY) manage.py load_demo
	$(PY) manage.py generate_year --office KRW --last-days 30 --bookings 3500 --if-empty
endif

# The production server (gunicorn with config/gunicorn.py, static files by WhiteNoise) and the
# background worker (expires unpaid holds, sends e-mail); both stop together on Ctrl-C.
# On a weekend or holiday: LOKET_TRAINING_DATE=next-working-day make run (training mode).
run: demo
	@echo "Loket at http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@$(PY) -m config.run --host $(HOST) --port $(PORT)

# Django's development server (autoreload, debug pages) and the worker.
dev: demo
	@echo "Loket (development server) at http://$(HOST):$(PORT)"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py run_worker & \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-test
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Crash tests (tests/chaos, also part of `make test` on PostgreSQL): SIGKILL the gunicorn server
# in a booking storm and in a stream of payment notices, the worker while it sends, and crash a
# private PostgreSQL cluster under load; prints the figures (acknowledged, found, doubled,
# notices, messages delivered, kills). PostgreSQL only: DATABASE_URL, default the local `loket`
# database (created if missing; the tests run in their own test_ database beside it).
CHAOS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/loket
chaos: install-test
	@url="$${DATABASE_URL:-$(CHAOS_DATABASE_URL)}"; \
	case "$$url" in postgres://*|postgresql://*) ;; \
	  *) echo "make chaos needs PostgreSQL: DATABASE_URL=postgres://..."; exit 1;; esac; \
	name="$${url##*/}"; server="$${url%/*}"; \
	psql "$$server/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$$name'" | grep -q 1 \
	  || psql "$$server/postgres" -qc "CREATE DATABASE \"$$name\""; \
	DATABASE_URL="$$url" $(PY) -m pytest tests/chaos -v -p no:cacheprovider $(PYTEST_ARGS)

lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The release-day bench (bench/__main__.py): booking storms, refusals of a full day, a fair
# release, with rate limits on; the ceilings (GET /healthz, the raw booking transaction, one
# slot row) measured in the same run; prints issue 17's targets with their ratios, PASS/MISS.
bench: install-test
	$(PY) -m bench $(BENCH_ARGS)

# The same through HAProxy in front of two app servers (half the workers each).
bench-proxy: install-test proxy
	$(PY) -m bench --proxy $(BENCH_ARGS)

# Debian's HAProxy for `make bench-proxy` (and the README's two-server setup).
proxy:
	@if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's haproxy"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	  else \
	    echo "HAProxy is missing: apt-get install haproxy"; exit 1; \
	  fi; \
	fi

# The README's "Deploying on PostgreSQL", run for real on a throwaway database: production
# settings with secrets, migrate, collectstatic (manifest storage), gunicorn, then every main
# page fetched as its user, expecting 200. DEPLOY_CHECK_DATABASE_URL names the server
# (default the local PostgreSQL); the database loket_deploy_check is dropped afterwards.
deploy-check: install
	$(PY) .ci/deploy_check.py

clean:
	rm -rf $(VENV) data staticfiles
