#!/usr/bin/env bash
# The tests start their own PostgreSQL server; make sure its programs are installed.
set -euo pipefail
if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  exit 0
fi
for dir in /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ]; then
    echo "PostgreSQL programs are in $dir; add it to PATH" >&2
    exit 1
  fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  ln -sf /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl /usr/lib/postgresql/*/bin/postgres /usr/local/bin/
  exit 0
fi
echo "initdb/pg_ctl not found: install the PostgreSQL server programs" >&2
exit 1
