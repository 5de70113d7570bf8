#!/usr/bin/env bash
# Fuzzes with libFuzzer for a bounded time (part of scripts/test.sh; also runs alone): the extraction
# library (LUOSHI_FUZZ_SECONDS, default 60; corpus from data/seeds/ and
# services/ingestion/extract/testdata/fuzz/), the gateway's grpc-web request parser
# (LUOSHI_FUZZ_GATEWAY_SECONDS, default 30; corpus from services/gateway/testdata/fuzz/) and the identity
# token parser and verifier (LUOSHI_FUZZ_TOKEN_SECONDS, default 20; services/common/testdata/jwt_fuzz/), and the
# .docx and HTML readers alone (LUOSHI_FUZZ_READER_SECONDS each, default 20; corpus: the extractor's test
# documents of that format). Builds only
# the fuzz targets, with clang, in $LUOSHI_FUZZ_BUILD_DIR (default build-fuzz/), and exits 0 when no
# input crashed, hung or leaked; otherwise 1, printing the saved input's path and the report.
#
#   scripts/fuzz.sh            # LUOSHI_FUZZ_SECONDS, _GATEWAY_SECONDS, _TOKEN_SECONDS, _READER_SECONDS, LUOSHI_JOBS
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

FUZZ_DIR="${LUOSHI_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
EXTRACT_SECONDS="${LUOSHI_FUZZ_SECONDS:-60}"
GATEWAY_SECONDS="${LUOSHI_FUZZ_GATEWAY_SECONDS:-30}"
TOKEN_SECONDS="${LUOSHI_FUZZ_TOKEN_SECONDS:-20}"
READER_SECONDS="${LUOSHI_FUZZ_READER_SECONDS:-20}"
LOGDIR="$BUILD_DIR/test-logs"
ARTIFACTS="$LOGDIR/fuzz-artifacts"
mkdir -p "$LOGDIR" "$ARTIFACTS"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ is not installed (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

log "Building the libFuzzer targets with clang in $FUZZ_DIR"
if [ ! -f "$FUZZ_DIR/build.ninja" ]; then
  if ! CC=clang CXX=clang++ cmake -S "$ROOT" -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DLUOSHI_FUZZ=ON -DLUOSHI_BUILD_TESTS=OFF >"$LOGDIR/fuzz-build.log" 2>&1; then
    tail -30 "$LOGDIR/fuzz-build.log"
    echo "fuzz: FAILED: cannot configure the clang build in $FUZZ_DIR"
    rm -f "$FUZZ_DIR/build.ninja"  # configure again next time
    exit 1
  fi
fi
if ! cmake --build "$FUZZ_DIR" -j "$JOBS" --target luoshi_extract_fuzz luoshi_docx_fuzz luoshi_html_fuzz \
    luoshi_grpc_web_fuzz luoshi_jwt_fuzz \
    >>"$LOGDIR/fuzz-build.log" 2>&1; then
  grep -E "error:" "$LOGDIR/fuzz-build.log" | head -10
  echo "fuzz: FAILED: clang cannot build the fuzz targets (full log: $LOGDIR/fuzz-build.log)"
  exit 1
fi

# fuzz_one NAME BINARY SECONDS MAX_LEN CORPUS_SOURCE... (directories or files): runs one target from a fresh corpus copy;
# returns 0 when nothing crashed, hung or leaked.
fuzz_one() {
  local name=$1 binary=$2 seconds=$3 max_len=$4; shift 4
  local corpus log="$LOGDIR/fuzz-$name.log"
  corpus="$(mktemp -d "${TMPDIR:-/tmp}/luoshi-fuzz-$name.XXXXXX")"
  for src in "$@"; do
    if [ -d "$src" ]; then cp "$src"/* "$corpus"/; else cp "$src" "$corpus"/; fi
  done
  rm -f "$corpus/README.md"
  log "Fuzzing $name for ${seconds}s"
  # -max_len keeps mutants small so the fuzzer makes many runs; -timeout marks a single input that takes
  # longer as a hang; ASan, UBSan and LeakSanitizer reports are crashes.
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -artifact_prefix="$ARTIFACTS/$name-" -print_final_stats=1 "$corpus" >"$log" 2>&1
  local rc=$?
  rm -rf "$corpus"
  local runs input
  runs=$(grep -E "^stat::number_of_executed_units:" "$log" | awk '{print $2}' | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz: $name: ${runs:-?} inputs in ${seconds}s without a crash, hang or leak (log: $log)"
    return 0
  fi
  input=$(grep -oE "Test unit written to [^ ]+" "$log" | awk '{print $NF}' | tail -1)
  grep -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:|ALARM|out-of-memory" "$log" | head -10
  grep -E "^    #[0-9]+ " "$log" | head -15
  echo "fuzz: $name: FAILED (exit $rc) after ${runs:-?} inputs; crashing input: ${input:-not saved}; full log: $log"
  echo "      reproduce: $binary ${input:-INPUT}"
  return 1
}

failed=0
fuzz_one extraction "$FUZZ_DIR/services/ingestion/extract/luoshi_extract_fuzz" "$EXTRACT_SECONDS" 4096 \
  "$ROOT/data/seeds" "$ROOT/services/ingestion/extract/testdata/fuzz" || failed=1
EXTRACT_TESTDATA="$ROOT/services/ingestion/extract/testdata"
fuzz_one docx "$FUZZ_DIR/services/ingestion/extract/luoshi_docx_fuzz" "$READER_SECONDS" 65536 \
  "$EXTRACT_TESTDATA"/*/*.docx || failed=1
fuzz_one html "$FUZZ_DIR/services/ingestion/extract/luoshi_html_fuzz" "$READER_SECONDS" 16384 \
  "$EXTRACT_TESTDATA"/*/*.html || failed=1
fuzz_one grpc-web "$FUZZ_DIR/services/gateway/luoshi_grpc_web_fuzz" "$GATEWAY_SECONDS" 1024 \
  "$ROOT/services/gateway/testdata/fuzz" || failed=1
fuzz_one token "$FUZZ_DIR/services/common/luoshi_jwt_fuzz" "$TOKEN_SECONDS" 1024 \
  "$ROOT/services/common/testdata/jwt_fuzz" || failed=1
exit "$failed"
