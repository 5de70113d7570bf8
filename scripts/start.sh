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

start() {
  local name=$1; shift
  "$BIN/$name/luoshi-$name" "$@" >>"$DATA/logs/$name.log" 2>&1 &
  PIDS+=($!)
}
log "Starting services (logs in $DATA/logs)"
start indicators --db="$DATA/indicators.db"
start tasks --db="$DATA/tasks.db"
start ingestion --db="$DATA/ingestion.db"
start gateway

LUOSHI="$BIN/cli/luoshi"
for _ in $(seq 1 100); do
  "$LUOSHI" health >/dev/null 2>&1 && break
  sleep 0.2
done
"$LUOSHI" health

# A local administrator credential where the CLI looks for it.
CRED="$("$ROOT/scripts/credentials-path.sh")"
if [ ! -f "$CRED" ]; then
  mkdir -p "$(dirname "$CRED")"
  printf 'user=admin\nrole=admin\nunit=\n' >"$CRED"
  chmod 600 "$CRED"
fi

if "$LUOSHI" --help 2>&1 | grep -q "luoshi ingest"; then
  log "Loading the sample documents"
  "$LUOSHI" ingest "$ROOT"/data/seeds/*.txt
fi

cat <<INFO

Luoshi is running on loopback.
  Browser:      http://127.0.0.1:7100/
  Health:       $LUOSHI health
  CLI:          $LUOSHI --help      (identity: $CRED, role admin)
  Data:         $DATA   Logs: $DATA/logs
Press Ctrl-C to stop everything.
INFO
wait -n "${PIDS[@]}" || true
echo "A service stopped unexpectedly; see $DATA/logs." >&2
