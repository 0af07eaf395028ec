#!/usr/bin/env bash
# chromium.sh — make sure a Chromium for the browser tests is installed
# (Debian's package; browser downloads by test tools do not work here).
# Prints the browser's path on stdout. Without a browser and without a way to
# install one it fails under CI=true, and otherwise warns (the browser tests
# then skip, saying why).
set -euo pipefail
log() { echo "[chromium] $*" >&2; }

for b in "${CHROMIUM_PATH:-}" chromium chromium-browser google-chrome; do
  [ -n "$b" ] && command -v "$b" >/dev/null 2>&1 && { command -v "$b"; exit 0; }
done

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing Debian's chromium (about 150 MB, 1-2 minutes)"
  export DEBIAN_FRONTEND=noninteractive
  apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
  "${apt[@]}" install --no-install-recommends chromium >&2 ||
    { "${apt[@]}" update >&2 && "${apt[@]}" install --no-install-recommends chromium >&2; }
  command -v chromium && exit 0
fi

if [ "${CI:-}" = true ]; then
  log "ERROR: no Chromium and no way to install it (need root and apt-get); the browser tests cannot run"
  exit 1
fi
log "WARNING: no Chromium; the browser tests will skip (install the chromium package)"
