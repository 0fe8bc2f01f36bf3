#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (never a downloaded build), with CJK fonts so Chinese renders.
set -euo pipefail
if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  exit 0
fi
echo "chromium and fonts-noto-cjk are needed for the browser tests: apt-get install chromium fonts-noto-cjk" >&2
exit 1
