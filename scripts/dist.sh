#!/usr/bin/env bash
# Builds a release and packs it: dist/ztd-dashboard-<version>-<target>.tar.gz, holding
#   bin/ztd-dashboard               the server (release mode)
#   site/                           the pages' static files, named after their content, with
#                                   brotli and gzip copies (scripts/build-site.sh --release)
#   ztd-dashboard.toml.example      every setting with its default (deploy/)
#   ztd-dashboard.service           a systemd unit (deploy/)
#   nginx.conf                      a TLS proxy in front of two replicas (deploy/)
# README.md, "Deploy", says what to do with it.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
target=$(rustc -vV | sed -n 's/^host: //p')
name="ztd-dashboard-$version-$target"

bash scripts/build-site.sh --release

stage="target/dist/$name"
rm -rf "$stage"
mkdir -p "$stage/bin" dist
cp target/release/ztd-dashboard "$stage/bin/"
cp -R target/site "$stage/site"
cp deploy/ztd-dashboard.toml "$stage/ztd-dashboard.toml.example"
cp deploy/ztd-dashboard.service deploy/nginx.conf "$stage/"
tar -C target/dist -czf "dist/$name.tar.gz" "$name"
printf '==> dist/%s.tar.gz: %s\n' "$name" "$(du -h "dist/$name.tar.gz" | cut -f1)"
