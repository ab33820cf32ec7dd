#!/usr/bin/env bash
# dist/assist (from `make dist`) -> dist/assist-VERSION-linux-x86_64.tar.gz with install.sh,
# the desktop entry and icons. An AppImage would need appimagetool, which is not in Debian's or
# PyPI's registries; the tarball installs per user without root instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(.venv/bin/python -c 'import assist; print(assist.__version__)')
name="assist-$version-linux-$(uname -m)"
stage="dist/$name"
rm -rf "$stage"; mkdir -p "$stage/icons"
cp -a dist/assist "$stage/assist"
cp packaging/linux/assist.desktop packaging/linux/install.sh "$stage/"
cp packaging/icons/assist-*.png "$stage/icons/"
tar -C dist -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz"
