#!/usr/bin/env bash
# Installs what pktlab's tests need on a fresh machine: Debian packages (when run as root on a
# Debian/Ubuntu system; elsewhere it prints what to install) and the npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(tshark tcpdump iproute2 iputils-ping curl)

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${DEBIAN_PACKAGES[@]}"
else
  missing=()
  for p in tshark tcpdump ip curl; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: not root on Debian; install these for the full test suite: ${DEBIAN_PACKAGES[*]}" >&2
  fi
fi

export ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
