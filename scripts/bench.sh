#!/usr/bin/env bash
# The benchmark suite: nn against PyTorch on this machine, side by side, in one run.
#   scripts/bench.sh [seconds per measurement, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
nn_install_packages python3-torch
nn_build release
secs=${1:-10}
bin=build/release/bin

echo "== sgemm (2048^3)"
"$bin/bench_gemm" 2048 5
echo "== input pipeline (shuffle -> map -> batch(50) -> prefetch, 60000 images)"
"$bin/bench_pipeline"
echo "== training throughput, batch 64 (forward + backward + Adam)"
nn_out=$("$bin/bench_training" all 64 "$secs" | tee /dev/stderr)
pt_out=$(/usr/bin/python3 benchmarks/pytorch_training.py all 64 "$secs" | tee /dev/stderr)
echo "== nn / PyTorch"
for m in softmax mlp cnn; do
  a=$(echo "$nn_out" | awk -v m="$m" '$1=="nn" && $2==m {print $(NF-1)}')
  b=$(echo "$pt_out" | awk -v m="$m" '$1=="pytorch" && $2==m {print $(NF-1)}')
  awk -v m="$m" -v a="$a" -v b="$b" 'BEGIN {printf "%-8s %10.0f vs %10.0f images/s: %.2fx\n", m, a, b, a / b}'
done
