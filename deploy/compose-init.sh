#!/usr/bin/env bash
# Prepares and seeds the compose deployment (deploy/compose.yaml).
#
#   deploy/compose-init.sh         before the first `docker compose up`: makes deploy/.compose/ (the
#                                  development CA and certificates, signing key and tokens of
#                                  deploy/dev-identity.sh) and prints an administrator's token (valid 90
#                                  days; run again for fresh tokens)
#   deploy/compose-init.sh seed    once the services are up: ingests data/seeds as the administrator
#
# Development material only: a real deployment brings its own CA and keys (docs/operations.md).
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$DEPLOY")"
OUT="$DEPLOY/.compose"
compose() { docker compose -f "$DEPLOY/compose.yaml" "$@"; }

if [ "${1:-}" = seed ]; then
  [ -f "$OUT/tokens/admin.token" ] || { echo "compose-init: run deploy/compose-init.sh first" >&2; exit 1; }
  seeds=()
  for f in "$ROOT"/data/seeds/*.txt; do seeds+=("/usr/share/luoshi/seeds/$(basename "$f")"); done
  # Inside the ingestion container the CLI uses that container's certificate (LUOSHI_TLS_*), which names
  # localhost, so no other client certificate is needed.
  compose exec -T ingestion luoshi --ingestion_addr=localhost:7101 --token "$(cat "$OUT/tokens/admin.token")" \
    ingest "${seeds[@]}"
  exit 0
fi

"$DEPLOY/dev-identity.sh" "$OUT"

cat <<INFO
Compose material in $OUT (development CA, certificates, signing key, tokens).
Next:
  docker compose -f deploy/compose.yaml up -d --build
  deploy/compose-init.sh seed
Browser (trust $OUT/tls/ca.pem first, or accept the warning):
  https://localhost:${LUOSHI_HTTPS_PORT:-8080}/#/signin?token=$(cat "$OUT/tokens/admin.token")
Administrator's token (also in $OUT/tokens/admin.token):
$(cat "$OUT/tokens/admin.token")
INFO
