#!/usr/bin/env bash
# The benchmark suite: nn against PyTorch on this machine, side by side, in one run. Builds
# Release, checks every kernel against its reference before timing it, and writes
# benchmarks/results.json (benchmarks/RESULTS.md records a run).
#   scripts/bench.sh [seconds per measurement, default 10]
#   scripts/bench.sh --check     only check the kernels' results (no timing; what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bin=build/release/bin
if [ "${1:-}" = --check ]; then
  nn_install_packages
  nn_build release
  exec "$bin/bench_kernels" --check
fi
nn_install_packages python3-torch python3-numpy wrk curl
nn_build release
scripts/fetch-mnist.sh data/mnist >/dev/null
secs=${1:-10}
work=build/release/bench
mkdir -p "$work"

echo "== kernels (each checked against a reference first)"
"$bin/bench_kernels" --seconds 1 --json "$work/kernels.json"
echo "== input pipeline (shuffle -> map -> batch(50) -> prefetch, 60000 images)"
"$bin/bench_pipeline" | tee "$work/pipeline.txt"
echo "== end to end on MNIST: training (Adam, the real pipeline), inference, memory, and for the cnn"
echo "   the wall time to 99.0% test accuracy; nn then PyTorch"
: >"$work/e2e.txt"
for mb in mlp:32: cnn:50:0.99; do
  IFS=: read -r m batch target <<<"$mb"
  "$bin/bench_training" "$m" "$batch" "$secs" data/mnist ${target:+"$target"} | tee -a "$work/e2e.txt"
  /usr/bin/python3 benchmarks/pytorch_training.py "$m" "$batch" "$secs" data/mnist ${target:+"$target"} |
    tee -a "$work/e2e.txt"
done

echo "== mnist train --model fast (one epoch, 99% target): test accuracy and training wall time, 5 seeds"
seeds=(1 2 3 4 5)
acc_sum=0 sec_sum=0
for seed in "${seeds[@]}"; do
  log=$("$bin/mnist" train --data data/mnist --model fast --seed "$seed" --verbose 0 --out "$work/fast-$seed")
  acc=$(sed -n 's/^test_accuracy: //p' <<<"$log")
  sec=$(sed -n 's/^training: \([0-9.]*\) s.*/\1/p' <<<"$log")
  if [ -z "$acc" ] || [ -z "$sec" ]; then
    echo "bench: cannot read the accuracy and time of seed $seed from mnist train's output" >&2
    exit 1
  fi
  echo "nn fast test_accuracy_seed$seed $acc" | tee -a "$work/e2e.txt"
  echo "nn fast training_seconds_seed$seed $sec" | tee -a "$work/e2e.txt"
  acc_sum=$(awk -v a="$acc_sum" -v b="$acc" 'BEGIN { print a + b }')
  sec_sum=$(awk -v a="$sec_sum" -v b="$sec" 'BEGIN { print a + b }')
done
awk -v a="$acc_sum" -v s="$sec_sum" -v n="${#seeds[@]}" \
  'BEGIN { printf "nn fast mean_test_accuracy %.4f\nnn fast mean_training_seconds %.1f\n", a / n, s / n }' |
  tee -a "$work/e2e.txt"

echo "== prediction server under load (wrk; TF Serving :predict, $secs s per run)"
models=$work/models
for m in mlp cnn; do
  # A short training run is enough: the load does not depend on the weights (the reply is checked).
  [ -f "$models/$m/model.nn" ] || "$bin/mnist" train --data data/mnist --model "$m" --steps 200 --verbose 0 \
                                     --out "$models/$m" >/dev/null
done
{
  benchmarks/serve_load.sh "$bin/mnist" "$models/mlp/model.nn" mlp "$secs"
  benchmarks/serve_load.sh "$bin/mnist" "$models/cnn/model.nn" cnn "$secs" | tail -n +2
} | tee "$work/serve.txt"
benchmarks/serve_memory.sh "$bin/mnist" "$models/cnn/model.nn" | tee -a "$work/serve.txt"

/usr/bin/python3 benchmarks/report.py benchmarks/results.json "$work/kernels.json" "$work/e2e.txt" \
  "$work/pipeline.txt" "$work/serve.txt"
