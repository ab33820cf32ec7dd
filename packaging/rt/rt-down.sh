#!/usr/bin/env bash
# Stop the rt-server that rt-up.sh started (by its pid; TERM, never INT). RT_PURGE=1 deletes $RT_DIR.
set -u
RT_DIR=${RT_DIR:-/tmp/assist-rt}
PIDFILE="$RT_DIR/rt-server.pid"
if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
        children=$(for st in /proc/[0-9]*/stat; do read -r p _ _ pp _ < "$st" 2>/dev/null && [ "$pp" = "$pid" ] && echo "$p"; done)
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        for c in $children; do kill -0 "$c" 2>/dev/null && kill -KILL "$c" 2>/dev/null; done
        echo "stopped rt-server $pid"
    fi
    rm -f "$PIDFILE"
fi
[ "${RT_PURGE:-0}" = 1 ] && rm -rf "$RT_DIR"
exit 0
