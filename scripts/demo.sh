#!/usr/bin/env bash
# Installs what is missing, builds nn (Release), fetches MNIST and trains the CNN with the
# mnist tool's defaults; prints the test accuracy and where the model and TensorBoard logs are.
#   scripts/demo.sh [extra mnist train options, e.g. --epochs 2]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
nn_install_packages
nn_build release
scripts/fetch-mnist.sh data/mnist
mkdir -p out
build/release/bin/mnist train --data data/mnist --model cnn --out out/cnn "$@"
