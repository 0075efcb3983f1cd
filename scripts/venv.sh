#!/usr/bin/env bash
# Make .venv if it is missing or broken, and install into it the locked packages
# (requirements.lock: the dependencies and the dev tools, each pinned with its hashes), then the
# project itself (editable, --no-deps); again only when pyproject.toml or requirements.lock
# changed since the last install (their hash is kept in the venv).
#
#   scripts/venv.sh          (PYTHON=python3 and VENV=.venv by default)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
STAMP=$VENV/.accord-installed

say() { printf 'venv: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

LOCK=requirements.lock
[ -f pyproject.toml ] || die "no pyproject.toml in $(pwd)"
[ -f "$LOCK" ] || die "no $LOCK in $(pwd); write it with: make lock"
want="$(cat pyproject.toml "$LOCK" | sha256sum | cut -d ' ' -f 1)"

healthy() {
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' >/dev/null 2>&1 \
        && "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/accord" ] && healthy; then
    exit 0
fi

if ! healthy; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Accord needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)"
    [ -e "$VENV" ] && say "$VENV is broken; making it anew"
    rm -rf "$VENV"
    if ! out=$("$PYTHON" -m venv "$VENV" 2>&1); then
        rm -rf "$VENV"
        printf '%s\n' "$out" >&2
        die "could not make $VENV (Debian: apt-get install python3-venv)"
    fi
fi

say "installing $LOCK and accord into $VENV (pyproject.toml or $LOCK is new or changed)"
rm -f "$STAMP"
log=$VENV/pip-install.log
pip=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input)
if ! "${pip[@]}" --require-hashes -r "$LOCK" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "pip install --require-hashes -r $LOCK failed (full log: $log)"
fi
# Built with the locked setuptools, so that nothing unpinned is fetched for the build either.
if ! "${pip[@]}" --no-deps --no-build-isolation -e . >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "pip install --no-deps -e . failed (full log: $log)"
fi
if ! problems=$("$VENV/bin/python" -m pip check 2>&1); then
    printf '%s\n' "$problems" >&2
    die "pip check: a dependency is missing or at a version it may not be (does $LOCK lag behind pyproject.toml? make lock)"
fi
printf '%s\n' "$want" >"$STAMP"
