#!/usr/bin/env bash
# Measures the README's first command on a fresh machine: from `make run` in a fresh clone
# until the dashboard answers (budget: 8 minutes). `make bench-first-run` runs it; `make
# bench`'s table shows its last measurement (target/criterion/first_run.lines.json).
#
# "Fresh" as far as this machine can make it: a clone of HEAD in a temporary folder, an empty
# cargo home (every crate downloaded again, wasm-bindgen-cli compiled again) and an empty
# target directory. What a fresh machine has before the README's first command is kept: the
# Rust toolchain (rustup's, with the wasm32 target; adding it takes seconds) and Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

work=$(mktemp -d /tmp/ztd-first-run.XXXXXX)
server=""
cleanup() {
  if [ -n "$server" ]; then kill -- "-$server" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

git clone -q "$repo" "$work/clone"
commit=$(git -C "$work/clone" rev-parse --short HEAD)

# Only rustup's proxies on the PATH from the usual cargo home: no tool installed before.
mkdir -p "$work/bin" "$work/cargo-home"
for tool in cargo rustc rustup rustdoc; do
  ln -s "$(command -v "$tool")" "$work/bin/$tool"
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "==> make run in a fresh clone of $commit ($work), until http://127.0.0.1:$port/healthz answers"
start=$(date +%s)
(
  cd "$work/clone"
  export CARGO_HOME="$work/cargo-home" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  export PATH="$work/cargo-home/bin:$work/bin:/usr/local/bin:/usr/bin:/bin"
  export ZTD_LISTEN_ADDR="127.0.0.1:$port" ZTD_DATA_DIR="$work/data"
  exec setsid make run > "$work/make-run.log" 2>&1
) &
server=$!

until curl -fs "http://127.0.0.1:$port/healthz" > /dev/null; do
  if ! kill -0 "$server" 2> /dev/null; then
    tail -30 "$work/make-run.log"
    echo "==> make run stopped before the dashboard answered" >&2
    exit 1
  fi
  sleep 1
done
seconds=$(($(date +%s) - start))
printf '==> the dashboard answered after %dm %02ds\n' $((seconds / 60)) $((seconds % 60))

budget=480
met=$([ "$seconds" -le "$budget" ] && echo true || echo false)
mkdir -p target/criterion
cat > target/criterion/first_run.lines.json << EOF
[
  {
    "measurement": "\`make run\` on a fresh machine until the dashboard answers (fresh clone, empty cargo home and target directory; measured at commit $commit on $(date -u +%Y-%m-%d))",
    "compared_with": "—",
    "value": "$((seconds / 60)) min $((seconds % 60)) s",
    "budget": "≤ 8 min",
    "met": $met
  }
]
EOF
