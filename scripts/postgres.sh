#!/usr/bin/env bash
# PostgreSQL for the tests that need it (the shared database of several replicas).
#
#   scripts/postgres.sh start   install Debian's postgresql if missing, start a server on
#                               loopback if none answers, and give it the role the tests use
#   scripts/postgres.sh url     print the tests' admin URL if that server answers to it;
#                               print nothing otherwise (the tests then run on SQLite only)
#
# The role `ztd` (password `ztd`) may create databases: each test app gets its own, named
# ztd_test_*, and `start` drops those a previous run left behind.
set -euo pipefail

HOST=127.0.0.1
PORT=${ZTD_TEST_POSTGRES_PORT:-5432}
URL="postgres://ztd:ztd@$HOST:$PORT/postgres"

say() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }
answers() { psql "$URL" -Atqc 'SELECT 1' >/dev/null 2>&1; }

case "${1:-}" in
  url)
    if command -v psql >/dev/null && answers; then echo "$URL"; fi
    ;;
  start)
    if ! command -v pg_ctlcluster >/dev/null; then
      say "installing Debian's postgresql"
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    fi
    if ! pg_isready -h "$HOST" -p "$PORT" -q; then
      # Debian's cluster on that port (the newest version's main cluster if none has it).
      cluster=$(pg_lsclusters -h | awk -v port="$PORT" '$3 == port { print $1, $2; exit }')
      if [ -z "$cluster" ]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -1)
        as_root pg_createcluster "$version" ztd --port "$PORT"
        cluster="$version ztd"
      fi
      say "starting PostgreSQL ($cluster) on $HOST:$PORT"
      # shellcheck disable=SC2086 # version and name, two words
      as_root pg_ctlcluster $cluster start || true
      for _ in $(seq 1 100); do pg_isready -h "$HOST" -p "$PORT" -q && break; sleep 0.2; done
      pg_isready -h "$HOST" -p "$PORT" -q || { echo "PostgreSQL did not start on $HOST:$PORT" >&2; exit 1; }
    fi
    # The role, created or (if it exists with other rights or password) set as the tests need.
    if [ "$(as_postgres psql -p "$PORT" -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'ztd'")" = 1 ]; then
      as_postgres psql -p "$PORT" -qc "ALTER ROLE ztd LOGIN CREATEDB PASSWORD 'ztd'"
    else
      say "creating the test role ztd"
      as_postgres psql -p "$PORT" -qc "CREATE ROLE ztd LOGIN CREATEDB PASSWORD 'ztd'"
    fi
    for db in $(psql "$URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'ztd\_test\_%'"); do
      psql "$URL" -qc "DROP DATABASE \"$db\" WITH (FORCE)"
    done
    answers || { echo "PostgreSQL does not answer at $URL" >&2; exit 1; }
    ;;
  *)
    echo "usage: $0 start|url" >&2
    exit 2
    ;;
esac
