# Shared settings of the scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${LUOSHI_BUILD_DIR:-$ROOT/build}"
JOBS="${LUOSHI_JOBS:-2}"
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
