#!/usr/bin/env bash
# Installs what is missing (Debian packages, the web client's npm packages), then configures and builds
# Luoshi incrementally. Run by start.sh and test.sh; safe and fast to run again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev libabsl-dev
  libsqlite3-dev libssl-dev zlib1g-dev libboost1.81-dev libpugixml-dev libzip-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev clang-tidy
  python3 python3-jwt
  chromium fonts-noto-cjk
)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_debian_packages() {
  local missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

build_web_client() {
  local web="$ROOT/client-web"
  [ -f "$web/package.json" ] || return 0
  if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    log "Installing the web client's npm packages (npm ci)"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  log "Building the web client"
  (cd "$web" && npm run --silent build)
}

build_cpp() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "Configuring the C++ build in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  fi
  log "Building (-j$JOBS)"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

install_debian_packages
build_web_client
build_cpp
