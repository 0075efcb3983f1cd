#!/usr/bin/env bash
# Write the two locks from pyproject.toml, each package pinned to one version with the hashes of
# its files on PyPI:
#   requirements-dev.lock  what a developer's .venv gets: the dependencies, the dev extra, the
#                          build backend and pip (make test, make venv)
#   requirements.lock      what the app needs: the dependencies and the build backend (make demo)
# The developer's lock is resolved first; the app's is resolved under it (--constraint), so a
# package both need has the same version in both, and requirements.lock is a subset of
# requirements-dev.lock (checked below). pip-tools runs from a throw-away venv, never from .venv.
#
#   scripts/lock.sh                            add or drop what pyproject.toml changed; keep the
#                                              other pins (make lock)
#   scripts/lock.sh --upgrade                  every package to its newest allowed version
#   scripts/lock.sh --upgrade-package fastapi  one package (may be given more than once)
#
# The locks are resolved for the Python that runs this (PYTHON=python3): use the one CI uses.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
PIP_TOOLS=pip-tools==7.7.0
APP_LOCK=requirements.lock
DEV_LOCK=requirements-dev.lock

say() { printf 'lock: %s\n' "$*" >&2; }

tools=$(mktemp -d "${TMPDIR:-/tmp}/accord-lock.XXXXXX")
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check "$PIP_TOOLS"

# PyPI only, whatever this machine's pip configuration adds: the hashes are PyPI's files', and
# the locks name no local index.
compile() {
    env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT \
        PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" \
        "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
        --all-build-deps --no-emit-index-url --no-emit-find-links \
        --index-url https://pypi.org/simple "$@" pyproject.toml
}

say "resolving for $("$PYTHON" -V 2>&1) from PyPI (takes a few minutes: it reads every file's hash)"
compile --extra dev --output-file "$DEV_LOCK" "$@"
# Resolved afresh (--upgrade) each time: the developer's lock fixes every version it may take.
compile --upgrade --constraint "$DEV_LOCK" --output-file "$APP_LOCK"

pins() { grep -E '^[A-Za-z0-9][A-Za-z0-9._-]*==' "$1" | cut -d ' ' -f 1 | sort; }
if extra=$(comm -23 <(pins "$APP_LOCK") <(pins "$DEV_LOCK")) && [ -n "$extra" ]; then
    say "error: $APP_LOCK pins what $DEV_LOCK does not:"
    printf '  %s\n' $extra >&2
    exit 1
fi
say "wrote $DEV_LOCK ($(pins "$DEV_LOCK" | wc -l) packages) and $APP_LOCK" \
    "($(pins "$APP_LOCK" | wc -l)); scripts/venv.sh installs them into .venv on its next run"
