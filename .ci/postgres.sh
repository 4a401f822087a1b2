#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests and benchmarks.
#
#   export SEAMLINE_TEST_POSTGRES_URL="$(.ci/postgres.sh start)"
#   pytest -m postgres
#   .ci/postgres.sh stop
#
# start  installs PostgreSQL if needed (apt-get), runs initdb in a temporary directory
#        as a non-root user, starts the server on 127.0.0.1 on a free port (socket in
#        the same directory), creates the database `seamline_test` and prints its URL.
#        Running it again while the server is up just prints the URL.
# url    prints the URL of the running server.
# stop   stops the server and removes its directory.
#
# Only the URL goes to stdout; progress goes to stderr. The state (directory, port)
# is kept in $SEAMLINE_PG_STATE (default /tmp/seamline-postgres.state).
# Extra server settings: SEAMLINE_PG_OPTIONS="-c fsync=off ...".
set -euo pipefail

STATE="${SEAMLINE_PG_STATE:-/tmp/seamline-postgres.state}"
DB=seamline_test
ROLE=postgres

log() { echo "postgres.sh: $*" >&2; }

pg_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

ensure_installed() {
    if [[ -n "$(pg_bindir)" ]]; then
        return
    fi
    log "installing PostgreSQL (apt-get)"
    if [[ "$(id -u)" != 0 ]]; then
        log "PostgreSQL is not installed and this is not root; install it first"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    if [[ -z "$(pg_bindir)" ]]; then
        log "apt-get installed postgresql but no initdb was found"
        exit 1
    fi
}

# PostgreSQL refuses to run as root: as root, run the server as the `postgres` user.
as_server_user() {
    if [[ "$(id -u)" == 0 ]]; then
        # From /: the server user may not enter the caller's directory (pg_ctl warns).
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

ensure_server_user() {
    if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    else
        echo $((20000 + RANDOM % 20000))
    fi
}

read_state() {
    # shellcheck disable=SC1090
    [[ -f "$STATE" ]] && source "$STATE"
}

print_url() {
    echo "postgresql://${ROLE}@127.0.0.1:${PORT}/${DB}"
}

running() {
    [[ -n "${PGDIR:-}" && -d "$PGDIR/data" ]] && as_server_user "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1
}

cmd_start() {
    ensure_installed
    BIN="$(pg_bindir)"
    if read_state && running; then
        log "already running in $PGDIR"
        print_url
        return
    fi
    ensure_server_user
    PGDIR="$(mktemp -d /tmp/seamline-postgres.XXXXXX)"
    chmod 755 "$PGDIR"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres "$PGDIR"
    fi
    PORT="$(free_port)"
    log "initdb in $PGDIR"
    as_server_user "$BIN/initdb" -D "$PGDIR/data" -U "$ROLE" --auth=trust \
        --encoding=UTF8 --locale=C >"$PGDIR/initdb.log" 2>&1 \
        || { cat "$PGDIR/initdb.log" >&2; exit 1; }
    log "starting on 127.0.0.1:$PORT"
    as_server_user "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR ${SEAMLINE_PG_OPTIONS:-}" start >&2 \
        || { cat "$PGDIR/server.log" >&2; exit 1; }
    printf 'PGDIR=%q\nPORT=%q\nBIN=%q\n' "$PGDIR" "$PORT" "$BIN" >"$STATE"
    as_server_user "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$ROLE" "$DB"
    print_url
}

cmd_url() {
    if read_state && running; then
        print_url
    else
        log "not running; use: $0 start"
        exit 1
    fi
}

cmd_stop() {
    if ! read_state; then
        log "not running"
        return
    fi
    if running; then
        as_server_user "$BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$PGDIR" "$STATE"
    log "stopped"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    *)
        echo "usage: $0 start|stop|url" >&2
        exit 2
        ;;
esac
