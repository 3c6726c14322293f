#!/usr/bin/env bash
# Install what the app needs (and, with --dev, what the tests need, Chromium included).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--dev" ]]; then
  python3 -m pip install --quiet -r requirements-dev.txt
  if [[ ! -x /usr/bin/chromium ]]; then
    # Debian's Chromium: the browser tests drive it through Playwright (no browser download).
    SUDO=""; [[ "$(id -u)" != 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
else
  python3 -m pip install --quiet -r requirements.txt
fi
