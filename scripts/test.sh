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
  echo "nn: npm ci failed in tests/browser: the browser test cannot run" >&2
  exit 1
fi
# ONNX Runtime for the ONNX export tests (tests/onnx): its CPU build ships in the npm package, so
# the install downloads nothing else.
if ! ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip \
     npm ci --prefix tests/onnx --no-audit --no-fund --loglevel=error; then
  echo "nn: npm ci failed in tests/onnx: the ONNX Runtime test cannot run" >&2
  exit 1
fi
# The end-to-end test trains on the real MNIST files.
scripts/fetch-mnist.sh data/mnist
export NN_MNIST_DIR="$PWD/data/mnist"

nn_build "$preset"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ctest --preset "$preset" -j "$(nproc)" | tee "$log"

# Everything the README promises was installed above, so a skipped browser, tool, ONNX, MPI or real-MNIST
# test is a failure here, not a pass. The exceptions are the tests that cannot run under a
# sanitizer (an address-space limit) and say so.
allowed=()
[ "$preset" = asan ] && allowed=(mnist_tool_threads_cannot_start)
promised=$(ctest --preset "$preset" -N -L 'browser|tool|mnist|onnx|mpi|report' | sed -n 's/^ *Test *#[0-9]*: //p')
skipped=$(sed -n '/The following tests did not run:/,/^$/p' "$log" | sed -n 's/^.*[0-9]* - \(.*\) (Skipped)$/\1/p')
bad=()
while IFS= read -r t; do
  [ -n "$t" ] || continue
  grep -qxF -- "$t" <<<"$promised" || continue
  [[ " ${allowed[*]} " == *" $t "* ]] && continue
  bad+=("$t")
done <<<"$skipped"
if [ ${#bad[@]} -gt 0 ]; then
  echo "nn: these tests were skipped although scripts/test.sh installed what they need:" >&2
  printf '    %s\n' "${bad[@]}" >&2
  exit 1
fi
