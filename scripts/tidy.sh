#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy, every finding an error) over Luoshi's own C++ sources: the
# .cc files under services/ and tests/ that the build compiles, found in $BUILD_DIR/compile_commands.json
# (generated code under build/ is not checked; headers under services/ are, through the files that include
# them). Needs a configured build whose generated protobuf headers exist (scripts/setup.sh makes one).
#
#   scripts/tidy.sh                   every file: ~32 CPU-minutes, ~16 minutes at -j2 on two idle cores
#                                     (measured on the 2-core machine, clang-tidy 14; the clang-analyzer
#                                     checks on the test files are most of it), so not in every test run
#   scripts/tidy.sh --changed [BASE]  only the .cc files changed against BASE, committed or not (what
#                                     scripts/test.sh runs). Without BASE: origin/main when HEAD is not on
#                                     it, else HEAD~1 (the last commit's files, e.g. in CI on main); every
#                                     file when neither exists (a shallow clone)
#   scripts/tidy.sh FILE...           only these files
#
# Parallel with $LUOSHI_JOBS (default 2). Prints every finding once; exits non-zero if there is any (or if
# a file fails to parse). LUOSHI_SKIP_TIDY=1 skips it. CLANG_TIDY picks the binary (default clang-tidy).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if [ "${LUOSHI_SKIP_TIDY:-0}" = 1 ]; then
  log "clang-tidy skipped (LUOSHI_SKIP_TIDY=1)"
  exit 0
fi
TIDY="${CLANG_TIDY:-clang-tidy}"
if ! command -v "$TIDY" >/dev/null 2>&1; then
  echo "tidy.sh: $TIDY not found (scripts/setup.sh installs it)" >&2
  exit 1
fi
DB="$BUILD_DIR/compile_commands.json"
if [ ! -f "$DB" ]; then
  echo "tidy.sh: $DB missing; configure and build first (scripts/setup.sh)" >&2
  exit 1
fi

# Every compiled .cc file of ours, relative to the root.
mapfile -t ALL < <(grep -o '"file": *"[^"]*"' "$DB" | sed -E 's/^"file": *"(.*)"$/\1/' |
  sed "s|^$ROOT/||" | grep -E '^(services|tests)/.*\.cc$' | sort -u)

FILES=()
if [ "${1:-}" = "--changed" ]; then
  BASE="${2:-}"
  if [ -z "$BASE" ]; then
    cd "$ROOT" || exit 1
    if git rev-parse -q --verify origin/main >/dev/null &&
       [ "$(git rev-parse HEAD)" != "$(git rev-parse origin/main)" ]; then
      BASE=origin/main
    elif git rev-parse -q --verify HEAD~1 >/dev/null; then
      BASE=HEAD~1
    fi
  fi
  if [ -z "$BASE" ]; then
    CHANGED=("${ALL[@]}")
  else
    log "clang-tidy on the files changed against $BASE"
    mapfile -t CHANGED < <(cd "$ROOT" && { git diff --name-only "$BASE"...HEAD; git diff --name-only HEAD; } | sort -u)
  fi
  for f in "${CHANGED[@]}"; do
    for a in "${ALL[@]}"; do [ "$f" = "$a" ] && FILES+=("$f"); done
  done
elif [ $# -gt 0 ]; then
  for f in "$@"; do FILES+=("${f#"$ROOT"/}"); done
else
  FILES=("${ALL[@]}")
fi
if [ ${#FILES[@]} -eq 0 ]; then
  log "clang-tidy: no files to check"
  exit 0
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
log "clang-tidy on ${#FILES[@]} files (-j$JOBS)"
start=$SECONDS
# One clang-tidy per file; each writes its findings to its own file and leaves a mark when it fails.
printf '%s\n' "${FILES[@]}" | (cd "$ROOT" && xargs -P "$JOBS" -I{} sh -c '
  out="$1/$(printf %s "$2" | tr / _)"
  "$3" -p "$4" --quiet "$2" >"$out.log" 2>&1 || touch "$out.failed"' _ "$OUT" {} "$TIDY" "$BUILD_DIR")

# Findings (a header's appear once per file that includes it: printed once), then the files that failed.
cat "$OUT"/*.log | grep -vE '^[0-9]+ (warnings?|errors?)( and [0-9]+ (warnings?|errors?))? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' |
  awk 'BEGIN { keep = 1 } /^[^ ].*:[0-9]+:[0-9]+: (warning|error):/ { keep = !seen[$0]++ } keep' >"$OUT/findings"
cat "$OUT/findings"
failed=$(find "$OUT" -name '*.failed' | wc -l)
log "clang-tidy: $failed of ${#FILES[@]} files with findings ($((SECONDS - start)) s)"
[ "$failed" -eq 0 ]
