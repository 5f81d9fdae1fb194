#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the agency's multi-machine tests: started by .ci/run
# (a session's servers end before CI runs), printed as the URL the tests read from
# PRACTICE_OPS_TEST_DATABASE_URL. PostgreSQL refuses to run as root, so as root it runs as the
# `postgres` user. Usage: tools/postgres_for_tests.sh DATA_DIR PORT (or --stop DATA_DIR)
set -euo pipefail
stop_only=""
if [ "${1:-}" = "--stop" ]; then stop_only=1; shift; fi
data="$1"; port="${2:-}"
bin="$(dirname "$(readlink -f "$(command -v initdb || echo /usr/lib/postgresql/15/bin/initdb)")")"
as_owner=()
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u postgres --); fi
if [ -f "$data/postmaster.pid" ]; then  # a server left by an earlier run on this data folder
  "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -w stop -m fast > /dev/null 2>&1 || true
fi
if [ -n "$stop_only" ]; then exit 0; fi
rm -rf "$data"; mkdir -p "$data"
if [ "$(id -u)" = 0 ]; then chown postgres "$data"; fi
"${as_owner[@]}" "$bin/initdb" -A trust -U postgres -D "$data" > /dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start > /dev/null
echo "postgresql://postgres@127.0.0.1:$port/postgres"
