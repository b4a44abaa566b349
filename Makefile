# Keras Playground — set-up, run, test, benchmark. Every target creates what it needs.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT

.PHONY: run test bench lint docs clean deps dev-deps system-deps i18n loadtest

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

## Debian packages the tests use: Chromium for the browser tests, redis-server for scale-out tests,
## postgresql for the store's tests on PostgreSQL (tests/test_store_postgres.py starts its own server).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium redis-server postgresql >/dev/null; \
	fi

## Start the app on http://$(HOST):$(PORT) (embedded worker pool, no external service).
run: deps
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

## Run every test (unit, API, live-server streaming, headless-Chromium browser tests), then the fault drills, then
## (CI=true) the container checks. pytest runs in PYTEST_WORKERS processes, a file (or the scale-out folder) per
## process (tests/xdist_plan.py). The drills run alone after it (their time bounds need a quiet machine), and the
## container checks last, never beside the browser tests: starting Docker adds network interfaces, and Chromium
## then fails requests in flight with ERR_NETWORK_CHANGED (seen in CI). docs/testing.md has the costs.
PYTEST_WORKERS ?= 2
test: dev-deps system-deps
	$(VENV)/bin/ruff check app tests bench scripts
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25
	$(MAKE) --no-print-directory faults
	@if [ "$$CI" = "true" ]; then $(MAKE) --no-print-directory docker-test; fi

## Build the Docker image and run it and the compose stack for real (Docker installed and started when missing).
.PHONY: docker-test
docker-test: dev-deps
	$(PY) scripts/docker_test.py

## Benchmarks: figures printed and written as JSON under bench/results/.
bench: dev-deps system-deps
	$(PY) bench/bench_engine.py
	$(PY) bench/bench_lessons.py
	@if [ -f bench/bench_service.py ]; then $(PY) bench/bench_service.py; fi
	@if [ -f bench/bench_page.py ]; then $(PY) bench/bench_page.py; fi
	$(PY) bench/bench_sweep.py

## Load test (loopback): 30 and 60 learners embedded, 30 on Celery (2 processes), 30 embedded + a page in Chromium, 60 s each; bench/results/loadtest.json.
loadtest: dev-deps system-deps
	$(PY) bench/loadtest.py

## Fault drills (issue 25): kill training processes, web processes and Redis under a class of learners.
## `make test` runs them too. The three drill files have their own processes: they run side by side, so the set
## costs the longest file's time (docs/operations.md "Fault figures").
DRILLS = tests/faults/test_embedded_faults.py tests/faults/test_celery_faults.py tests/faults/test_web_kill.py
.PHONY: faults
faults: dev-deps system-deps
	@pids=""; for f in $(DRILLS); do $(PY) -m pytest -q -m drill $$f & pids="$$pids $$!"; done; \
	rc=0; for p in $$pids; do wait $$p || rc=1; done; exit $$rc

## Regenerate docs/config.md from RunConfig.
docs: deps
	$(PY) scripts/config_doc.py

## Translations: extract English message ids (server, templates, page), update en + zh_TW, compile (docs/i18n.md).
i18n: deps
	$(PY) scripts/i18n.py

lint: dev-deps
	$(VENV)/bin/ruff check app tests bench scripts

clean:
	rm -rf $(VENV) .pytest_cache bench/results
