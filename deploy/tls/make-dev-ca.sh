#!/usr/bin/env bash
# Makes a development certificate authority and one certificate per component, with openssl, for tests,
# the quick start's TLS mode and the compose file. Not for production: a real deployment uses its own CA.
#
#   deploy/tls/make-dev-ca.sh OUT_DIR [NAME...]     (default names: ingestion indicators tasks gateway cli)
#
# Writes OUT_DIR/ca.pem and ca.key (the CA, 10 years), and for each NAME: NAME.pem (certificate signed by
# the CA, 2 years, EC P-256) and NAME.key. Every certificate names NAME, localhost and 127.0.0.1 (and
# ::1) as subject alternative names and serves both as a server certificate and as a client certificate,
# so the same files give TLS on a component's port and mutual TLS when it calls another (ingestion →
# indicators, ingestion → tasks, gateway → all, the CLI → any). An existing CA in OUT_DIR is reused, so
# more names can be added later; run it with another OUT_DIR for a second, unrelated CA.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 OUT_DIR [NAME...]" >&2
  exit 2
fi
out=$1
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(ingestion indicators tasks gateway cli)
command -v openssl >/dev/null || { echo "make-dev-ca: openssl is not installed" >&2; exit 1; }
mkdir -p "$out"
umask 077

if [ ! -f "$out/ca.pem" ] || [ ! -f "$out/ca.key" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
  openssl req -x509 -new -key "$out/ca.key" -sha256 -days 3650 -subj "/O=Luoshi development/CN=Luoshi dev CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.pem" 2>/dev/null
fi

for name in "${names[@]}"; do
  case "$name" in
    *[!a-zA-Z0-9._-]*|"") echo "make-dev-ca: \"$name\" is not a plain name" >&2; exit 2 ;;
  esac
  ext="$(mktemp)"
  cat >"$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1,IP:::1
EXT
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "/O=Luoshi development/CN=$name" -out "$out/$name.csr" 2>/dev/null
  openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial -days 730 \
    -sha256 -extfile "$ext" -out "$out/$name.pem" 2>/dev/null
  rm -f "$out/$name.csr" "$ext"
done
chmod 644 "$out"/*.pem
echo "make-dev-ca: CA $out/ca.pem; certificates: ${names[*]} (in $out)"
