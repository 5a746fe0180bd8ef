# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run dev server-command test lint install install-dev translations browser-deps bench-deps extract-messages update-catalogs clean api-fuzz bench

# The demo: migrate, then tools/demo_run.py starts the pretend city's 311 on 127.0.0.1:$(CITY_PORT) (not when
# civic is set up for another city; without it when the port is busy), seeds an empty database (issues sent
# to that city), serves the app with the command after --, and stops the city when the server stops (Ctrl-C).
# `make run` serves with gunicorn, one gevent worker (deploy/run.conf.py: keep-alive and header timeouts, no
# version in the Server header); `make dev` with Flask's development server instead (reload on change, the
# debugger: only ever on 127.0.0.1). `make server-command` prints run's server command (tests/test_serving.py).
CITY_PORT ?= 8311
SERVER = $(BIN)/gunicorn -c deploy/run.conf.py --bind $(HOST):$(PORT)
DEMO   = $(BIN)/python -m tools.demo_run --city-port $(CITY_PORT) --issues 300
run: install translations
	$(FLASK) db upgrade
	$(DEMO) -- $(SERVER)

dev: install translations
	$(FLASK) db upgrade
	$(DEMO) -- $(FLASK) run --debug --host $(HOST) --port $(PORT)

server-command:
	@echo $(SERVER)

# The checks run before the tests (and on commit, by .pre-commit-config.yaml): any finding fails `make test`.
# `ruff check --fix .` and `ruff format .` apply what ruff can fix by itself.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two workers (pytest-xdist), whole files to each: `make test` stays well under 15 minutes on 2 cores.
TEST_WORKERS ?= 2
test: lint translations browser-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --db=postgresql -m "not browser and not own_database and not no_database" -q

# Benchmarks (tests/perf): build databases of 10k, 100k and 1M issues (kept in BENCH_DIR and reused), then
# print the map figures on SQLite and on PostgreSQL, HTTP throughput and memory of a real server (wrk against
# gunicorn, 1M issues on SQLite) and live delivery to 1,000 Socket.IO clients on one process and on two
# sharing Redis. Slow the first time (about 5 minutes per million on SQLite, 12 on PostgreSQL).
BENCH_DIR ?= /tmp/civic-bench
BENCH_PG ?= postgresql+psycopg://127.0.0.1
bench: install-dev bench-deps
	mkdir -p $(BENCH_DIR)
	for n in 10000 100000 1000000; do \
	  $(BIN)/python -m tests.perf.generate --issues $$n --db sqlite:///$(BENCH_DIR)/civic-$$n.db && \
	  $(BIN)/python -m tests.perf.bench_map --db sqlite:///$(BENCH_DIR)/civic-$$n.db || exit 1; \
	done
	for n in 100000 1000000; do \
	  $(BIN)/python -m tests.perf.generate --issues $$n --db $(BENCH_PG)/civic_bench_$$n && \
	  $(BIN)/python -m tests.perf.bench_map --db $(BENCH_PG)/civic_bench_$$n || exit 1; \
	done
	$(BIN)/python -m tests.perf.bench_throughput --db sqlite:///$(BENCH_DIR)/civic-1000000.db
	$(BIN)/python -m tests.perf.bench_throughput --db sqlite:///$(BENCH_DIR)/civic-1000000.db --cold
	$(BIN)/python -m tests.perf.bench_throughput --db sqlite:///$(BENCH_DIR)/civic-1000000.db --signed-in
	$(BIN)/python -m tests.perf.bench_live --clients 1000 --processes 1
	$(BIN)/python -m tests.perf.bench_live --clients 1000 --processes 2

# The longer schemathesis run against /api/v1 (make test runs a bounded one): 300 examples per operation.
api-fuzz: install-dev
	API_FUZZ_EXAMPLES=300 $(BIN)/python -m pytest -q -s tests/test_api_schemathesis.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: install
	$(BIN)/pybabel --quiet compile -d civic/translations

# Browser tests drive Debian's Chromium, never a downloaded browser.
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "Chromium is missing: browser tests will be skipped. Install it with: sudo apt-get install chromium"; \
	fi

# The throughput benchmark drives the server with Debian's wrk.
bench-deps:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	else \
		echo "wrk is missing: install it with: sudo apt-get install wrk" >&2; exit 1; \
	fi

# For developers adding strings: extract, merge into the catalogs, then translate civic/translations/es.
extract-messages: install
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -o civic/translations/messages.pot --no-location --omit-header .

update-catalogs: extract-messages
	$(BIN)/pybabel --quiet update -i civic/translations/messages.pot -d civic/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
