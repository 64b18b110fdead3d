#!/usr/bin/env bash
# Installs what is missing, builds nn (Release), fetches MNIST and trains the CNN with the
# mnist tool's defaults; prints the test accuracy and where the model and TensorBoard logs are,
# then reads the digits photographed on paper in examples/digits with the trained model, says how
# to serve it, and ends with the path of the run's report page (out/cnn/report.html).
#   scripts/demo.sh [extra mnist train options, e.g. --epochs 2]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
nn_install_packages
nn_build release
scripts/fetch-mnist.sh data/mnist
mkdir -p out
build/release/bin/mnist train --data data/mnist --model cnn --out out/cnn --report "$@"

echo
echo "Digits written on paper and photographed (examples/digits; the file name starts with the digit):"
status=0
build/release/bin/mnist predict --model-file out/cnn/model.nn examples/digits || status=$?
cat <<'TEXT'

To serve the model (TF Serving's REST API, KServe v2, the seeds' JSON and upload form):
  build/release/bin/mnist serve --model-file out/cnn/model.nn
then open http://127.0.0.1:8501/ to draw a digit or drop a photo, or try the curl lines in README.md.
TEXT
echo
echo "The run's report (curves, confusion matrix, the digits it got wrong; opens offline in a browser):"
echo "  $(pwd)/out/cnn/report.html"
exit "$status"
