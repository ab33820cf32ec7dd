#!/usr/bin/env bash
# Stop the test PostgreSQL started by pg-up.sh (the cluster stays for the next run).
set -euo pipefail
PG_DIR=${PG_DIR:-/tmp/assist-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] && [ -f "$PG_DIR/data/PG_VERSION" ] || exit 0
if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
else "$BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true; fi
echo "[pg-down] stopped" >&2
