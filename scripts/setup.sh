#!/usr/bin/env bash
# Installs what pktlab's tests need on a fresh machine: Debian packages (when run as root on a
# Debian/Ubuntu system; elsewhere it prints what to install) and the npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(tshark tcpdump iproute2 iputils-ping curl nginx haproxy wrk chromium xvfb fonts-noto-cjk)

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # nginx and haproxy are test tools run inside pktlab's own namespaces: keep apt from starting them
  # as system services (policy-rc.d exit 101 = "action forbidden"), then restore the policy.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${DEBIAN_PACKAGES[@]}"
  [ "$made_policy" = 1 ] && rm -f "$policy"
else
  missing=()
  for p in tshark tcpdump ip curl chromium; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: not root on Debian; install these for the full test suite: ${DEBIAN_PACKAGES[*]}" >&2
  fi
fi

export ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
