#!/usr/bin/env bash
# Instructions per consumed record on the consuming thread, from callgrind: the
# traced consumer's own work, which wall-clock runs on a shared VM cannot resolve
# below about 20 ns. Counts only what bare librdkafka does not also do: Poll()
# minus librdkafka's consume() and its header parse (rd_kafka_message_headers,
# which the bare variant (b) pays too), plus the ProcessSpanScope.
# Usage: bench/consumer_callgrind.sh <build-dir> [c|d]   (c: sampled, d: not)
# The build must be Release (-O3, as build-bench/ is): the attribution relies on
# its inlining.
set -euo pipefail
build=$(cd "$1" && pwd)
variant=${2:-d}
records=30000  # kafka_benchmark 1000 5000: 5,000 records, 3 rounds x 2 loops
out=$(mktemp)
trap 'rm -f "$out"' EXIT
OTEL_BSP_MAX_QUEUE_SIZE=100000 valgrind --tool=callgrind --callgrind-out-file="$out" \
  --toggle-collect='*ConsumeTraced*' "$build/bench/kafka_benchmark" 1000 5000 "$variant" \
  >/dev/null 2>&1
callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null | awk -v n=$records '
  function count(s) { gsub(",", "", s); return s + 0 }
  /PROGRAM TOTALS/ { total = count($1) }
  /TracingConsumer::Poll\(int\)/ { poll = count($1) }
  /KafkaConsumerImpl::consume\(int\)/ { consume = count($1) }
  /\?\?\?:rd_kafka_message_headers / { headers = count($1) }
  /ProcessSpanScope::ProcessSpanScope\(/ { scope = count($1) }
  /ProcessSpanScope::~ProcessSpanScope\(/ { unscope = count($1) }
  END {
    if (poll == 0 || scope == 0) { print "no consumer loop in the profile" > "/dev/stderr"; exit 1 }
    # Other build types inline the scope'"'"'s work into the loop; its count would be meaningless.
    if (scope / n < 100) { print "ProcessSpanScope has almost no instructions of its own here: use a Release build such as build-bench" > "/dev/stderr"; exit 1 }
    printf "per record: Poll beyond librdkafka %.0f, ProcessSpanScope %.0f + %.0f, ours %.0f (all of ConsumeTraced %.0f)\n",
      (poll - consume - headers) / n, scope / n, unscope / n,
      (poll - consume - headers + scope + unscope) / n, total / n
  }'
