#!/usr/bin/env bash
# Builds the dashboard: the server binary and the site it serves (target/site). The one way
# the site is built: `make run`, `make test`, `make bench` and CI call this script.
#
#   scripts/build-site.sh               debug server + debug bundle (make run, make test)
#   scripts/build-site.sh --release     the same in release mode: wasm-opt on the bundle,
#                                       minified CSS, each file also brotli- and gzip-compressed
#   scripts/build-site.sh --front-only  only the site (make bench builds its own server)
#
# Plain cargo, the matching wasm-bindgen CLI and, for release, binaryen's wasm-opt and
# lightningcss (both from end2end/node_modules): no build tool compiled from source on a new
# machine. It writes the bundle named after its content, and the list of those names the
# server's pages read (src/server/assets.rs; browsers keep such files for a year):
#   target/site/pkg/ztd-dashboard.<hash>.{js,wasm,css}, target/site/assets.json,
# and public/ at the site's root. `cargo leptos watch` (optional, for live reloading) reads
# Cargo.toml's [package.metadata.leptos] and writes the plain names, without the list; the
# server then names the plain files, which browsers check again before each use.
set -euo pipefail
cd "$(dirname "$0")/.."

release=false
server=true
for arg in "$@"; do
  case "$arg" in
    --release) release=true ;;
    --front-only) server=false ;;
    *) echo "usage: $0 [--release] [--front-only]" >&2; exit 2 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
name=ztd-dashboard
site=target/site
pkg="$site/pkg"
node_bin="$PWD/end2end/node_modules/.bin"

if $server; then
  say "the server ($($release && echo release || echo debug))"
  cargo build --bin "$name" --no-default-features --features ssr $($release && echo --release)
fi

# The browser bundle: the library with the hydrate feature, for the browser. Its own target
# directory, shared with `make lint`'s browser-side clippy.
if $release; then profile=wasm-release; else profile=dev; fi
say "the browser bundle ($profile)"
cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile "$profile" --target-dir target/front
built="target/front/wasm32-unknown-unknown/$($release && echo wasm-release || echo debug)/ztd_dashboard.wasm"

# The site is made again only when what it is made from changed: the bundle cargo built, the
# style sheet, public/, this script and the compression script. (CI's browser tests reuse the
# release site `make dist` made a moment before; wasm-opt alone takes half a minute.)
inputs=$(
  {
    echo "$profile"
    sha256sum "$built" style/main.css "$0" scripts/precompress.mjs
    find public -type f -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-64
)
made_from="$site.inputs"
if [ -f "$site/assets.json" ] && [ "$(cat "$made_from" 2> /dev/null)" = "$inputs" ]; then
  say "$site is up to date"
  exit 0
fi

staging="$site.new"
rm -rf "$staging"
mkdir -p "$staging/pkg"
wasm-bindgen "$built" --target web --no-typescript --out-dir "$staging/pkg" --out-name "$name"
# The page asks for <name>.wasm (LEPTOS_OUTPUT_NAME is set for every build: .cargo/config.toml).
mv "$staging/pkg/${name}_bg.wasm" "$staging/pkg/$name.wasm"
if $release; then
  say "wasm-opt -Oz"
  "$node_bin/wasm-opt" -Oz "$staging/pkg/$name.wasm" -o "$staging/pkg/$name.opt.wasm"
  mv "$staging/pkg/$name.opt.wasm" "$staging/pkg/$name.wasm"
  "$node_bin/lightningcss" --minify --targets defaults style/main.css -o "$staging/pkg/$name.css"
else
  cp style/main.css "$staging/pkg/$name.css"
fi
cp -R public/. "$staging/"

# Each file named after its content: a new build has new names, so browsers may keep them.
named() {
  local file="$1" ext="${1##*.}"
  local hashed
  hashed="$name.$(sha256sum "$file" | cut -c1-16).$ext"
  mv "$file" "$staging/pkg/$hashed"
  printf '%s' "$hashed"
}
js=$(named "$staging/pkg/$name.js")
wasm=$(named "$staging/pkg/$name.wasm")
css=$(named "$staging/pkg/$name.css")
printf '{"js": "%s", "wasm": "%s", "css": "%s"}\n' "$js" "$wasm" "$css" > "$staging/assets.json"
if $release; then
  say "brotli and gzip copies"
  node scripts/precompress.mjs "$staging/pkg/$js" "$staging/pkg/$wasm" "$staging/pkg/$css"
fi

# Swapped in whole, so a server running meanwhile never serves half a site.
rm -rf "$site.old"
if [ -d "$site" ]; then mv "$site" "$site.old"; fi
mv "$staging" "$site"
rm -rf "$site.old"
echo "$inputs" > "$made_from"
say "$site: $(du -sh "$site" | cut -f1)"
