#!/usr/bin/env bash
# Install an unpacked Assist tarball for the current user: ~/.local/opt/assist, a launcher on PATH,
# the desktop entry and icons. Run from the unpacked folder: ./install.sh   (uninstall: ./install.sh --remove)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
opt="$HOME/.local/opt/assist"; bin="$HOME/.local/bin"; apps="$HOME/.local/share/applications"
icons="$HOME/.local/share/icons/hicolor"
if [ "${1:-}" = "--remove" ]; then
    rm -rf "$opt" "$bin/assist" "$apps/assist.desktop"
    for s in 16 32 48 64 128 256; do rm -f "$icons/${s}x${s}/apps/assist.png"; done
    echo "Assist removed (your settings, drafts and journal are kept)."; exit 0
fi
mkdir -p "$opt" "$bin" "$apps"
cp -a "$here/assist/." "$opt/"
ln -sf "$opt/assist" "$bin/assist"
cp "$here/assist.desktop" "$apps/assist.desktop"
for s in 16 32 48 64 128 256; do
    mkdir -p "$icons/${s}x${s}/apps"; cp "$here/icons/assist-$s.png" "$icons/${s}x${s}/apps/assist.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "Assist installed: run 'assist' or find it in your applications menu."
