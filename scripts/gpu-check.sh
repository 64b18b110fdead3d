#!/usr/bin/env bash
# The checks that need a GPU, in a few minutes, on a machine with the CUDA toolkit, cuDNN and
# PyTorch (an H100 or H200): unpacks the bundle scripts/gpu-bundle.sh made, then runs
#   1. every op on the GPU against the CPU (nn_backend_ops) and the model-level GPU tests (nn_cuda_tests);
#   2. the op table under compute-sanitizer's memcheck and racecheck;
#   3. `mnist train --device cuda --model fast`, the tool's whole run;
#   4. nn's GPU benchmark beside PyTorch eager's on the same GPU (bench_gpu, benchmarks/pytorch_gpu.py).
# Everything goes to OUT_DIR/gpu-check.log, one line per step with its exit status to OUT_DIR/summary.txt.
#
#   scripts/gpu-check.sh gpu-bundle.tar.xz OUT_DIR [SECONDS]
set -uo pipefail
bundle=${1:?usage: gpu-check.sh BUNDLE OUT_DIR [SECONDS]}
out=${2:?usage: gpu-check.sh BUNDLE OUT_DIR [SECONDS]}
seconds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
log="$out/gpu-check.log" summary="$out/summary.txt"
: >"$log"
: >"$summary"
work=$(mktemp -d)
tar -C "$work" -xJf "$bundle" || { echo "gpu-check: cannot unpack $bundle" | tee -a "$summary"; exit 1; }

# CUDA's libraries: the toolkit's, or those of PyTorch's CUDA wheels.
dirs=$( (ls -d /usr/local/cuda/lib64 /usr/local/cuda/targets/*/lib 2>/dev/null
         python3 -c 'import site; print("\n".join(site.getsitepackages()))' 2>/dev/null) |
       while read -r d; do find "$d" -maxdepth 4 \( -name 'libcudnn.so.9' -o -name 'libcublasLt.so.13' -o -name 'libcudart.so.13' \) 2>/dev/null; done |
       xargs -r -n1 dirname | sort -u | paste -sd: -)
export LD_LIBRARY_PATH="$work/lib${dirs:+:$dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || echo compute-sanitizer)

step() {
  local name=$1
  shift
  local t0=$SECONDS
  { echo; echo "===== $name: $*"; } >>"$log"
  "$@" >>"$log" 2>&1
  local rc=$?
  echo "$name: exit $rc in $((SECONDS - t0)) s" | tee -a "$summary"
}

{ nvidia-smi -L; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; } >>"$log" 2>&1
step ops "$work/bin/nn_backend_ops"
step gpu_tests "$work/bin/nn_cuda_tests"
step memcheck "$sanitizer" --tool memcheck --error-exitcode 1 "$work/bin/nn_backend_ops" "-tc=cuda*"
step racecheck "$sanitizer" --tool racecheck --error-exitcode 1 "$work/bin/nn_backend_ops" "-tc=cuda: every op*"
step train_fast "$work/bin/mnist" train --data "$work/data" --model fast --device cuda --out "$work/run" --verbose 2
step bench_nn "$work/bin/bench_gpu" "$work/data" "$seconds"
step bench_pytorch env PYTHONUNBUFFERED=1 python3 "$here/benchmarks/pytorch_gpu.py" "$work/data" "$seconds"
grep -E '^(nn|pytorch) |test_accuracy|MNIST:|NN-SKIPPED|test cases|ERROR SUMMARY|RACECHECK SUMMARY' "$log" >>"$summary"
rm -rf "$work"
! grep -q 'exit [1-9]' "$summary"
