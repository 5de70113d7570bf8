#!/usr/bin/env bash
# Fuzzes the extraction library with libFuzzer for a bounded time (part of scripts/test.sh; also runs
# alone). Builds only the fuzz target, with clang, in $LUOSHI_FUZZ_BUILD_DIR (default build-fuzz/),
# starts from a fresh copy of data/seeds/ and services/ingestion/extract/testdata/fuzz/, and exits 0
# when no input crashed, hung or leaked; otherwise 1, printing the saved input's path and the report.
#
#   scripts/fuzz.sh            # LUOSHI_FUZZ_SECONDS (default 60), LUOSHI_JOBS
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

FUZZ_DIR="${LUOSHI_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_TO_RUN="${LUOSHI_FUZZ_SECONDS:-60}"
LOGDIR="$BUILD_DIR/test-logs"
ARTIFACTS="$LOGDIR/fuzz-artifacts"
LOG="$LOGDIR/fuzz.log"
mkdir -p "$LOGDIR" "$ARTIFACTS"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ is not installed (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

log "Building the libFuzzer target with clang in $FUZZ_DIR"
if [ ! -f "$FUZZ_DIR/build.ninja" ]; then
  if ! CC=clang CXX=clang++ cmake -S "$ROOT" -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DLUOSHI_FUZZ=ON -DLUOSHI_BUILD_TESTS=OFF >"$LOGDIR/fuzz-build.log" 2>&1; then
    tail -30 "$LOGDIR/fuzz-build.log"
    echo "fuzz: FAILED: cannot configure the clang build in $FUZZ_DIR"
    rm -f "$FUZZ_DIR/build.ninja"  # configure again next time
    exit 1
  fi
fi
if ! cmake --build "$FUZZ_DIR" -j "$JOBS" --target luoshi_extract_fuzz >>"$LOGDIR/fuzz-build.log" 2>&1; then
  grep -E "error:" "$LOGDIR/fuzz-build.log" | head -10
  echo "fuzz: FAILED: clang cannot build luoshi_extract_fuzz (full log: $LOGDIR/fuzz-build.log)"
  exit 1
fi

CORPUS="$(mktemp -d "${TMPDIR:-/tmp}/luoshi-fuzz-corpus.XXXXXX")"
trap 'rm -rf "$CORPUS"' EXIT
cp "$ROOT"/data/seeds/* "$CORPUS"/
cp "$ROOT"/services/ingestion/extract/testdata/fuzz/* "$CORPUS"/
rm -f "$CORPUS/README.md"

log "Fuzzing the extraction library for ${SECONDS_TO_RUN}s"
# -max_len keeps mutants small (the seeds are read whole, mutants are cut to 4 KiB) so the fuzzer makes
# thousands of runs; -timeout marks a single input that takes longer as a hang; ASan, UBSan and
# LeakSanitizer reports are crashes.
"$FUZZ_DIR/services/ingestion/extract/luoshi_extract_fuzz" \
  -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$CORPUS" >"$LOG" 2>&1
rc=$?

runs=$(grep -E "^stat::number_of_executed_units:" "$LOG" | awk '{print $2}' | tail -1)
if [ "$rc" -eq 0 ]; then
  echo "fuzz: ${runs:-?} inputs in ${SECONDS_TO_RUN}s without a crash, hang or leak (log: $LOG)"
  exit 0
fi
input=$(grep -oE "(Test unit written to|artifact_prefix.*; Test unit written to) [^ ]+" "$LOG" | awk '{print $NF}' | tail -1)
grep -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:|ALARM|out-of-memory" "$LOG" | head -10
grep -E "^    #[0-9]+ " "$LOG" | head -15
echo "fuzz: FAILED (exit $rc) after ${runs:-?} inputs; crashing input: ${input:-not saved}; full log: $LOG"
echo "      reproduce: $FUZZ_DIR/services/ingestion/extract/luoshi_extract_fuzz ${input:-INPUT}"
exit 1
