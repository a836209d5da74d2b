#!/usr/bin/env bash
# Builds kafkatrace and runs every check CI runs:
#   1. formatting (clang-format, no diff allowed)
#   2. optimized build with -Werror, all tests (unit, broker, interop, examples)
#   2b. the benchmarks' Release (-O3) build with -Werror: GCC warns about more at -O3
#   3. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   4. the libFuzzer targets (header parsing, the Kafka header walk against the propagators,
#      OTLP decoding), each for KAFKATRACE_FUZZ_SECONDS (default 30), one per core at a time
# Installs missing Debian packages first (idempotent). Build trees: build/, build-bench/,
# build-asan/, build-fuzz/. Prints one summary line at the end; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
fuzz_seconds=${KAFKATRACE_FUZZ_SECONDS:-30}
started=$(date +%s)

step() { printf '\n==> %s (at %ds)\n' "$*" $(($(date +%s) - started)); }

step "dependencies"
bash scripts/install-deps.sh --browser
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)  # playwright-core, no browser download
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)  # kafkajs + OpenTelemetry JS

step "format check"
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find include src tests bench examples fuzz -name '*.cc' -o -name '*.h')
clang-format --dry-run --Werror "${sources[@]}"

step "release build + tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKAFKATRACE_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest -j"$jobs" --output-on-failure) | tee build/ctest.log | tail -n 3
release_summary=$(grep -E 'tests passed' build/ctest.log)

step "benchmarks' Release build (-O3, -Werror)"
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DKAFKATRACE_WERROR=ON >/dev/null
cmake --build build-bench -j"$jobs"

step "ASan + UBSan build + tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKAFKATRACE_SANITIZE=ON \
  -DKAFKATRACE_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j"$jobs" --output-on-failure) \
  | tee build-asan/ctest.log | tail -n 3
asan_summary=$(grep -E 'tests passed' build-asan/ctest.log)

step "fuzz header parsing, Kafka header walking, OTLP decoding and the OTLP/gRPC receiver, ${fuzz_seconds}s each"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKAFKATRACE_FUZZ=ON -DKAFKATRACE_SANITIZE=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target propagation_fuzzer kafka_headers_fuzzer otlp_decoder_fuzzer \
  otlp_grpc_fuzzer
fuzz() {  # <target> <seed corpus>: a scratch corpus, so the seeds stay as committed
  local corpus rc=0
  corpus=$(mktemp -d)
  cp "$2"/* "$corpus"/
  (cd build-fuzz && ./fuzz/"$1" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
    "$corpus" "$2" 2>&1 | tail -n 4) || rc=$?
  rm -rf "$corpus"
  return "$rc"
}
# <target> <seeds> ...: $jobs fuzzers at a time (each uses one core); their output in order.
fuzz_all() {
  local pids=() logs=() i failed=0
  while (($#)); do
    logs+=("$(mktemp)")
    fuzz "$1" "$2" >"${logs[-1]}" 2>&1 &
    pids+=($!)
    shift 2
    if ((${#pids[@]} == jobs || $# == 0)); then
      for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || failed=1
        cat "${logs[$i]}"
        rm -f "${logs[$i]}"
      done
      pids=() logs=()
    fi
  done
  return "$failed"
}
fuzz_all propagation_fuzzer "$root/fuzz/corpus" \
  kafka_headers_fuzzer "$root/fuzz/kafka_headers_corpus" \
  otlp_decoder_fuzzer "$root/fuzz/otlp_corpus" \
  otlp_grpc_fuzzer "$root/fuzz/grpc_corpus"

elapsed=$(($(date +%s) - started))
echo
echo "kafkatrace tests: release: ${release_summary}; asan+ubsan: ${asan_summary}; fuzz: 4 x ${fuzz_seconds}s clean; ${elapsed}s total"
