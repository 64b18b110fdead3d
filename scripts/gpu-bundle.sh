#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh runs on a GPU machine that has the CUDA toolkit, cuDNN and PyTorch
# but none of Debian's packages: the release build's GPU tests, GPU benchmark and mnist tool, the
# shared libraries they load beyond the C library and CUDA's own, and MNIST, into gpu-bundle.tar.xz
# (about 20 MB). Nothing heavy is built there.
#
#   scripts/gpu-bundle.sh            # then, on the GPU machine: scripts/gpu-check.sh gpu-bundle.tar.xz OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
nn_build release
grep -q '^NN_CUDA_ENABLED:INTERNAL=TRUE' build/release/CMakeCache.txt 2>/dev/null ||
  grep -q 'NN_HAVE_CUDA' build/release/src/CMakeFiles/nn.dir/flags.make ||
  { echo "gpu-bundle: the release build has no CUDA backend (see cmake's 'nn: CUDA backend' line)" >&2; exit 1; }
[ -f data/mnist/train-images-idx3-ubyte ] || [ -f data/mnist/train-images-idx3-ubyte.gz ] || scripts/fetch-mnist.sh data/mnist

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/data"
programs=(nn_backend_ops nn_cuda_tests bench_gpu mnist)
for p in "${programs[@]}"; do cp "build/release/bin/$p" "$stage/bin/"; done
# The libraries they load, but the C library's and the CUDA runtime's, cuBLAS's and cuDNN's, which
# the GPU machine has in the versions its driver wants.
for p in "${programs[@]}"; do ldd "build/release/bin/$p"; done | awk '/=> \// {print $3}' | sort -u |
  while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libcuda.so*|libcudart.so*|libcublas*|libcudnn*) ;;
      *) cp -L "$lib" "$stage/lib/" ;;
    esac
  done
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -f "data/mnist/$f.gz" ]; then cp "data/mnist/$f.gz" "$stage/data/"; else gzip -c "data/mnist/$f" >"$stage/data/$f.gz"; fi
done
tar -C "$stage" -cJf gpu-bundle.tar.xz .
echo "gpu-bundle.tar.xz: $(du -h gpu-bundle.tar.xz | cut -f1) ($(ls "$stage/lib" | wc -l) libraries)"
