#!/usr/bin/env bash
# Installs what building (and, with "e2e", browser testing) needs, skipping what is there.
# Nothing is downloaded from outside the package registries: the browser is Debian's chromium,
# wasm-opt and lightningcss come from npm. The site is built by scripts/build-site.sh with
# plain cargo; cargo-leptos (for `cargo leptos watch`) is optional and not installed here.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must be exactly the wasm-bindgen version the lockfile holds.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
  say "installing wasm-bindgen-cli $want"
  cargo install wasm-bindgen-cli --version "$want"
fi

if [ "${1:-}" = "e2e" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
  # `make bench` times `check` against the validator a partner would write in Python.
  if ! command -v python3 > /dev/null; then
    say "installing Debian's python3"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3
  fi
  # Again whenever the lockfile changed since the last install (npm writes its own copy).
  if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -x end2end/node_modules/.bin/wasm-opt ] \
    || [ ! -x end2end/node_modules/.bin/lightningcss ] \
    || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing the Playwright test runner (no browser download), axe, wasm-opt and lightningcss"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
fi
