#!/usr/bin/env bash
# Opens Assist under Xvfb on a fresh demo workspace and saves PNGs of what an agent sees:
#   packaging/screenshot.sh [OUT_DIR]   -> main, actions, history, review, report, settings, each at
#   1366x768 (NAME-1366x768.png) and 1920x1080 (NAME-1920x1080.png), the screen the same size as the window
set -euo pipefail
out=${1:-docs/screenshots}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
export ASSIST_CONFIG_DIR=$tmp/config ASSIST_DATA_DIR=$tmp/data ASSIST_LOG_DIR=$tmp/logs
export LITELLM_LOCAL_MODEL_COST_MAP=True QT_QPA_PLATFORM=xcb
mkdir -p "$tmp/config"
printf '[agent]\ndisplay_name = "Sam Ortiz"\n' > "$tmp/config/config.toml"
shot() {  # name, then assist's screenshot options
  local name=$1; shift
  for size in 1366x768 1920x1080; do
    xvfb-run -a -s "-screen 0 ${size}x24" .venv/bin/assist --screenshot "$out/$name-$size.png" --size "$size" "$@"
  done
}
shot main --ticket 1001
shot actions --ticket 1010 --tab actions
shot history --ticket 1010 --tab history
shot review --ticket 1001 --dialog review
shot report --ticket 1001 --dialog report
shot settings --ticket 1001 --dialog settings
