#!/usr/bin/env bash
# Make sure the Debian packages named as arguments are installed.
# As root on Debian/Ubuntu: installs the missing ones with apt-get. Otherwise: prints the exact
# command to run and exits 1, so `make` stops with a clear message instead of a cryptic failure.
set -euo pipefail
missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing system packages: ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    exit 0
fi
echo "Leap Sync needs these system packages: ${missing[*]}" >&2
if command -v apt-get >/dev/null 2>&1; then
    echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
else
    echo "Install the equivalents with your system's package manager." >&2
fi
exit 1
