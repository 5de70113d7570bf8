#!/usr/bin/env bash
# Makes a development deployment's identity material in OUT_DIR, for compose (deploy/compose-init.sh) and
# the Kubernetes dev overlay (deploy/k8s/overlays/dev):
#   OUT_DIR/tls/       CA and one certificate per component (deploy/tls/make-dev-ca.sh; the CA is kept)
#   OUT_DIR/keys/      signing.private.pem (issues tokens; kept once made) and signing.public.pem (services)
#   OUT_DIR/tokens/    service.token (role service) and admin.token, valid 90 days, fresh on every run
#
#   deploy/dev-identity.sh OUT_DIR
#
# Uses the `luoshi` CLI of the build ($LUOSHI_BUILD_DIR, default build/) or, without one, the one in the
# luoshi-ingestion image ($LUOSHI_IMAGE_TAG, default dev). Not for production: a real deployment brings its
# own CA and keeps its signing key elsewhere (docs/operations.md).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
CLI="${LUOSHI_BUILD_DIR:-$(dirname "$DEPLOY")/build}/services/cli/luoshi"

luoshi() {  # the CLI, run in OUT_DIR (mounted as /work when it comes from the image)
  if [ -x "$CLI" ]; then
    (cd "$OUT" && "$CLI" "$@")
  else
    docker run --rm --user "$(id -u):$(id -g)" -v "$OUT:/work" -w /work --entrypoint luoshi \
      "luoshi-ingestion:${LUOSHI_IMAGE_TAG:-dev}" "$@"
  fi
}

chmod 700 "$OUT"
mkdir -p "$OUT/keys" "$OUT/tokens"
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
# Compose mounts secrets as the files they are and the services run as uid 10001, so what the services
# read must be readable by it; OUT_DIR itself stays private to its owner (mode 700).
chmod 644 "$OUT"/tls/*.key "$OUT/keys/signing.public.pem" "$OUT/tokens/service.token"
chmod 600 "$OUT/keys/signing.private.pem" "$OUT/tls/ca.key" "$OUT/tokens/admin.token"
