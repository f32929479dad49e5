#!/usr/bin/env bash
# Add Leap Sync to the desktop's application menu, for the current user (no root needed).
# Run from the unpacked bundle:  ./leap-sync/_internal/share/install-desktop-entry.sh
# Undo with:                     ./leap-sync/_internal/share/install-desktop-entry.sh --uninstall
set -euo pipefail
APP_ID=io.leapsync.LeapSync
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="$(cd "$here/../.." && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
sizes=(16 32 48 64 128 256 512)

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$data/applications/$APP_ID.desktop" "$data/metainfo/$APP_ID.metainfo.xml" \
        "$data/icons/hicolor/scalable/apps/$APP_ID.svg"
    for size in "${sizes[@]}"; do rm -f "$data/icons/hicolor/${size}x${size}/apps/$APP_ID.png"; done
    echo "Removed the Leap Sync menu entry."
    exit 0
fi

[ -x "$bundle/leap-sync" ] || { echo "leap-sync not found in $bundle" >&2; exit 1; }
icons="$here/../resources/icons/app"
mkdir -p "$data/applications" "$data/metainfo" "$data/icons/hicolor/scalable/apps"
install -m 644 "$icons/leap-sync.svg" "$data/icons/hicolor/scalable/apps/$APP_ID.svg"
for size in "${sizes[@]}"; do
    mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
    install -m 644 "$icons/leap-sync-$size.png" "$data/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
# The menu entry runs this bundle by its absolute path (quoted for spaces).
sed -e "s|^Exec=.*|Exec=\"$bundle/leap-sync\"|" -e "s|^TryExec=.*|TryExec=$bundle/leap-sync|" \
    "$here/$APP_ID.desktop" > "$data/applications/$APP_ID.desktop"
install -m 644 "$here/$APP_ID.metainfo.xml" "$data/metainfo/$APP_ID.metainfo.xml"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "Leap Sync is in your application menu ($data/applications/$APP_ID.desktop)."
