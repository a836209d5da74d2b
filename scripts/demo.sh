#!/usr/bin/env bash
# The "ask" demo in one command: installs what is missing, builds, starts the embedded broker,
# the trace viewer and the three services, and prints the URLs. Ctrl-C stops everything.
#   scripts/demo.sh            interactive (ask page :8080, board :8081, viewer URL printed)
#   scripts/demo.sh --once     scripted: questions idle, then with a busy worker; prints each
#                              trace's Kafka hops and where the time went; exits 0 iff every
#                              question formed one connected trace
# Extra options go to `kafkatrace demo` (e.g. --busy-ms 35000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target kafkatrace_cli
exec build/tools/kafkatrace/kafkatrace demo "$@"
