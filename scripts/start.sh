#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts the four services on loopback with SQLite files
# under data/local/, loads the sample documents, and prints how to use the system. Ctrl-C stops it all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
BIN="$BUILD_DIR/services"
DATA="${LUOSHI_DATA_DIR:-$ROOT/data/local}"
mkdir -p "$DATA/logs"

PIDS=()
stop_all() {
  trap - INT TERM EXIT
  if [ ${#PIDS[@]} -gt 0 ]; then
    log "Stopping Luoshi"
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'stop_all; exit 0' INT TERM

for port in 7100 7101 7102 7103; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port on 127.0.0.1 is already in use: is Luoshi already running? Stop it first." >&2
    exit 1
  fi
done

LUOSHI="$BIN/cli/luoshi"

# Signed identity (docs/identity.md). First run: a key pair; the private half stays in $KEYS/signing
# (whoever issues tokens), the services trust the public half in $KEYS/public. Every run: fresh tokens
# for the ingestion service and one person of each role, valid for 90 days.
KEYS="$DATA/keys"
if ! ls "$KEYS"/signing/*.private.pem >/dev/null 2>&1; then
  log "Making the deployment's signing key (first run)"
  mkdir -p "$KEYS/public"
  "$LUOSHI" key generate "$KEYS/signing" >/dev/null
  chmod 700 "$KEYS/signing"
fi
cp "$KEYS"/signing/*.public.pem "$KEYS/public/"
SIGNING_KEY="$(ls "$KEYS"/signing/*.private.pem | head -n 1)"
touch "$KEYS/revoked.txt"  # add a token's id (luoshi token inspect shows it) to revoke it
TOKENS="$DATA/tokens"
mkdir -p "$TOKENS"
chmod 700 "$TOKENS"
issue() {  # issue FILE_NAME luoshi-token-issue-flags...
  local name=$1; shift
  "$LUOSHI" token issue "$@" --expires 90d --key "$SIGNING_KEY" >"$TOKENS/$name.token"
  chmod 600 "$TOKENS/$name.token"
}
issue service --user luoshi-ingestion --role service
issue admin --user 管理员 --role admin
issue supervisor --user 督查室 --unit 区政府督查室 --role supervisor
issue office --user 农业农村局经办人 --unit 区农业农村局 --role office
issue viewer --user 浏览者 --role viewer
AUTH=(--auth_keys="$KEYS/public" --auth_revoked="$KEYS/revoked.txt")

start() {
  local name=$1; shift
  "$BIN/$name/luoshi-$name" "$@" >>"$DATA/logs/$name.log" 2>&1 &
  PIDS+=($!)
}
log "Starting services (logs in $DATA/logs)"
start indicators --db="$DATA/indicators.db" "${AUTH[@]}"
start tasks --db="$DATA/tasks.db" "${AUTH[@]}" --service_token="$TOKENS/service.token"
start ingestion --db="$DATA/ingestion.db" "${AUTH[@]}" --service_token="$TOKENS/service.token"
start gateway

for _ in $(seq 1 100); do
  "$LUOSHI" health >/dev/null 2>&1 && break
  sleep 0.2
done
"$LUOSHI" health

# The local administrator's token where the CLI looks for it, unless the file already holds a token
# this deployment accepts (someone signed in as another role keeps that sign-in).
CRED="$("$ROOT/scripts/credentials-path.sh")"
CURRENT=""
[ -f "$CRED" ] && CURRENT="$(sed -n 's/^token=//p' "$CRED" | head -n 1)"
if [ -z "$CURRENT" ] || ! "$LUOSHI" token inspect "$CURRENT" --keys "$KEYS/public" 2>/dev/null | grep -q '^valid: *yes'; then
  "$LUOSHI" --credentials "$CRED" login --token "$(cat "$TOKENS/admin.token")" >/dev/null
fi

if "$LUOSHI" --help 2>&1 | grep -q "luoshi ingest"; then
  log "Loading the sample documents"
  "$LUOSHI" --token "$(cat "$TOKENS/admin.token")" ingest "$ROOT"/data/seeds/*.txt
fi

cat <<INFO

Luoshi is running on loopback.
  Health:       $LUOSHI health
  CLI:          $LUOSHI --help      (signed in as: $("$LUOSHI" whoami 2>/dev/null | sed -n 's/^role: *//p'), token in $CRED)
  Data:         $DATA   Logs: $DATA/logs

Sign in as each role (tokens valid 90 days, also in $TOKENS/):
  Browser, supervisor (督查室):
    http://127.0.0.1:7100/#/signin?token=$(cat "$TOKENS/supervisor.token")
  Browser, office (区农业农村局):
    http://127.0.0.1:7100/#/signin?token=$(cat "$TOKENS/office.token")
  CLI as the office:      $LUOSHI login --token "\$(cat $TOKENS/office.token)"
  CLI as the supervisor:  $LUOSHI login --token "\$(cat $TOKENS/supervisor.token)"
  Back to administrator:  $LUOSHI login --token "\$(cat $TOKENS/admin.token)"
Press Ctrl-C to stop everything.
INFO
wait -n "${PIDS[@]}" || true
echo "A service stopped unexpectedly; see $DATA/logs." >&2
