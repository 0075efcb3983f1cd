#!/usr/bin/env bash
# Make sure a PostgreSQL server for the tests is up, and print its SQLAlchemy URL on stdout.
#
#   scripts/ensure-postgres.sh            start (or reuse) the server; print the URL
#   scripts/ensure-postgres.sh --export   the same, as `export ACCORD_TEST_POSTGRES_URL=...` for eval
#   scripts/ensure-postgres.sh --stop     stop the throw-away cluster
#   scripts/ensure-postgres.sh --destroy  stop it and delete its directory
#
# A reachable ACCORD_TEST_POSTGRES_URL already in the environment is used as it is. Otherwise a
# throw-away cluster (trust auth, fsync off; never the Debian `main` cluster) runs as the
# `postgres` OS user from ACCORD_TEST_PG_DIR on 127.0.0.1:ACCORD_TEST_PG_PORT; PostgreSQL is
# installed from Debian first if the machine has no server binaries. Messages go to stderr.
set -euo pipefail

PORT=${ACCORD_TEST_PG_PORT:-54329}
DB=accord_test
if [ "$(id -u)" -eq 0 ]; then
    DIR=${ACCORD_TEST_PG_DIR:-/tmp/accord-test-pg}
else
    DIR=${ACCORD_TEST_PG_DIR:-/tmp/accord-test-pg-$(id -un)}
fi
DATA=$DIR/data
LOG=$DIR/server.log
URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"

say() { printf 'ensure-postgres: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# Prints the bin directory of the server binaries (the data dir's own version first), or nothing.
find_pgbin() {
    local version
    if [ -f "$DATA/PG_VERSION" ]; then
        version=$(cat "$DATA/PG_VERSION")
        if [ -x "/usr/lib/postgresql/$version/bin/initdb" ]; then
            echo "/usr/lib/postgresql/$version/bin"
            return
        fi
    fi
    local initdb
    # shellcheck disable=SC2012  # fixed Debian paths; sort -V puts the newest major last
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$initdb" ] && dirname "$initdb"
    return 0
}

install_postgres() {
    local log=/tmp/accord-postgres-install.log sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "no PostgreSQL server on this machine and not root: install the Debian package 'postgresql'"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server on this machine and no apt-get: install PostgreSQL, or set ACCORD_TEST_POSTGRES_URL"
    say "no PostgreSQL server found; installing Debian's postgresql (log: $log)"
    if ! { "${sudo[@]}" apt-get update \
        && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; } \
        >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "installing postgresql failed (full log: $log)"
    fi
}

# Runs a command as the owner of the cluster (PostgreSQL refuses to run as root); the lock's
# descriptor is closed so that the server, which outlives us, does not keep holding the lock.
as_owner() {
    if [ "$(id -u)" -ne 0 ]; then
        (cd "$DIR" && "$@") 9>&-
    elif command -v runuser >/dev/null 2>&1 || [ -x /usr/sbin/runuser ]; then
        (cd "$DIR" && PATH="$PATH:/usr/sbin" runuser -u postgres -- "$@") 9>&-
    else
        (cd "$DIR" && su -s /bin/sh postgres -c "$(printf '%q ' "$@")") 9>&-
    fi
}

is_ready() {
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 3
}

psql_admin() {
    "$PGBIN/psql" -X -w -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"
}

# A pid file whose process is gone (or is no postgres: pids get reused) would block the start.
clear_stale_locks() {
    local file pid
    for file in "$DATA/postmaster.pid" "$DIR"/.s.PGSQL.*.lock; do
        [ -f "$file" ] || continue
        pid=$(head -n 1 "$file" | tr -d '[:space:]')
        # A zombie (state Z) left by a killed server counts as gone, too.
        if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] \
            && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
            continue
        fi
        rm -f "$file"
    done
}

init_cluster() {
    rm -rf "$DATA"
    if ! as_owner "$PGBIN/initdb" -D "$DATA" --auth=trust --username=postgres \
        --encoding=UTF8 --no-locale --no-sync >"$DIR/initdb.log" 2>&1; then
        cat "$DIR/initdb.log" >&2
        die "initdb failed in $DATA"
    fi
}

