#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests, and print its path on stdout.
#
#   scripts/ensure-chromium.sh     install chromium and chromium-driver if /usr/bin/chromium is missing
#
# The browser tests drive this Chromium through Playwright (never `playwright install`, which
# downloads browsers from outside the package registries). Messages go to stderr.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

say() { printf 'ensure-chromium: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

case "${1:-}" in
    "") ;;
    -h | --help)
        sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (try --help)" ;;
esac

if [ -x "$CHROMIUM" ]; then
    printf '%s\n' "$CHROMIUM"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "no $CHROMIUM and not root: install the Debian packages 'chromium' and 'chromium-driver'"
    sudo=(sudo)
fi
command -v apt-get >/dev/null 2>&1 || die "no $CHROMIUM and no apt-get: install Chromium at $CHROMIUM, or set ACCORD_TEST_CHROMIUM to a Chromium binary"

# One installer at a time: two `make test` runs must not both run apt-get.
exec 9>/tmp/accord-chromium-install.lock
flock -w 600 9 || die "another ensure-chromium is still installing (lock /tmp/accord-chromium-install.lock)"
if [ -x "$CHROMIUM" ]; then
    printf '%s\n' "$CHROMIUM"
    exit 0
fi

log=/tmp/accord-chromium-install.log
say "no $CHROMIUM; installing Debian's chromium and chromium-driver (log: $log)"
if ! { "${sudo[@]}" apt-get update \
    && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium chromium-driver; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "installing chromium failed (full log: $log)"
fi
[ -x "$CHROMIUM" ] || die "chromium installed, but there is no $CHROMIUM"
printf '%s\n' "$CHROMIUM"
