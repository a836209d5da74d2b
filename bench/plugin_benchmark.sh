#!/usr/bin/env bash
# kcat producing N records with and without the interceptor plugin, in the same run, against
# `kafkatrace broker`. Reports the median of 3 runs each and the plugin's cost per record:
# sampled with no exporter (the tracing alone), sampled and exported over OTLP/HTTP to a local
# sink that discards what it receives (the whole pipeline: batch processor, encoding, HTTP;
# the sink's own CPU shares the machine), and with every record unsampled.
# Usage: bench/plugin_benchmark.sh <build-dir> [records] [plugin.so, default the build's]
set -euo pipefail
build=$(cd "$1" && pwd)
n=${2:-200000}
plugin=${3:-"$build/src/libkafkatrace_plugin.so"}
work=$(mktemp -d)
"$build/tools/kafkatrace/kafkatrace" broker --port 0 >"$work/broker" 2>/dev/null &
broker=$!
# The OTLP sink: answers 200 to every export.
python3 - "$work/sink" <<'PY' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
open(sys.argv[1], "w").write(str(server.server_address[1]))
server.serve_forever()
PY
sink=$!
trap 'kill $broker $sink; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s "$work/broker" && -s "$work/sink" ]] && break; sleep 0.1; done
bootstrap=$(head -n 1 "$work/broker")
endpoint="http://127.0.0.1:$(cat "$work/sink")/v1/traces"
head -c $((n * 101)) /dev/zero | tr '\0' 'x' | fold -w 100 >"$work/input"

run() {  # prints seconds for one kcat run
  local start end
  start=$(date +%s.%N)
  kcat -b "$bootstrap" -t "bench-$RANDOM" -P -X linger.ms=5 "$@" <"$work/input"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { sort -n | sed -n 2p; }

bare=(); traced=(); exported=(); unsampled=()
for _ in 1 2 3; do  # interleaved so drift hits all
  bare+=("$(run)")
  traced+=("$(run -X plugin.library.paths="$plugin" -X kafkatrace.exporter=none)")
  # A queue that holds every span: none dropped, all encoded and sent.
  exported+=("$(OTEL_BSP_MAX_QUEUE_SIZE=$((n + 1024)) run -X plugin.library.paths="$plugin" \
                  -X kafkatrace.otlp.endpoint="$endpoint" -X kafkatrace.flush.timeout.ms=60000)")
  unsampled+=("$(run -X plugin.library.paths="$plugin" -X kafkatrace.exporter=none \
                     -X kafkatrace.sampler=always_off)")
done
b=$(printf '%s\n' "${bare[@]}" | median)
t=$(printf '%s\n' "${traced[@]}" | median)
x=$(printf '%s\n' "${exported[@]}" | median)
u=$(printf '%s\n' "${unsampled[@]}" | median)
per_record() { echo "($1 - $b) * 1000000000 / $n" | bc; }
echo "kcat -P, $n records of 100 bytes, median of 3 (seconds): bare $b, plugin sampled $t, sampled and exported $x, unsampled $u"
echo "plugin cost per record: sampled $(per_record "$t") ns, sampled and exported $(per_record "$x") ns, unsampled $(per_record "$u") ns"
