#!/usr/bin/env bash
# Make .venv if it is missing or broken, and install the project into it with its dev tools,
# again only when pyproject.toml changed since the last install (a hash kept in the venv).
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

[ -f pyproject.toml ] || die "no pyproject.toml in $(pwd)"
want="$(sha256sum pyproject.toml | cut -d ' ' -f 1)"

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

say "installing accord and its dev tools into $VENV (pyproject.toml is new or changed)"
rm -f "$STAMP"
log=$VENV/pip-install.log
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -e '.[dev]' >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "pip install -e '.[dev]' failed (full log: $log)"
fi
printf '%s\n' "$want" >"$STAMP"
