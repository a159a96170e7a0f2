#!/usr/bin/env bash
# make test-deploy: the release make dist packed (dist/ztd-dashboard-*.tar.gz), deployed on
# this machine as README "Deploy" says, then used through a browser:
#   - unpacked into a temporary folder;
#   - two replicas of it on one PostgreSQL database (scripts/postgres.sh), with one
#     encryption key, public_url the proxy's https address, the proxy in trusted_proxies,
#     JSON logs, against a standalone sandbox as Entra ID and Partner Center;
#   - Debian's nginx in front, configured from deploy/nginx.conf (only its addresses, ports
#     and certificate changed), with a self-signed certificate made now, round robin to both;
#   - the browser journey (end2end/deploy/), JavaScript on and off, through https://.
# Everything it starts is stopped, and its folder and database removed, when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }
tarball=$(ls -t dist/ztd-dashboard-*.tar.gz 2>/dev/null | head -1 || true)
if [ -z "$tarball" ]; then
  echo "no release in dist/: run make dist first (make test-deploy does)" >&2
  exit 2
fi
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  say "installing Debian's nginx"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
bash scripts/postgres.sh start
postgres=$(bash scripts/postgres.sh url)

base=${ZTD_DEPLOY_PORT:-3420}
proxy=$base replica1=$((base + 1)) replica2=$((base + 2)) sandbox=$((base + 3)) plain=$((base + 4))
work=$(mktemp -d /tmp/ztd-deploy.XXXXXX)
# nginx's workers (another user, when it runs as root) write their buffers under it.
chmod 755 "$work"
database="ztd_deploy_$(date +%s)_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$postgres" -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true
  if [ "${ZTD_DEPLOY_KEEP:-}" = "" ]; then rm -rf "$work"; else say "kept $work"; fi
}
trap cleanup EXIT

say "unpacking $tarball"
tar -xzf "$tarball" -C "$work"
release=$(echo "$work"/ztd-dashboard-*)

say "a certificate for 127.0.0.1, the database, the sandbox"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
psql -q "$postgres" -c "CREATE DATABASE $database" >/dev/null
database_url="${postgres%/*}/$database"
public="https://127.0.0.1:$proxy"
"$release/bin/ztd-dashboard" sandbox --addr "127.0.0.1:$sandbox" \
  --redirect-uri "$public/auth/callback" > "$work/sandbox.log" 2>&1 &
pids+=($!)

key=$(openssl rand -base64 32)
for n in 1 2; do
  port=$((base + n))
  say "replica $n on 127.0.0.1:$port"
  # The release's example configuration, as README "Deploy" has it copied; the environment
  # overrides what this machine needs otherwise (as ZTD_* variables always do).
  env -i PATH="$PATH" HOME="$work" ZTD_CONFIG="$release/ztd-dashboard.toml.example" \
    ZTD_LISTEN_ADDR="127.0.0.1:$port" ZTD_PUBLIC_URL="$public" ZTD_TRUSTED_PROXIES=127.0.0.1 \
    ZTD_DATABASE_URL="$database_url" ZTD_ENCRYPTION_KEY="$key" \
    ZTD_DATA_DIR="$work/data-$n" ZTD_SITE_ROOT="$release/site" ZTD_LOG_FORMAT=json \
    ZTD_ENTRA_TENANT=5a9d1f3e-0c2b-4e7a-9b1d-7c4e2f6a8b10 \
    ZTD_ENTRA_CLIENT_ID=0b5e2c4d-6f70-4a1b-8c9d-e0f1a2b3c4d5 \
    ZTD_ENTRA_CLIENT_SECRET=sandbox-client-secret \
    ZTD_ENTRA_AUTHORITY_HOST="http://localhost:$sandbox" \
    ZTD_PARTNER_CENTER_URL="http://localhost:$sandbox" \
    "$release/bin/ztd-dashboard" > "$work/replica-$n.log" 2>&1 &
  pids+=($!)
done
for port in "$replica1" "$replica2"; do
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work"/replica-*.log >&2; exit 1; }
done

say "nginx on $public, from deploy/nginx.conf"
mkdir -p "$work/nginx/logs" "$work/nginx/temp"
chmod -R a+rwx "$work/nginx"
site=$(sed \
  -e "s#127.0.0.1:3000#127.0.0.1:$replica1#" \
  -e "s#127.0.0.1:3001#127.0.0.1:$replica2#" \
  -e "s#listen 80;#listen 127.0.0.1:$plain;#" \
  -e "s#listen 443 ssl#listen 127.0.0.1:$proxy ssl#" \
  -e "s#server_name dashboard.example.com;#server_name 127.0.0.1;#" \
  -e "s#/etc/ssl/certs/dashboard.example.com.pem#$work/tls.crt#" \
  -e "s#/etc/ssl/private/dashboard.example.com.key#$work/tls.key#" \
  deploy/nginx.conf)
# Each address above was in the example, and was changed.
for expected in "127.0.0.1:$replica1" "127.0.0.1:$replica2" "listen 127.0.0.1:$plain;" \
  "listen 127.0.0.1:$proxy ssl" "server_name 127.0.0.1;" "$work/tls.crt" "$work/tls.key"; do
  grep -qF "$expected" <<<"$site" || { echo "deploy/nginx.conf no longer has what the test changes: $expected" >&2; exit 1; }
done
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log $work/nginx/logs/access.log;
  client_body_temp_path $work/nginx/temp/body;
  proxy_temp_path $work/nginx/temp/proxy;
  fastcgi_temp_path $work/nginx/temp/fastcgi;
  uwsgi_temp_path $work/nginx/temp/uwsgi;
  scgi_temp_path $work/nginx/temp/scgi;
$site
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g "daemon off;" &
pids+=($!)
for _ in $(seq 1 50); do
  curl -kfs "$public/healthz" >/dev/null && break
  sleep 0.2
done
curl -kfs "$public/healthz" >/dev/null || { cat "$work/nginx/logs/error.log" >&2; exit 1; }

say "the browser journey through $public"
(cd end2end && ZTD_DEPLOY_URL="$public" ZTD_DEPLOY_LOGS="$work" npx playwright test -c deploy.config.ts)
