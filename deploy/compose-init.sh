#!/usr/bin/env bash
# Prepares and seeds the compose deployment (deploy/compose.yaml).
#
#   deploy/compose-init.sh         before the first `docker compose up`: makes deploy/.compose/ with the
#                                  development CA and a certificate per component (deploy/tls/make-dev-ca.sh),
#                                  the deployment's signing key (kept on first run), the services' token,
#                                  and prints an administrator's token (valid 90 days; run again for a fresh one)
#   deploy/compose-init.sh seed    once the services are up: ingests data/seeds as the administrator
#
# The `luoshi` CLI is the build's ($LUOSHI_BUILD_DIR, default build/) or, without one, the one in the
# luoshi-ingestion image. Development material only: a real deployment brings its own CA and keys
# (docs/operations.md).
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$DEPLOY")"
OUT="$DEPLOY/.compose"
IMAGE="luoshi-ingestion:${LUOSHI_IMAGE_TAG:-dev}"
CLI="${LUOSHI_BUILD_DIR:-$ROOT/build}/services/cli/luoshi"
compose() { docker compose -f "$DEPLOY/compose.yaml" "$@"; }

luoshi() {  # the CLI, with deploy/.compose/ as /work when it comes from the image
  if [ -x "$CLI" ]; then
    (cd "$OUT" && "$CLI" "$@")
  else
    docker run --rm --user "$(id -u):$(id -g)" -v "$OUT:/work" -w /work --entrypoint luoshi "$IMAGE" "$@"
  fi
}

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

mkdir -p "$OUT/keys" "$OUT/tokens"
chmod 700 "$OUT"
"$DEPLOY/tls/make-dev-ca.sh" "$OUT/tls" ingestion indicators tasks gateway cli >/dev/null
if [ ! -f "$OUT/keys/signing.private.pem" ]; then
  rm -rf "$OUT/keys/new"
  luoshi key generate keys/new >/dev/null
  mv "$OUT"/keys/new/*.private.pem "$OUT/keys/signing.private.pem"
  mv "$OUT"/keys/new/*.public.pem "$OUT/keys/signing.public.pem"
  rmdir "$OUT/keys/new"
fi
luoshi token issue --user luoshi-service --role service --expires 90d --key keys/signing.private.pem \
  >"$OUT/tokens/service.token"
luoshi token issue --user 管理员 --role admin --expires 90d --key keys/signing.private.pem >"$OUT/tokens/admin.token"
# Compose mounts secrets as the files they are, and the services run as uid 10001: the files must be
# readable by it. deploy/.compose itself stays private to its owner (mode 700).
chmod 644 "$OUT"/tls/*.key "$OUT/keys/signing.public.pem" "$OUT/tokens/service.token"
chmod 600 "$OUT/keys/signing.private.pem" "$OUT/tls/ca.key" "$OUT/tokens/admin.token"

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
