#!/usr/bin/env bash
# Make .venv if it is missing or broken, and install into it one of the two locks (each package
# pinned with its hashes), then the project itself (editable, --no-deps):
#
#   scripts/venv.sh app   requirements.lock: what the app needs (make demo)
#   scripts/venv.sh dev   requirements-dev.lock: the same packages at the same versions, and the
#                         dev tools (make test, make venv; the default)
#
# The stamp in the venv keeps the hash of pyproject.toml and both locks, and which lock went in.
# Nothing is installed when the hash is the same and that lock covers what is asked: dev covers
# app, so a demo after the tests installs nothing, and the tests after a demo add only the dev
# tools (pip keeps what is installed at the locked version already). When the hash changed, a
# venv that had the dev tools gets the dev lock again even for `app`, so none is left stale.
#
# PYTHON=python3 and VENV=.venv by default.
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

wanted=${1:-dev}
case "$wanted" in
    app) ;;
    dev) ;;
    *) die "usage: scripts/venv.sh [app|dev]" ;;
esac
APP_LOCK=requirements.lock
DEV_LOCK=requirements-dev.lock
[ -f pyproject.toml ] || die "no pyproject.toml in $(pwd)"
for lock in "$APP_LOCK" "$DEV_LOCK"; do
    [ -f "$lock" ] || die "no $lock in $(pwd); write it with: make lock"
done
want="$(cat pyproject.toml "$APP_LOCK" "$DEV_LOCK" | sha256sum | cut -d ' ' -f 1)"

healthy() {
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' >/dev/null 2>&1 \
        && "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

# The stamp is one line, "<hash> <app|dev>"; an older one-word stamp reads as a stale dev venv.
had_hash='' had=''
if healthy && [ -f "$STAMP" ]; then
    read -r had_hash had <"$STAMP" || true
    [ -n "$had" ] || had=dev
fi
current=0
[ "$had_hash" = "$want" ] && [ -x "$VENV/bin/accord" ] && current=1
if [ "$current" -eq 1 ] && { [ "$had" = dev ] || [ "$wanted" = app ]; }; then
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

target=$wanted
[ "$had" = dev ] && target=dev
lock=$APP_LOCK
[ "$target" = dev ] && lock=$DEV_LOCK
if [ "$current" -eq 1 ]; then
    say "adding the dev tools of $lock to $VENV"
else
    say "installing $lock and accord into $VENV (pyproject.toml or a lock is new or changed)"
fi
# Until the install succeeds the stamp matches no hash, but still says which lock the venv had.
printf 'installing %s\n' "$target" >"$STAMP"
log=$VENV/pip-install.log
pip=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input)
# Compiling every module of numpy, scipy and scikit-learn to bytecode is three quarters of the
# app's install time (and 100 MB): for the app, Python compiles the few modules it imports when
# it first imports them. The developer's venv is compiled whole, as the tests start many processes.
compile=()
[ "$target" = app ] && compile=(--no-compile)
if ! "${pip[@]}" "${compile[@]}" --require-hashes -r "$lock" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "pip install --require-hashes -r $lock failed (full log: $log)"
fi
# Built with the locked setuptools, so that nothing unpinned is fetched for the build either.
if [ "$current" -eq 0 ] && ! "${pip[@]}" --no-deps --no-build-isolation -e . >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "pip install --no-deps -e . failed (full log: $log)"
fi
if [ "$target" = dev ] && [ "$had" = app ]; then
    # The app's packages went in without their bytecode. A file that does not compile is left to
    # Python, as pip leaves it.
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    "$VENV/bin/python" -m compileall -q -j 0 "$site" >>"$log" 2>&1 || true
fi
if ! problems=$("$VENV/bin/python" -m pip check 2>&1); then
    printf '%s\n' "$problems" >&2
    die "pip check: a dependency is missing or at a version it may not be (does $lock lag behind pyproject.toml? make lock)"
fi
printf '%s %s\n' "$want" "$target" >"$STAMP"
