#!/usr/bin/env bash
# End-to-end check of the containers where Docker runs: builds the four images, starts deploy/compose.yaml
# under its own project name and port, waits for every service's health, checks that the administrator's
# token reads data through the gateway (grpc-web over HTTPS), and tears it all down (volumes included).
# Not part of the test command, which runs where no container daemon is; docs/operations.md says when to
# run it. Exits 0 with "docker not found: skipped" where there is no Docker.
#
#   deploy/smoke.sh            (LUOSHI_SMOKE_PORT: host port of the gateway, default 18443)
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v docker >/dev/null 2>&1; then echo "docker not found: skipped"; exit 0; fi
if ! docker info >/dev/null 2>&1; then echo "docker daemon not reachable: skipped"; exit 0; fi

PORT="${LUOSHI_SMOKE_PORT:-18443}"
PROJECT=luoshi-smoke
export LUOSHI_HTTPS_PORT="$PORT"
compose() { docker compose -p "$PROJECT" -f "$DEPLOY/compose.yaml" "$@"; }
fail() { echo "smoke: FAIL: $*" >&2; compose ps >&2 || true; compose logs --tail 30 >&2 || true; exit 1; }
cleanup() { compose down --volumes --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "smoke: building images"
compose build
"$DEPLOY/compose-init.sh" >/dev/null
CA="$DEPLOY/.compose/tls/ca.pem"
TOKEN="$(cat "$DEPLOY/.compose/tokens/admin.token")"

echo "smoke: starting"
compose up -d --wait --wait-timeout 180 || fail "the services did not all become healthy"
for s in ingestion indicators tasks gateway; do
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q "$s")")" = healthy ] || fail "$s is not healthy"
done
curl -sf --cacert "$CA" "https://localhost:$PORT/healthz" >/dev/null || fail "/healthz through the published port"

echo "smoke: loading the samples and reading them back through the gateway"
"$DEPLOY/compose-init.sh" seed >/dev/null || fail "ingesting the samples"
# ListDocuments as grpc-web: an empty request message (flag byte 0, length 0); the reply is a message
# frame and a trailer frame ("grpc-status: 0").
reply="$(mktemp)"
printf '\0\0\0\0\0' | curl -sf --cacert "$CA" "https://localhost:$PORT/luoshi.v1.IngestionService/ListDocuments" \
  -H "content-type: application/grpc-web+proto" -H "x-grpc-web: 1" -H "authorization: Bearer $TOKEN" \
  --data-binary @- -o "$reply" || fail "ListDocuments through the gateway"
grep -aq "grpc-status: *0" "$reply" || fail "ListDocuments answered: $(tr -c '[:print:]' ' ' <"$reply" | tail -c 200)"
grep -aq "工作报告" "$reply" || fail "ListDocuments lists none of the sample documents"
rm -f "$reply"
echo "smoke: OK"
