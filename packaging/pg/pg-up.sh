#!/usr/bin/env bash
# Start a real PostgreSQL on 127.0.0.1 for the team-store integration tests (Debian's postgresql).
# Installs it with apt-get when missing (root needed), creates a cluster in $PG_DIR once, starts it and
# writes an env file:  $PG_DIR/pg.env  ->  PG_ADMIN_URL (a superuser's URL), PG_PORT
# Idempotent: a running server is reused. The server runs as the 'postgres' system user when started
# by root (PostgreSQL refuses to run as root).
set -euo pipefail

PG_DIR=${PG_DIR:-/tmp/assist-pg}
PG_PORT=${PG_PORT:-15432}
say() { echo "[pg-up] $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
    [ "$(id -u)" = 0 ] || { say "PostgreSQL is not installed and installing needs root"; exit 1; }
    say "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show postgresql >/dev/null 2>&1 || apt-get update -qq
    mkdir -p "$PG_DIR"
    apt-get install -y -qq --no-install-recommends postgresql >"$PG_DIR/apt.log" 2>&1 \
        || { tail -30 "$PG_DIR/apt.log" >&2; exit 1; }
fi
BIN=$(bindir)
mkdir -p "$PG_DIR"
run() {  # run a server command as the owner of the data directory
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
DATA="$PG_DIR/data"
if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating the cluster"
    run "$BIN/initdb" -D "$DATA" -U assist_admin --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
        || { tail -20 "$PG_DIR/initdb.log" >&2; exit 1; }
    # password auth over TCP for the roles Assist creates; trust only for the admin on the socket
    cat > "$DATA/pg_hba.conf" <<HBA
local all assist_admin trust
host  all assist_admin 127.0.0.1/32 trust
host  all all 127.0.0.1/32 scram-sha-256
HBA
fi
if ! run "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "starting postgres on 127.0.0.1:$PG_PORT"
    run "$BIN/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" start >/dev/null \
        || { tail -20 "$PG_DIR/server.log" >&2; exit 1; }
fi
printf 'PG_ADMIN_URL=postgresql://assist_admin@127.0.0.1:%s/postgres\nPG_PORT=%s\n' "$PG_PORT" "$PG_PORT" \
    > "$PG_DIR/pg.env"
say "ready: 127.0.0.1:$PG_PORT (env in $PG_DIR/pg.env)"
