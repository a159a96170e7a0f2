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
      version=$(ls /usr/lib/postgresql | sort -V | tail -1)
      if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
        as_root pg_createcluster "$version" main --port "$PORT"
      fi
      say "starting PostgreSQL $version on $HOST:$PORT"
      as_root pg_ctlcluster "$version" main start
      for _ in $(seq 1 50); do pg_isready -h "$HOST" -p "$PORT" -q && break; sleep 0.2; done
    fi
    if ! answers; then
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
