#!/usr/bin/env bash
# The Rust tests, as `make test` runs them: on SQLite, and on PostgreSQL too when one answers
# (`scripts/postgres.sh start` makes one). Extra arguments go to the test runner (a filter).
#
# The two runs go side by side, not one after the other: each has stretches of waiting on the
# sandbox's clocks (jobs that take seconds, throttling, back-off) and a tail where its longest
# tests run alone, which the other run fills; together they take two thirds of the time
# (measured: .config/nextest.toml). The
# PostgreSQL run's report is printed whole after the SQLite run's, not interleaved with it.
#
# With cargo-nextest (installed by scripts/install-tools.sh) the test binaries run side by
# side too (.config/nextest.toml); without it, cargo test runs them one after another.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v cargo-nextest > /dev/null; then
  run=(cargo nextest run --features ssr)
  build=(cargo nextest run --features ssr --no-run)
else
  run=(cargo test --features ssr)
  build=(cargo test --features ssr --no-run)
fi

# Built once, before either run starts, so that the two never build at the same time.
"${build[@]}"

postgres=$(bash scripts/postgres.sh url)
if [ -z "$postgres" ]; then
  echo "==> no PostgreSQL answers (scripts/postgres.sh start makes one): the Rust tests run on SQLite only, and the browser tests will run without the two replicas"
  exec "${run[@]}" "$@"
fi

echo "==> the Rust tests on SQLite, and at the same time on PostgreSQL ($postgres; its report follows)"
report=$(mktemp)
ZTD_TEST_POSTGRES=$postgres "${run[@]}" "$@" > "$report" 2>&1 &
on_postgres=$!
trap 'kill "$on_postgres" 2> /dev/null || true; rm -f "$report"' EXIT

sqlite=0
"${run[@]}" "$@" || sqlite=$?
postgres_status=0
wait "$on_postgres" || postgres_status=$?

echo "==> the Rust tests on PostgreSQL ($postgres)"
cat "$report"
if [ "$sqlite" -ne 0 ] || [ "$postgres_status" -ne 0 ]; then
  echo "==> failed: on SQLite $([ "$sqlite" -eq 0 ] && echo passed || echo FAILED), on PostgreSQL $([ "$postgres_status" -eq 0 ] && echo passed || echo FAILED)" >&2
  exit 1
fi
