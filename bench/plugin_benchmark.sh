#!/usr/bin/env bash
# kcat producing N records with and without the interceptor plugin, in the same run, against
# `kafkatrace broker`. Reports the median of 3 runs each and the plugin's cost per record.
# Usage: bench/plugin_benchmark.sh <build-dir> [records]
set -euo pipefail
build=$(cd "$1" && pwd)
n=${2:-200000}
plugin="$build/src/libkafkatrace_plugin.so"
work=$(mktemp -d)
"$build/tools/kafkatrace/kafkatrace" broker --port 0 >"$work/broker" 2>/dev/null &
broker=$!
trap 'kill $broker; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s "$work/broker" ]] && break; sleep 0.1; done
bootstrap=$(head -n 1 "$work/broker")
head -c $((n * 101)) /dev/zero | tr '\0' 'x' | fold -w 100 >"$work/input"

run() {  # prints seconds for one kcat run
  local start end
  start=$(date +%s.%N)
  kcat -b "$bootstrap" -t "bench-$RANDOM" -P -X linger.ms=5 "$@" <"$work/input"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { sort -n | sed -n 2p; }

bare=(); traced=(); unsampled=()
for _ in 1 2 3; do  # interleaved so drift hits both
  bare+=("$(run)")
  traced+=("$(run -X plugin.library.paths="$plugin" -X kafkatrace.exporter=none)")
  unsampled+=("$(run -X plugin.library.paths="$plugin" -X kafkatrace.exporter=none \
                     -X kafkatrace.sampler=always_off)")
done
b=$(printf '%s\n' "${bare[@]}" | median)
t=$(printf '%s\n' "${traced[@]}" | median)
u=$(printf '%s\n' "${unsampled[@]}" | median)
echo "kcat -P, $n records of 100 bytes, median of 3 (seconds): bare $b, plugin sampled $t, plugin unsampled $u"
echo "plugin cost per record: sampled $(echo "($t - $b) * 1000000000 / $n" | bc) ns, unsampled $(echo "($u - $b) * 1000000000 / $n" | bc) ns"
