#!/usr/bin/env bash
# Write requirements.lock from pyproject.toml: every package .venv gets (the dependencies, the
# dev extra, the build backend, pip itself), each pinned to one version with the hashes of its
# files on PyPI. pip-tools runs from a throw-away venv, never from .venv.
#
#   scripts/lock.sh                            add or drop what pyproject.toml changed; keep the
#                                              other pins (make lock)
#   scripts/lock.sh --upgrade                  every package to its newest allowed version
#   scripts/lock.sh --upgrade-package fastapi  one package (may be given more than once)
#
# The lock is resolved for the Python that runs this (PYTHON=python3): use the one CI uses.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
PIP_TOOLS=pip-tools==7.7.0
LOCK=requirements.lock

say() { printf 'lock: %s\n' "$*" >&2; }

tools=$(mktemp -d "${TMPDIR:-/tmp}/accord-lock.XXXXXX")
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check "$PIP_TOOLS"

say "resolving for $("$PYTHON" -V 2>&1) from PyPI (takes a few minutes: it reads every file's hash)"
# PyPI only, whatever this machine's pip configuration adds: the hashes are PyPI's files', and
# the lock names no local index.
env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null \
    CUSTOM_COMPILE_COMMAND="make lock" \
    "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --all-build-deps --extra dev --no-emit-index-url --no-emit-find-links \
    --index-url https://pypi.org/simple --output-file "$LOCK" "$@" pyproject.toml
say "wrote $LOCK; scripts/venv.sh installs it into .venv on its next run (make venv)"
