#!/usr/bin/env bash
# Opens Assist under Xvfb on a fresh demo workspace, opens a ticket and saves a PNG of the window.
set -euo pipefail
out=${1:-docs/screenshot.png}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$out")"
export ASSIST_CONFIG_DIR=$tmp/config ASSIST_DATA_DIR=$tmp/data ASSIST_LOG_DIR=$tmp/logs
export LITELLM_LOCAL_MODEL_COST_MAP=True QT_QPA_PLATFORM=xcb
xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/assist --screenshot "$out" --ticket "${2:-1001}"
