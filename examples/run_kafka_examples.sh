#!/usr/bin/env bash
# Runs the Kafka examples against the embedded broker: starts `kafkatrace broker` on a free
# port, produces with traced_producer, consumes with traced_consumer, and checks that the
# consumer continued the producer's trace.
set -euo pipefail
bin=$1  # build directory
out=$(mktemp -d)
"$bin/tools/kafkatrace/kafkatrace" broker --port 0 --topic orders >"$out/broker" 2>/dev/null &
broker_pid=$!
trap 'kill $broker_pid 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 100); do [[ -s "$out/broker" ]] && break; sleep 0.1; done
bootstrap=$(head -n 1 "$out/broker")
"$bin/examples/traced_producer" "$bootstrap" orders >"$out/producer"
trace=$(grep '^trace ' "$out/producer" | cut -d' ' -f2)
"$bin/examples/traced_consumer" "$bootstrap" orders 3 >"$out/consumer"
cat "$out/producer" "$out/consumer"
test "$(grep -c "from trace $trace" "$out/consumer")" -eq 3
grep -q "span process orders \[CONSUMER\] trace=$trace" "$out/consumer"
echo "examples: consumer continued trace $trace"
