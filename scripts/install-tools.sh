#!/usr/bin/env bash
# Installs what building (and, with "e2e", browser testing) needs, skipping what is there.
# Nothing is downloaded from outside the package registries: cargo-leptos is built with
# `no_downloads`, and the browser is Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  say "installing cargo-leptos 0.3.10 (once; about 15 minutes)"
  cargo install cargo-leptos@0.3.10 --locked --features no_downloads
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
  if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -x end2end/node_modules/.bin/wasm-opt ]; then
    say "installing the Playwright test runner (no browser download) and binaryen's wasm-opt"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
fi