start_cluster() {
    clear_stale_locks
    # C collation (--no-locale) sorts like SQLite's BINARY, so both databases order text alike.
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -s start -o "-p $PORT \
        -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200" >/dev/null 2>&1
}

check_given_url() {
    local url=$1 libpq
    libpq=$(printf '%s' "$url" | sed -E 's#^postgres(ql)?(\+[A-Za-z0-9_]+)?://#postgresql://#')
    local psql
    # shellcheck disable=SC2012
    psql=$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$psql" ] || psql=$(command -v psql || true)
    if [ -n "$psql" ]; then
        "$psql" -X -w -q -At -c 'SELECT 1' "$libpq" >/dev/null 2>&1
    else
        python3 - "$libpq" <<'EOF'
import socket, sys
from urllib.parse import urlsplit
parts = urlsplit(sys.argv[1])
socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=3).close()
EOF
    fi
}

print_url() {
    if [ "$EXPORT" = 1 ]; then
        printf 'export ACCORD_TEST_POSTGRES_URL=%q\n' "$1"
    else
        printf '%s\n' "$1"
    fi
}

EXPORT=0
case "${1:-}" in
    "") ;;
    --export) EXPORT=1 ;;
    --stop | --destroy)
        PGBIN=$(find_pgbin)
        if [ -n "$PGBIN" ] && [ -f "$DATA/postmaster.pid" ]; then
            as_owner "$PGBIN/pg_ctl" -D "$DATA" -s -m fast -w stop >/dev/null 2>&1 || true
        fi
        [ "$1" = --destroy ] && rm -rf "$DIR" "$DIR.lock"
        exit 0
        ;;
    -h | --help)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (try --help)" ;;
esac

if [ -n "${ACCORD_TEST_POSTGRES_URL:-}" ]; then
    if check_given_url "$ACCORD_TEST_POSTGRES_URL"; then
        print_url "$ACCORD_TEST_POSTGRES_URL"
        exit 0
    fi
    say "ACCORD_TEST_POSTGRES_URL=$ACCORD_TEST_POSTGRES_URL is not reachable; using a local throw-away cluster instead"
fi

# One caller at a time: two `make test` runs must not both initdb.
exec 9>"$DIR.lock"
flock -w 120 9 || die "another ensure-postgres is still running (lock $DIR.lock)"

PGBIN=$(find_pgbin)
if [ -z "$PGBIN" ]; then
    install_postgres
    PGBIN=$(find_pgbin)
    [ -n "$PGBIN" ] || die "postgresql installed, but no /usr/lib/postgresql/*/bin/initdb appeared"
fi

if [ "$(id -u)" -eq 0 ]; then
    getent passwd postgres >/dev/null || die "there is no 'postgres' OS user to run the server as"
    mkdir -p "$DIR"
    chown postgres:postgres "$DIR"
else
    mkdir -p "$DIR"
fi
chmod 755 "$DIR"

if ! is_ready; then
    if [ ! -f "$DATA/PG_VERSION" ] || [ "$(cat "$DATA/PG_VERSION")" != "$(basename "$(dirname "$PGBIN")")" ]; then
        init_cluster
    fi
    if ! start_cluster; then
        # The cluster is throw-away: a damaged one is made anew once before giving up.
        say "the cluster in $DATA did not start; making it anew"
        as_owner "$PGBIN/pg_ctl" -D "$DATA" -s -m immediate stop >/dev/null 2>&1 || true
        init_cluster
        if ! start_cluster; then
            tail -n 20 "$LOG" >&2 || true
            die "PostgreSQL did not start on 127.0.0.1:$PORT (log: $LOG); is the port taken by another program?"
        fi
    fi
fi

if ! exists=$(psql_admin -At -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" 2>&1); then
    printf '%s\n' "$exists" >&2
    die "a server answers on 127.0.0.1:$PORT but does not let user postgres in without a password"
fi
if [ "$exists" != 1 ]; then
    psql_admin -c "CREATE DATABASE $DB" >/dev/null || die "could not create database $DB"
fi

print_url "$URL"
