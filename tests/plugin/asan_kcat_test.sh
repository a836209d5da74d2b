#!/usr/bin/env bash
# Sanitizer build only: loads the ASan-instrumented plugin into Debian's kcat (with the ASan
# runtime preloaded) and runs clients that are created and destroyed in a loop, with the
# exporter unreachable and with malformed trace headers. Fails on any ASan/UBSan/LSan report.
set -euo pipefail
build=$(cd "$1" && pwd)
plugin="$build/src/libkafkatrace_plugin.so"
asan=$(gcc -print-file-name=libasan.so)
work=$(mktemp -d)
"$build/tools/kafkatrace/kafkatrace" broker --port 0 --topic churn:1 >"$work/broker" 2>/dev/null &
broker=$!
trap 'kill $broker; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s "$work/broker" ]] && break; sleep 0.1; done
bootstrap=$(head -n 1 "$work/broker")
traced=(-X plugin.library.paths="$plugin" -X kafkatrace.otlp.endpoint=http://127.0.0.1:1/v1/traces
        -X kafkatrace.flush.timeout.ms=300)
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
kcat -b "$bootstrap" -t churn -P -H traceparent=garbage -H tracestate=,=, <<<"malformed"
for i in $(seq 10); do
  seq 1 50 | LD_PRELOAD=$asan kcat -b "$bootstrap" -t churn -P "${traced[@]}" >>"$work/log" 2>&1
done
LD_PRELOAD=$asan kcat -b "$bootstrap" -t churn -C -o beginning -c 501 -e "${traced[@]}" \
  >"$work/consumed" 2>>"$work/log"
test "$(wc -l <"$work/consumed")" -eq 501
if grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error" "$work/log"; then
  exit 1
fi
echo "plugin under ASan: 10 producer clients and 1 consumer, 501 records, no sanitizer reports"
