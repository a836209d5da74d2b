#!/usr/bin/env bash
# Installs the Debian packages kafkatrace needs to build, test and run the demo.
# Idempotent: packages already present are not fetched again, and `apt-get update`
# runs only when something is missing.
#
#   scripts/install-deps.sh            build + test + demo dependencies
#   scripts/install-deps.sh --browser  also Chromium, for the browser tests
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev clang-format clang-tidy
  librdkafka-dev libcurl4-openssl-dev zlib1g-dev libnghttp2-dev
  libcpp-httplib-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  protobuf-compiler kcat python3-confluent-kafka python3-grpcio
  curl ca-certificates openssl
)
# The machine may ship Node.js with its own npm (not Debian's); only add Debian's when absent.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [[ "${1:-}" == "--browser" ]]; then
  packages+=(chromium)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
