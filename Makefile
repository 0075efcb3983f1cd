# Set-up is part of every target: .venv is made if missing, and the locked packages and the
# project are installed into it again only when pyproject.toml or a lock changed
# (scripts/venv.sh). `make demo` installs requirements.lock (what the app needs); the other
# targets install requirements-dev.lock (those packages at the same versions, and the dev tools).
SHELL := /bin/bash
.DEFAULT_GOAL := help
BIN := .venv/bin

# make demo DEMO_ARGS="--port 8001"; make test PYTEST_ARGS="-k trust -x"
DEMO_ARGS ?=
PYTEST_ARGS ?=
# make lock LOCK_ARGS=--upgrade; make lock LOCK_ARGS="--upgrade-package fastapi"
LOCK_ARGS ?=

.PHONY: help venv demo test test-fast lint typecheck lock audit postgres postgres-stop clean

help:
	@echo "make demo       install what the app needs, build demo data in SQLite and serve it"
	@echo "                (prints the URL)"
	@echo "make test       install the dev tools too, then pip check, ruff, lint-imports, mypy and"
	@echo "                the whole pytest suite on SQLite and PostgreSQL"
	@echo "make test-fast  pytest without slow and browser tests; PostgreSQL tests skip"
	@echo "                unless ACCORD_TEST_POSTGRES_URL is set"
	@echo "make lock       pin requirements.lock and requirements-dev.lock again after a change"
	@echo "                to pyproject.toml"
	@echo "make audit      check the locked packages for known vulnerabilities (needs the network)"
	@echo "make lint | typecheck | venv | postgres | postgres-stop | clean"

venv:
	@bash scripts/venv.sh dev

demo:
	@bash scripts/venv.sh app
	$(BIN)/accord demo $(DEMO_ARGS)

test:
	@bash scripts/test.sh $(PYTEST_ARGS)

# Exit 5 (no tests collected) fails here too, with a word on why.
test-fast: venv
	@ACCORD_REQUIRE_POSTGRES=0 $(BIN)/pytest -m "not slow and not browser" $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test-fast: pytest collected no tests" >&2; fi; \
	exit $$status

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-logo

typecheck: venv
	$(BIN)/mypy

# Writes both locks with pip-tools from a throw-away venv (scripts/lock.sh).
lock:
	@bash scripts/lock.sh $(LOCK_ARGS)

# Asks PyPI's vulnerability data about every locked package, so it needs the network and is no
# part of `make test`; --strict fails the audit when a package could not be checked. The dev lock
# holds every package of requirements.lock at the same version (scripts/lock.sh checks it), so
# auditing it audits both.
audit: venv
	$(BIN)/pip-audit --requirement requirements-dev.lock --require-hashes --disable-pip --strict \
		--progress-spinner off

# Starts (or reuses) the throw-away test cluster; use as: eval "$$(make -s postgres)"
postgres:
	@bash scripts/ensure-postgres.sh --export

postgres-stop:
	@bash scripts/ensure-postgres.sh --stop

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
