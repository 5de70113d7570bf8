#!/usr/bin/env bash
# Installs what is missing (Debian packages, the web client's npm packages), then configures and builds
# Luoshi incrementally. Run by start.sh and test.sh; safe and fast to run again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# The package lists live in deploy/packages/ (the Dockerfile's build stage installs the same build list).
PACKAGE_LISTS=("$ROOT/deploy/packages/build.txt" "$ROOT/deploy/packages/test.txt")

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Prints the packages of the lists that are wanted here: every "PACKAGE", and "PACKAGE ?COMMAND" only
# when COMMAND is not on the PATH.
wanted_packages() {
  local name cmd
  sed -e 's/#.*//' "$@" | while read -r name cmd; do
    [ -n "$name" ] || continue
    if [ -n "$cmd" ] && command -v "${cmd#\?}" >/dev/null 2>&1; then continue; fi
    echo "$name"
  done
}

install_debian_packages() {
  local missing=() p
  for p in $(wanted_packages "${PACKAGE_LISTS[@]}"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# npm ci in DIR when its lockfile is newer than what node_modules was installed from.
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "Installing npm packages in ${dir#"$ROOT"/} (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_web_client() {
  local web="$ROOT/client-web"
  [ -f "$web/package.json" ] || return 0
  npm_install "$web"
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
npm_install "$ROOT/tests/deploy"
build_cpp
