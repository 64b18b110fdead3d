#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest).
#   scripts/test.sh            Release build, every test (the MNIST end-to-end test included)
#   scripts/test.sh asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
preset=${1:-release}

nn_install_packages "${NN_TEST_PACKAGES[@]}"
# The WebDriver client that drives the drawing page in Chromium (tests/browser).
if ! npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; then
  echo "nn: npm ci failed in tests/browser; the browser test will be skipped" >&2
fi
# The end-to-end test trains on the real MNIST files.
scripts/fetch-mnist.sh data/mnist
export NN_MNIST_DIR="$PWD/data/mnist"

nn_build "$preset"
ctest --preset "$preset" -j "$(nproc)"
