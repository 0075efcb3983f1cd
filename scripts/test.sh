#!/usr/bin/env bash
# The whole check, as `make test` and CI run it: venv (requirements-dev.lock: the app's packages
# and the dev tools), PostgreSQL, Chromium, pip check, ruff (lint and format), lint-imports, mypy,
# pytest.
# Arguments go to pytest. Every step runs even after one fails; the exit code says if any did.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

say() { printf 'make test: %s\n' "$*" >&2; }

bash scripts/venv.sh dev || exit 1
if ! url=$(bash scripts/ensure-postgres.sh); then
    say "no PostgreSQL server for the tests (see above)"
    exit 1
fi
export ACCORD_TEST_POSTGRES_URL=$url
export ACCORD_REQUIRE_POSTGRES=1
if ! chromium=$(bash scripts/ensure-chromium.sh); then
    say "no Chromium for the browser tests (see above)"
    exit 1
fi
export ACCORD_TEST_CHROMIUM=$chromium
export ACCORD_REQUIRE_BROWSER=1

failed=()
# A package missing, or at a version another one may not have, fails the run.
.venv/bin/python -m pip check || failed+=("pip check")
.venv/bin/ruff check --no-cache src tests bench || failed+=("ruff check")
.venv/bin/ruff format --check --no-cache src tests bench || failed+=("ruff format")
# The layers: the import-linter contracts of pyproject.toml.
.venv/bin/lint-imports --no-cache --no-logo || failed+=(lint-imports)
.venv/bin/mypy || failed+=(mypy)
# One worker a core, each with its own PostgreSQL database; a file's tests stay on one worker,
# so the servers and organizations a module shares are made once. The 25 slowest steps are
# listed at the end: where the run's time goes.
.venv/bin/pytest -n "${ACCORD_TEST_WORKERS:-auto}" --dist loadfile --durations=25 "$@"
status=$?
if [ "$status" -eq 5 ]; then
    say "pytest collected no tests"
fi
[ "$status" -eq 0 ] || failed+=("pytest (exit $status)")

if [ "${#failed[@]}" -gt 0 ]; then
    say "FAILED: ${failed[*]}"
    exit 1
fi
