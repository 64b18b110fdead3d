#!/usr/bin/env bash
# Tests of the mnist tool as a user runs it: exit codes, messages, and what it leaves on disk.
#   mnist_tool_test.sh CASE    with MNIST (the tool), DATA (the real MNIST files), FIXTURES (the
#   make_fixtures binary), WORK (a scratch directory), SANITIZED (1 under ASan), DIGITS (the
#   example digit images) and README (the README, whose curl lines are run) in the environment.
set -uo pipefail
case_name=$1
work="$WORK/$case_name"
rm -rf "$work" && mkdir -p "$work"
out="$work/stdout" err="$work/stderr"

fail() { echo "FAIL [$case_name]: $*"; echo "--- stdout"; cat "$out" 2>/dev/null; echo "--- stderr"; cat "$err" 2>/dev/null; exit 1; }

# run EXPECTED_STATUS cmd...: runs with a time limit and checks the exit status.
run() {
  local expected=$1; shift
  timeout 300 "$@" >"$out" 2>"$err"
  local status=$?
  [[ $status == 124 ]] && fail "timed out: $*"
  [[ $status == "$expected" ]] || fail "exit status $status, expected $expected: $*"
}
expect_err() { grep -qF -- "$1" "$err" || fail "stderr lacks: $1"; }
expect_out() { grep -qF -- "$1" "$out" || fail "stdout lacks: $1"; }
refute_out() { ! grep -qF -- "$1" "$out" || fail "stdout has: $1"; }
refute_err() { ! grep -qF -- "$1" "$err" || fail "stderr has: $1"; }

# A big-endian uint32, as raw bytes.
be32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }

# IDX files of n WxH images (all zero) and n labels (all zero) under the MNIST names.
write_idx_split() {  # dir prefix n h w
  local dir=$1 prefix=$2 n=$3 h=$4 w=$5
  { printf '\x00\x00\x08\x03'; be32 "$n"; be32 "$h"; be32 "$w"; head -c $((n * h * w)) /dev/zero; } \
    >"$dir/$prefix-images-idx3-ubyte"
  { printf '\x00\x00\x08\x01'; be32 "$n"; head -c "$n" /dev/zero; } >"$dir/$prefix-labels-idx1-ubyte"
}

# Starts `mnist serve ARGS...` on a free port in the background; sets server_pid and base.
start_server() {
  "$MNIST" serve --port 0 "$@" >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  # A failing check exits at once: the server must not outlive the test.
  trap 'kill -9 "$server_pid" 2>/dev/null' EXIT
  base=""
  for _ in $(seq 300); do
    base=$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$work/server.out" | sed 's/listening on //')
    [[ -n "$base" ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/server.err"
  fail "mnist serve did not start"
}
# Stops the server with SIGTERM; it must exit 0 within 20 s.
stop_server() {
  kill -TERM "$server_pid"
  for _ in $(seq 200); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$server_pid" 2>/dev/null && { kill -9 "$server_pid"; fail "mnist serve ignored SIGTERM"; }
  wait "$server_pid"
  local status=$?
  [[ $status == 0 ]] || { cat "$work/server.err"; fail "mnist serve exited with $status after SIGTERM"; }
  grep -qF "stopping (SIGTERM)" "$work/server.err" || fail "mnist serve did not say it was stopping"
}
# curl CODE ARGS...: runs curl, checks the HTTP status, leaves the body in $work/body.
http() {
  local expected=$1; shift
  local code
  code=$(curl -sS -o "$work/body" -w '%{http_code}' --max-time 30 "$@") || fail "curl failed: $*"
  [[ $code == "$expected" ]] || { cat "$work/body"; fail "HTTP $code, expected $expected: $*"; }
}
json_field() { /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(eval("v"+sys.argv[2]))' "$work/body" "$1"; }

# The figure a run printed on its line "NAME: X" (the last such line).
figure() { grep -oE "^$1: [0-9.]+$" "$2" | tail -1 | sed "s/^$1: //"; }

case "$case_name" in
  train)  # the short real run whose model the other cases use (GOOD_MODEL_DIR)
    run 0 "$MNIST" train --data "$DATA" --model cnn --steps 30 --verbose 2 --out "$GOOD_MODEL_DIR"
    accuracy=$(figure test_accuracy "$out")
    [[ -n "$accuracy" ]] || fail "no test_accuracy line"
    # Chance is 0.10; thirty steps of the cnn reach about 0.8 (0.5 leaves room for any seed).
    /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.5 else 1)' "$accuracy" \
      || fail "test accuracy $accuracy after 30 steps: the cnn did not learn"
    [[ -s "$GOOD_MODEL_DIR/model.nn" ]] || fail "no model.nn"
    # The run's record beside the model: its options and times (what `mnist report` shows).
    /usr/bin/python3 - "$GOOD_MODEL_DIR/run.json" <<'PY' || fail "run.json is not the run's record"
import json, sys
r = json.load(open(sys.argv[1]))
options = dict(r["options"])
assert r["model"] == "cnn" and options["steps"] == "30" and options["batch size"] == "50", r
assert options["augment"] == "off" and r["images"] == 30 * 50 and r["images_per_epoch"] == 1500, r
assert len(r["epoch_seconds"]) == 1 and 0 < r["epoch_seconds"][0] <= r["seconds"], r
PY
    cp "$out" "$GOOD_MODEL_DIR/train.stdout"
    ;;
  mpi)  # mpirun -n 2 mnist train: data-parallel with no other flag; --batch-size is the global batch
    [[ -n "${MPIEXEC:-}" ]] || { echo "skipped: no mpiexec (Debian: openmpi-bin)"; exit 77; }
    mpi=("$MPIEXEC" -n 2 --oversubscribe --mca btl self,vader)
    if [[ "${SANITIZED:-0}" == 1 ]]; then
      run 0 "${mpi[@]}" "$MNIST" train --data "$DATA" --model mlp --steps 20 --batch-size 128 --verbose 2 --out "$work/o"
    else
      run 0 "${mpi[@]}" "$MNIST" train --data "$DATA" --model mlp --epochs 1 --batch-size 128 --verbose 2 --out "$work/o"
      accuracy=$(figure test_accuracy "$out")
      /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.95 else 1)' "$accuracy" \
        || fail "test accuracy $accuracy after one data-parallel epoch of the mlp, expected >= 0.95"
      expect_out "430/430"  # 55,000 images in global batches of 128: each rank steps 430 times on 64
    fi
    expect_out "2 ranks, 64 images each per step"
    # Rank 0 alone reports and writes: one summary, one result, one history.
    [[ $(grep -c '^test_accuracy: ' "$out") == 1 ]] || fail "expected one test_accuracy line (rank 0's)"
    [[ $(grep -c '^Total params' "$out") == 1 ]] || fail "expected one model summary (rank 0's)"
    [[ -s "$work/o/model.nn" && -s "$work/o/history.csv" ]] || fail "no model.nn or history.csv"
    trained=$(figure test_accuracy "$out")
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/o/model.nn" && expect_out "test_accuracy: $trained"
    # The global batch must divide among the ranks; the error ends every rank.
    run 2 "${mpi[@]}" "$MNIST" train --data "$DATA" --model mlp --steps 1 --batch-size 127 --out "$work/p"
    expect_err "--batch-size 127 is the global batch: it must divide among the 2 ranks"
    ;;
  evaluate)  # evaluate on the saved model gives the figures the training run printed for it
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$GOOD_MODEL_DIR/model.nn"
    for name in test_loss test_accuracy; do
      got=$(figure $name "$out") want=$(figure $name "$GOOD_MODEL_DIR/train.stdout")
      [[ -n "$got" && -n "$want" ]] || fail "no $name line (evaluate: '$got', train: '$want')"
      [[ "$got" == "$want" ]] || fail "evaluate's $name is $got; the training run printed $want for the same model"
    done
    # --report: the per-class table and the confusion matrix, which agree with the accuracy above.
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$GOOD_MODEL_DIR/model.nn" --report
    expect_out "precision    recall  f1-score   support"
    expect_out "confusion matrix (10000 test images; rows: true class, columns: predicted class)"
    /usr/bin/python3 - "$out" <<'PY' || fail "the report's figures disagree with each other or with test_accuracy"
import re, sys
text = open(sys.argv[1]).read()
accuracy = float(re.search(r"^test_accuracy: ([0-9.]+)$", text, re.M).group(1))
rows = [list(map(int, l.split()[1:])) for l in text.split("columns: predicted class)")[1].splitlines()[2:12]]
assert len(rows) == 10 and all(len(r) == 10 for r in rows), rows
total = sum(map(sum, rows))
assert total == 10000, total
diagonal = sum(rows[i][i] for i in range(10))
assert abs(diagonal / total - accuracy) < 6e-5, (diagonal, accuracy)
support = [int(m.group(2)) for m in re.finditer(r"^ +(\d) +[0-9.]+ +[0-9.]+ +[0-9.]+ +(\d+)$", text, re.M)]
assert support == [sum(r) for r in rows], (support, [sum(r) for r in rows])
report_accuracy = float(re.search(r"^ +accuracy +([0-9.]+) +10000$", text, re.M).group(1))
assert abs(report_accuracy - accuracy) < 6e-5, report_accuracy
PY
    ;;
  onnx)  # export to ONNX; evaluate, predict, serve, fine-tune and convert back take the .onnx file
    run 0 "$MNIST" export --model-file "$GOOD_MODEL_DIR/model.nn" --format onnx --out "$work/model.onnx"
    expect_out "$work/model.onnx: onnx"
    [[ -s "$work/model.onnx" ]] || fail "no model.onnx"
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/model.onnx"
    for name in test_loss test_accuracy; do
      got=$(figure $name "$out") want=$(figure $name "$GOOD_MODEL_DIR/train.stdout")
      [[ -n "$got" && "$got" == "$want" ]] || fail "evaluate on the ONNX file gives $name '$got'; the nn file gave $want"
    done
    run 0 "$MNIST" predict --model-file "$GOOD_MODEL_DIR/model.nn" --json "$DIGITS/7_0007.jpg"
    cp "$out" "$work/predict_nn.json"
    run 0 "$MNIST" predict --model-file "$work/model.onnx" --json "$DIGITS/7_0007.jpg"
    cmp -s "$out" "$work/predict_nn.json" || fail "predict differs between the nn file and its ONNX export"
    run 0 "$MNIST" export --model-file "$work/model.onnx" --format nn --out "$work/back.nn"
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/back.nn"
    [[ $(figure test_accuracy "$out") == $(figure test_accuracy "$GOOD_MODEL_DIR/train.stdout") ]] || fail "nn -> ONNX -> nn changed the accuracy"
    run 0 "$MNIST" train --data "$DATA" --initial-model "$work/model.onnx" --steps 5 --verbose 0 --out "$work/tuned"
    expect_out "test_accuracy" && [[ -s "$work/tuned/model.nn" ]] || fail "fine-tuning the ONNX model saved nothing"
    mkdir -p "$work/versions/3" && cp "$work/model.onnx" "$work/versions/3/model.onnx"
    start_server --model-dir "$work/versions"
    http 200 "$base/v1/models/mnist"
    [[ $(json_field '["model_version_status"][0]["version"]') == 3 ]] || fail "the ONNX version is not served"
    http 200 -X POST "$base/v1/models/mnist:predict" -H 'Content-Type: application/json' \
      -d "{\"instances\": [$(/usr/bin/python3 -c 'print([[[0.0] * 28] * 28])')]}"
    json_field '["predictions"][0]' >/dev/null || fail "no prediction from the served ONNX model"
    stop_server
    printf 'not onnx' >"$work/bad.onnx"
    run 1 "$MNIST" evaluate --data "$DATA" --model-file "$work/bad.onnx" && expect_err "bad.onnx: not a valid onnx.ModelProto"
    run 2 "$MNIST" train --data "$DATA" --steps 1 && expect_err "give --model or --initial-model"
    run 2 "$MNIST" export --model-file "$work/model.onnx" --format tflite --out x && expect_err "--format"
    ;;
  device)  # --device: cpu works on every command; an unknown or absent device is a usage error naming those there are
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$GOOD_MODEL_DIR/model.nn" --device cpu
    expect_out "test_accuracy"
    for cmd in train evaluate predict serve; do
      run 2 "$MNIST" $cmd --device cuda:7 && expect_err "no device 'cuda:7' here; the devices are: cpu"
      run 2 "$MNIST" $cmd --device gpu && expect_err "no device 'gpu' here"
      # The strict test device is the test suite's, not the tool's.
      run 2 "$MNIST" $cmd --device test && expect_err "no device 'test' here"
    done
    run 0 "$MNIST" train --help && expect_out "--device"
    # How a GPU computes: accepted by every command (no effect on the CPU); bfloat16 training needs a
    # device that computes in it, and says so before it touches anything.
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$GOOD_MODEL_DIR/model.nn" --tf32 off --cudnn-benchmark
    expect_out "test_accuracy"
    run 2 "$MNIST" train --data "$DATA" --model fast --steps 1 --out "$work/bf16" --precision bf16
    expect_err "--precision bf16 needs a device that computes in bfloat16 (cuda); cpu computes in float32 only"
    [[ ! -e "$work/bf16" ]] || fail "a refused --precision left $work/bf16 behind"
    run 2 "$MNIST" train --data "$DATA" --model fast --precision fp8 && expect_err "--precision"
    for cmd in train evaluate predict serve; do
      run 2 "$MNIST" $cmd --tf32 maybe && expect_err "--tf32"
      run 0 "$MNIST" $cmd --help && expect_out "--cudnn-benchmark"
    done
    ;;
  help)
    run 0 "$MNIST" --help && expect_out "train" && expect_out "predict" && expect_out "serve"
    run 0 "$MNIST" train --help && expect_out "--epochs"
    run 0 "$MNIST" evaluate --help && expect_out "--model-file"
    run 0 "$MNIST" predict --help && expect_out "--debug-dir" && expect_out "--json"
    run 0 "$MNIST" serve --help && expect_out "--model-dir" && expect_out "--api-key"
    ;;
  usage_errors)
    run 2 "$MNIST" && expect_err "A subcommand is required"
    run 2 "$MNIST" train --data x --model mlp --epochs 4294967297 && expect_err "--epochs: 4294967297 is out of range"
    run 2 "$MNIST" train --data x --model mlp --verbose -1 && expect_err "--verbose: -1 is out of range"
    run 2 "$MNIST" train --data x --model mlp --validation-size -1 && expect_err "--validation-size: -1 is out of range"
    run 2 "$MNIST" train --data x --model mlp --batch-size 9223372036854775807 && expect_err "--batch-size"
    run 2 "$MNIST" train --data x --model mlp --lr nan && expect_err "--lr: 'nan' is not a number"
    run 2 "$MNIST" train --data x --model mlp --seed -3 && expect_err "--seed"
    run 2 "$MNIST" train --data x --model mlp --label-smoothing 1 && expect_err "--label-smoothing: 1 is out of range"
    run 2 "$MNIST" train --data x --model mlp --lr-schedule step && expect_err "--lr-schedule"
    run 2 "$MNIST" train --data x --model mlp --frobnicate 1 && expect_err "frobnicate"
    run 2 "$MNIST" train --data x --model resnet && expect_err "resnet"
    run 2 "$MNIST" train --data x --model mlp --epochs 2 --steps 3 && expect_err "--epochs excludes --steps"
    run 2 "$MNIST" train --data "$DATA" --model softmax --validation-size 60000 --out "$work/o" \
      && expect_err "--validation-size 60000 leaves no training images"
    ;;
  failures_exit_1)
    run 1 "$MNIST" evaluate --data /nonexistent --model-file /nonexistent/m.nn && expect_err "/nonexistent/m.nn: cannot open"
    refute_err "Usage"
    run 1 "$MNIST" evaluate --data "$DATA" --model-file "$work" && expect_err "is a directory, not a regular file"
    ;;
  diverged_run)
    # A directory holding a good model, then a run whose loss goes to NaN: it must not report the
    # old model's accuracy as its own, and the directory keeps the old model's history.
    cp -r "$GOOD_MODEL_DIR"/. "$work/o" 2>/dev/null || mkdir -p "$work/o"
    printf 'epoch,accuracy,loss\n0,0.9,0.3\n' >"$work/o/history.csv"
    cp "$work/o/history.csv" "$work/expected.csv"
    run 1 "$MNIST" train --data "$DATA" --model mlp --optimizer sgd --lr 1e6 --steps 50 --verbose 0 --out "$work/o"
    expect_err "training diverged"
    expect_err "no model was saved"
    refute_out "test_accuracy"
    cmp -s "$work/o/history.csv" "$work/expected.csv" || fail "a run that saved no model replaced history.csv"
    ;;
  out_locked)
    mkdir -p "$work/o"
    exec {lock_fd}>"$work/o/.lock"
    flock -n "$lock_fd" || fail "could not take the lock for the test"
    run 1 "$MNIST" train --data "$DATA" --model softmax --steps 5 --out "$work/o"
    expect_err "in use by another run"
    exec {lock_fd}>&-
    run 0 "$MNIST" train --data "$DATA" --model softmax --steps 5 --verbose 0 --out "$work/o"  # free again
    ;;
  train_interrupted)
    # SIGINT, then SIGTERM, during a long run: it stops after the step in progress, keeps the best
    # model so far (the interrupted epoch's, validated), removes its lock, says where things are
    # and exits 130 / 143.
    for sig in INT TERM; do
      rm -rf "$work/o"
      "$MNIST" train --data "$DATA" --model mlp --steps 1000000 --validation-size 1000 --verbose 0 --out "$work/o" \
        >"$out" 2>"$err" &
      pid=$!
      for _ in $(seq 600); do grep -q "Total params" "$out" && break; sleep 0.1; done  # the summary: fit starts
      sleep 1  # some steps done
      [[ -e "$work/o/.lock" ]] || fail "no lock file while training"
      kill -"$sig" "$pid"
      wait "$pid"
      status=$?
      expected=$([[ $sig == INT ]] && echo 130 || echo 143)
      [[ $status == "$expected" ]] || fail "SIG$sig: exit status $status, expected $expected"
      expect_err "stopped by SIG$sig after"
      expect_err "the best model so far is in $work/o/model.nn"
      [[ ! -e "$work/o/.lock" ]] || fail "SIG$sig: the lock file is left"
      run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/o/model.nn"
      expect_out "test_accuracy: 0."
    done
    ;;
  history_kept_when_killed)
    mkdir -p "$work/o"
    echo "epoch,loss" >"$work/o/history.csv"
    echo "0,0.123" >>"$work/o/history.csv"
    cp "$work/o/history.csv" "$work/expected.csv"
    "$MNIST" train --data "$DATA" --model cnn --steps 100000 --verbose 0 --out "$work/o" >"$out" 2>"$err" &
    pid=$!
    # The run must be training (its summary printed, still alive) when it is killed: a run that
    # died at start-up would leave history.csv alone for the wrong reason.
    for _ in $(seq 600); do grep -q "Total params" "$out" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    grep -q "Total params" "$out" || { kill -9 "$pid" 2>/dev/null; fail "the run printed no summary"; }
    sleep 1
    kill -0 "$pid" 2>/dev/null || fail "the run ended before it was killed"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    status=$?
    [[ $status == 137 ]] || fail "exit status $status, expected 137 (killed by SIGKILL)"
    cmp -s "$work/o/history.csv" "$work/expected.csv" || fail "history.csv changed by a run killed in its first epoch"
    ;;
  fifo_in_data)
    mkdir -p "$work/d"
    mkfifo "$work/d/train-images-idx3-ubyte"
    for f in train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do ln -s "$DATA/$f" "$work/d/$f"; done
    run 1 "$MNIST" train --data "$work/d" --model softmax --steps 5 --out "$work/o" && expect_err "is a FIFO"
    ;;
  evaluate_reads_only_test_split)
    mkdir -p "$work/d"
    for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do ln -s "$DATA/$f" "$work/d/$f"; done
    run 0 "$MNIST" evaluate --data "$work/d" --model-file "$GOOD_MODEL_DIR/model.nn" && expect_out "test_accuracy: 0."
    ;;
  wrong_image_size)
    mkdir -p "$work/d"
    write_idx_split "$work/d" train 10 32 32
    write_idx_split "$work/d" t10k 5 32 32
    run 1 "$MNIST" train --data "$work/d" --model cnn --steps 1 --out "$work/o" \
      && expect_err "images are 32x32, expected 28x28"
    run 1 "$MNIST" evaluate --data "$work/d" --model-file "$GOOD_MODEL_DIR/model.nn" \
      && expect_err "images are 32x32, expected 28x28"
    ;;
  models_without_metrics)
    "$FIXTURES" "$work" || fail "make_fixtures failed"
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/no_metrics.nn" && expect_out "test_accuracy: "
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/uncompiled.nn" && expect_out "test_accuracy: "
    ;;
  non_finite_weights)  # refused by every command that loads it, naming the tensor, not used silently
    "$FIXTURES" "$work" || fail "make_fixtures failed"
    run 1 "$MNIST" evaluate --data "$DATA" --model-file "$work/nan_bias.nn" && expect_err "tensor 'dense/bias' holds NaN"
    run 1 "$MNIST" predict --model-file "$work/nan_bias.nn" "$DIGITS/7_0007.jpg" \
      && expect_err "tensor 'dense/bias' holds NaN"
    run 1 "$MNIST" serve --port 0 --model-file "$work/nan_bias.nn" && expect_err "tensor 'dense/bias' holds NaN"
    ;;
  names_not_utf8)  # a file whose name is not UTF-8 is reported like the others, its stray bytes as \xHH
    mkdir -p "$work/d"
    cp "$DIGITS/7_0007.jpg" "$work/d/a-7.jpg"
    cp "$DIGITS/7_0007.jpg" "$work/d/b-"$'\xff'"-7.jpg"
    printf 'not an image' >"$work/d/c-"$'\xfe'".png"
    run 1 "$MNIST" predict --model-file "$GOOD_MODEL_DIR/model.nn" --json --output "$work/out.jsonl" "$work/d"
    for f in "$out" "$work/out.jsonl"; do
      /usr/bin/python3 - "$f" <<'PY' || fail "$f: not one JSON line per file with the names escaped"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
names = [r["file"].rsplit("/", 1)[1] for r in rows]
assert names == ["a-7.jpg", "b-\\xFF-7.jpg", "c-\\xFE.png"], names
assert "predicted_label" in rows[1] and "error" in rows[2], rows
PY
    done
    ;;
  schedule_and_smoothing)
    # A one-cycle schedule and label smoothing reach the model (and its file).
    run 0 "$MNIST" train --data "$DATA" --model mlp --steps 40 --lr-schedule one-cycle --label-smoothing 0.1 \
      --verbose 2 --out "$work/o"
    expect_out "test_accuracy: 0."
    grep -aq '"type":"OneCycle"' "$work/o/model.nn" || fail "the model file lacks the OneCycle schedule"
    grep -aq '"label_smoothing":0.1' "$work/o/model.nn" || fail "the model file lacks the label smoothing"
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/o/model.nn" && expect_out "test_accuracy: 0."
    ;;
  fast_model)
    # --model fast: its defaults (one epoch, one-cycle, label smoothing) reach the model file, the
    # batch-normalization statistics come along, and one epoch reaches 99% (a short run under
    # the sanitizers, where a whole epoch would take minutes).
    if [[ "${SANITIZED:-0}" == 1 ]]; then
      run 0 "$MNIST" train --data "$DATA" --model fast --steps 20 --verbose 2 --out "$work/o"
    else
      run 0 "$MNIST" train --data "$DATA" --model fast --verbose 2 --out "$work/o"
      acc=$(sed -n 's/^test_accuracy: //p' "$out")
      awk -v a="$acc" 'BEGIN { exit !(a >= 0.988) }' || fail "test accuracy $acc after one epoch, expected >= 0.988"
    fi
    expect_out "Non-trainable params: 224"
    grep -aq '"type":"OneCycle"' "$work/o/model.nn" || fail "the model file lacks the OneCycle schedule"
    grep -aq '"label_smoothing":0.1' "$work/o/model.nn" || fail "the model file lacks the label smoothing"
    grep -aq '/moving_variance"' "$work/o/model.nn" || fail "the model file lacks the moving statistics"
    trained=$(sed -n 's/^test_accuracy: //p' "$out")
    [[ -n $trained ]] || fail "no test_accuracy line"
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/o/model.nn" && expect_out "test_accuracy: $trained"
    ;;
  best_model)
    # --model best: augmentation layers in front, its defaults (18 epochs of one-cycle, label
    # smoothing) in the model file; a short run (the full one takes about 14 minutes, recorded in
    # benchmarks/RESULTS.md), whose augmentation is the identity when evaluate reads the model.
    run 0 "$MNIST" train --data "$DATA" --model best --steps 20 --verbose 2 --out "$work/o"
    for layer in RandomRotation RandomTranslation RandomZoom; do expect_out "($layer)"; done
    grep -aq '"type":"OneCycle"' "$work/o/model.nn" || fail "the model file lacks the OneCycle schedule"
    grep -aq '"RandomRotation"' "$work/o/model.nn" || fail "the model file lacks RandomRotation"
    trained=$(sed -n 's/^test_accuracy: //p' "$out")
    run 0 "$MNIST" evaluate --data "$DATA" --model-file "$work/o/model.nn" && expect_out "test_accuracy: $trained"
    # --augment: best without its augmentation, the cnn with it.
    run 0 "$MNIST" train --data "$DATA" --model best --augment off --steps 2 --verbose 0 --out "$work/p"
    refute_out "(RandomRotation)"
    /usr/bin/python3 -c 'import json,sys; sys.exit(dict(json.load(open(sys.argv[1]))["options"])["augment"] != "off")' \
      "$work/p/run.json" || fail "run.json does not say augment off"
    run 0 "$MNIST" train --data "$DATA" --model cnn --augment on --steps 2 --verbose 0 --out "$work/q"
    for layer in RandomRotation RandomTranslation RandomZoom; do expect_out "($layer)"; done
    run 2 "$MNIST" train --data "$DATA" --initial-model "$work/q/model.nn" --augment on --out "$work/r"
    expect_err "--augment chooses the layers of a new --model"
    ;;
  report_errors)
    # mnist report: what is wrong is named, and a failed report leaves no page (or the old one).
    "$MNIST" --help | grep -q "not in this build" && { echo "skipped: mnist was built without report pages (nn::report)"; exit 77; }
    run 2 "$MNIST" report --data "$DATA" && expect_err "dir is required"
    run 2 "$MNIST" report "$work" && expect_err "--data is required"
    run 1 "$MNIST" report "$work/none" --data "$DATA" && expect_err "$work/none: not a directory"
    run 1 "$MNIST" report "$work" --data "$DATA" && expect_err "$work/model.nn"
    mkdir -p "$work/o" && cp "$GOOD_MODEL_DIR/model.nn" "$GOOD_MODEL_DIR/history.csv" "$GOOD_MODEL_DIR/run.json" "$work/o/"
    printf 'epoch,loss\n0,0.5\n1,abc\n' >"$work/o/history.csv"
    echo "an earlier page" >"$work/o/report.html"
    run 1 "$MNIST" report "$work/o" --data "$DATA" && expect_err "$work/o/history.csv: line 3, column 2 (loss): 'abc' is not a number"
    [[ "$(cat "$work/o/report.html")" == "an earlier page" ]] || fail "a failed report changed the page there was"
    cp "$GOOD_MODEL_DIR/history.csv" "$work/o/"
    echo '{"model": 3}' >"$work/o/run.json"
    run 1 "$MNIST" report "$work/o" --data "$DATA" && expect_err "$work/o/run.json: field 'model'"
    # Without history.csv and run.json the page still has the test figures, and says what is missing.
    rm "$work/o/history.csv" "$work/o/run.json"
    run 0 "$MNIST" report "$work/o" --data "$DATA" && expect_out "report: $work/o/report.html"
    grep -q "No history.csv beside the model" "$work/o/report.html" || fail "the page does not say history.csv is missing"
    grep -q "No run.json beside the model" "$work/o/report.html" || fail "the page does not say run.json is missing"
    ls -a "$work/o" | grep -q '\.tmp-' && fail "a temporary file was left"
    # Not beside a run that is still writing there.
    exec {lock_fd}>"$work/o/.lock"
    flock -n "$lock_fd" || fail "could not take the lock for the test"
    run 1 "$MNIST" report "$work/o" --data "$DATA" && expect_err "in use by another run"
    exec {lock_fd}>&-
    ;;
  run_files_follow_the_model)
    # A run that saves a model removes the earlier run's record and page: the directory never pairs
    # one run's model with another's run.json or report.html.
    mkdir -p "$work/o" && cp "$GOOD_MODEL_DIR/model.nn" "$GOOD_MODEL_DIR/run.json" "$work/o/"
    echo "an earlier page" >"$work/o/report.html"
    run 0 "$MNIST" train --data "$DATA" --model softmax --steps 5 --verbose 0 --out "$work/o"
    [[ ! -e "$work/o/report.html" ]] || fail "the earlier run's report.html is still beside the new model"
    grep -q '"softmax"' "$work/o/run.json" || fail "run.json is not the new run's"
    # --report needs a build with report pages (checked before training, a usage error otherwise).
    if "$MNIST" --help | grep -q "not in this build"; then
      run 2 "$MNIST" train --data "$DATA" --model softmax --steps 5 --report --out "$work/p" && expect_err "--report:"
    else
      run 0 "$MNIST" train --data "$DATA" --model softmax --steps 5 --verbose 0 --report --out "$work/p"
      [[ -s "$work/p/report.html" ]] || fail "train --report wrote no page"
    fi
    ;;
  predict_usage)
    run 2 "$MNIST" predict --model-file x && expect_err "paths is required"
    run 2 "$MNIST" predict x.png && expect_err "--model-file is required"
    run 2 "$MNIST" predict --model-file x --batch-size 0 x.png && expect_err "--batch-size: 0 is out of range"
    run 1 "$MNIST" predict --model-file /nonexistent/m.nn x.png && expect_err "/nonexistent/m.nn: cannot open"
    ;;
  predict)
    # The example digits in a tree, a text file and a blank image beside them.
    mkdir -p "$work/in/more/deeper"
    cp "$DIGITS"/* "$work/in/"
    first=$(ls "$work/in" | grep -E '\.(png|jpg)$' | head -1)
    mv "$work/in/$first" "$work/in/more/deeper/"
    n=$(find "$work/in" -type f | wc -l)
    echo "some notes" >"$work/in/notes.txt"
    { printf 'P5\n16 16\n255\n'; head -c 256 /dev/zero | tr '\0' '\360'; } >"$work/in/more/blank.pgm"
    model="$GOOD_MODEL_DIR/model.nn"
    run 1 "$MNIST" predict --model-file "$model" "$work/in" --batch-size 3 --output "$work/r.csv" --debug-dir "$work/seen"
    good=$(grep -cE '^.+: [0-9] \((0\.[0-9]{3}|1\.000)\)$' "$out")
    [[ $good == "$n" ]] || fail "$good lines 'PATH: LABEL (SCORE)', expected $n"
    expect_out "$work/in/more/deeper/$first: "
    # The digits are read, not just formatted: the file names start with the digit drawn. Even the
    # short-trained test model reads most of them (chance would be 1 in 10).
    right=$(grep -cE '/([0-9])_[^/]*: \1 ' "$out")
    (( right * 2 >= n )) || fail "only $right of the $n example digits read as the digit in their name"
    expect_out "$work/in/notes.txt: error: not an image"
    expect_out "$work/in/more/blank.pgm: error: no digit found"
    expect_err "2 of $((n + 2)) files could not be read"
    [[ $(wc -l <"$work/r.csv") == $((n + 3)) ]] || fail "r.csv: expected a header and $((n + 2)) rows"
    head -1 "$work/r.csv" | grep -qx "file,predicted_label,score,top5,error" || fail "r.csv header"
    grep -q "notes.txt,,,,\"not an image" "$work/r.csv" || fail "r.csv lacks the error row (a quoted CSV field)"
    [[ $(ls "$work/seen"/*.png | wc -l) == "$n" ]] || fail "--debug-dir: expected $n PNG files"
    "$MNIST" predict --model-file "$model" "$work/in/$(ls "$work/in" | grep -E '\.(png|jpg)$' | head -1)" --debug-dir "$work/one" >/dev/null \
      || fail "predict on one file"
    # The 28x28 image the model saw: a PNG that `predict` reads back (it is in MNIST's form already).
    run 0 "$MNIST" predict --model-file "$model" "$work/one"
    # --json: one object per line, the top 5 as [label, probability]; --output F.jsonl the same.
    run 1 "$MNIST" predict --model-file "$model" --json "$work/in" --output "$work/r.jsonl"
    cmp -s "$out" "$work/r.jsonl" || fail "--output .jsonl differs from --json's output"
    /usr/bin/python3 - "$out" "$n" <<'PY' || fail "--json output"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
good = [r for r in rows if "error" not in r]
assert len(good) == int(sys.argv[2]), len(good)
for r in good:
    assert set(r) == {"file", "predicted_label", "scores"}, r
    assert len(r["scores"]) == 5 and r["scores"][0][0] == r["predicted_label"], r
    p = [s[1] for s in r["scores"]]
    assert p == sorted(p, reverse=True) and 0 <= p[-1] and p[0] <= 1, r
assert sum(1 for r in rows if "error" in r) == 2
PY
    # Only good files: exit 0.
    run 0 "$MNIST" predict --model-file "$model" "$work/in/more/deeper"
    ;;
  serve_usage)
    run 2 "$MNIST" serve && expect_err "give --model-file or --model-dir"
    run 2 "$MNIST" serve --model-file a --model-dir b && expect_err "excludes"
    run 2 "$MNIST" serve --model-file a --port 70000 && expect_err "--port: 70000 is out of range"
    run 2 "$MNIST" serve --model-file a --threads 0 && expect_err "--threads: 0 is out of range"
    run 1 "$MNIST" serve --model-file /nonexistent/m.nn && expect_err "/nonexistent/m.nn: cannot open"
    run 1 "$MNIST" serve --model-dir "$work" && expect_err "no model version could be loaded"
    ;;
  serve)
    start_server --model-file "$GOOD_MODEL_DIR/model.nn"
    grep -qF "no API key" "$work/server.err" || fail "the server did not say it is open"
    http 200 "$base/v1/models/mnist"
    [[ $(json_field '["model_version_status"][0]["state"]') == AVAILABLE ]] || fail "model status"
    http 200 "$base/"
    grep -q '<canvas id="pad"' "$work/body" || fail "the page"
    http 200 "$base/metrics"
    grep -q '^nn_http_requests_total' "$work/body" || fail "metrics"
    http 404 "$base/v1/models/other"
    http 400 -X POST "$base/v1/models/mnist:predict" -H 'Content-Type: application/json' -d '{"instances": [[1]]}'
    # Every curl line of the README, against this server (in the README's directory, where the
    # files it names are): each must succeed and answer JSON with a prediction or a status.
    cd "$(dirname "$README")"
    mapfile -t lines < <(/usr/bin/python3 - "$README" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for block in re.findall(r"```sh\n(.*?)```", text, re.S):
    for cmd in re.findall(r"^(curl .*?(?:\\\n.*?)*)$", block, re.M):
        print(cmd.replace("\\\n", " "))
PY
    )
    [[ ${#lines[@]} -ge 4 ]] || fail "the README has ${#lines[@]} curl lines, expected at least 4"
    for line in "${lines[@]}"; do
      cmd=${line//localhost:8501/${base#http://}}
      eval "$cmd" >"$work/body" 2>"$work/curl.err" || fail "README line failed: $line ($(cat "$work/curl.err"))"
      /usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert any(k in v for k in ("predictions", "outputs", "predicted_label", "model_version_status")), v' "$work/body" \
        || fail "README line answered $(head -c 300 "$work/body"): $line"
    done
    cd - >/dev/null
    grep -qE 'POST /v1/models/mnist:predict 200' "$work/server.err" || fail "no access log line"
    stop_server
    ;;
  serve_slow_clients)
    # Slowloris (-H), slow bodies (-B) and slow reads (-X) from slowhttptest, 200 connections
    # each, all admitted (the connection limits raised), while a client of its own checks that
    # health and predictions keep being answered: none failed, p99 under 100 ms.
    command -v slowhttptest >/dev/null || { echo "NN-SKIPPED: slowhttptest (Debian package slowhttptest) is not installed"; exit 77; }
    start_server --model-file "$GOOD_MODEL_DIR/model.nn" --max-connections 1000 --max-connections-per-client 1000
    /usr/bin/python3 -c 'import json; print(json.dumps({"instances": [[[0.5] * 28] * 28]}))' >"$work/predict.json"
    for mode in H B X; do
      case $mode in
        H) attack=(-H -c 200 -r 200 -i 1 -x 8 -t GET -u "$base/v2/health/live") ;;
        B) attack=(-B -c 200 -r 200 -i 1 -x 8 -s 8192 -t POST -u "$base/v1/models/mnist:predict") ;;
        X) attack=(-X -c 200 -r 200 -k 4 -n 1 -z 1 -w 1 -y 4 -t GET -u "$base/") ;;
      esac
      slowhttptest "${attack[@]}" -l 10 -p 2 >"$work/slow$mode.txt" 2>&1 &
      slow_pid=$!
      sleep 1.5  # the attack's connections are open
      /usr/bin/python3 "$(dirname "$0")/probe.py" "$base" 6 "$work/predict.json" 100 >"$work/probe$mode.txt" 2>&1
      probe=$?
      wait "$slow_pid"
      echo "slowhttptest -$mode: $(grep -E "Exit status|service available" "$work/slow$mode.txt" | sed 's/\x1b\[[0-9;]*m//g' | tr -s ' \n' ' ')"
      cat "$work/probe$mode.txt"
      [[ $probe == 0 ]] || fail "slowhttptest -$mode: the server did not keep answering ($(cat "$work/probe$mode.txt"))"
      if [[ $mode != X ]]; then
        open=$(sed -n 's/.*most connections open \([0-9]*\).*/\1/p' "$work/probe$mode.txt")
        (( open >= 100 )) || fail "slowhttptest -$mode held only ${open:-0} connections open: the attack did not happen"
      fi
    done
    kill -0 "$server_pid" || fail "the server died"
    stop_server
    ;;
  serve_many_connections)
    # wrk at 500 connections, every answer parsed by its strict parser (a malformed one counts as
    # a read error): no socket errors, no timeouts, every answer 200.
    command -v wrk >/dev/null || { echo "NN-SKIPPED: wrk (Debian package wrk) is not installed"; exit 77; }
    start_server --model-file "$GOOD_MODEL_DIR/model.nn" --max-connections 1000 --max-connections-per-client 1000
    /usr/bin/python3 -c 'import json; print(json.dumps({"instances": [[[0.5] * 28] * 28]}))' >"$work/predict.json"
    cat >"$work/predict.lua" <<LUA
local f = assert(io.open("$work/predict.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
    for target in health predict; do
      if [[ $target == health ]]; then
        run 0 wrk -t2 -c500 -d4s --timeout 5s "$base/v2/health/live"
      else
        run 0 wrk -t2 -c500 -d4s --timeout 5s -s "$work/predict.lua" "$base/v1/models/mnist:predict"
      fi
      echo "wrk -c500 $target: $(grep -E "requests in|Requests/sec|Socket errors|Non-2xx" "$out" | tr -s ' \n' ' ')"
      requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$out")
      (( requests >= 500 )) || fail "wrk made only ${requests:-0} requests"
      refute_out "Socket errors"
      refute_out "Non-2xx"
    done
    kill -0 "$server_pid" || fail "the server died"
    stop_server
    ;;
  serve_drains)
    # SIGTERM while requests are in flight (each waits 1.5 s for its batch to fill): every one is
    # answered 200 before the server exits 0.
    start_server --model-file "$GOOD_MODEL_DIR/model.nn" --batch-timeout-us 1500000 --max-batch-size 64
    /usr/bin/python3 -c 'import json; print(json.dumps({"instances": [[[0.5] * 28] * 28]}))' >"$work/predict.json"
    for i in 1 2 3 4; do
      curl -s -o "$work/reply$i" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$work/predict.json" \
        "$base/v1/models/mnist:predict" >"$work/code$i" &
    done
    sleep 0.5
    stop_server
    wait
    for i in 1 2 3 4; do
      [[ $(cat "$work/code$i") == 200 ]] || fail "request $i in flight at SIGTERM got '$(cat "$work/code$i")'"
      grep -q '"predictions"' "$work/reply$i" || fail "request $i: $(cat "$work/reply$i")"
    done
    ;;
  serve_api_key)
    NN_API_KEY=s3cret start_server --model-file "$GOOD_MODEL_DIR/model.nn"
    body='{"instances": [{"b64": "'$(base64 -w0 "$(ls "$DIGITS"/*.jpg | head -1)")'"}]}'
    http 401 -X POST "$base/v1/models/mnist:predict" -H 'Content-Type: application/json' -d "$body"
    http 401 -X POST "$base/v1/models/mnist:predict" -H 'Authorization: Bearer nope' -H 'Content-Type: application/json' -d "$body"
    http 200 -X POST "$base/v1/models/mnist:predict" -H 'Authorization: Bearer s3cret' -H 'Content-Type: application/json' -d "$body"
    http 200 -X POST "$base/v1/models/mnist:predict" -H 'X-Api-Key: s3cret' -H 'Content-Type: application/json' -d "$body"
    http 200 "$base/healthz"
    ! grep -qF "no API key" "$work/server.err" || fail "the server said it is open"
    stop_server
    ;;
  serve_port_taken)
    start_server --model-file "$GOOD_MODEL_DIR/model.nn"
    port=${base##*:}
    run 1 "$MNIST" serve --model-file "$GOOD_MODEL_DIR/model.nn" --port "$port" && expect_err "cannot listen on 127.0.0.1:$port"
    stop_server
    ;;
  threads_cannot_start)
    if [[ "${SANITIZED:-0}" == 1 ]]; then
      echo "SKIP: AddressSanitizer cannot run under an address-space limit (ulimit -v)"
      exit 77
    fi
    (ulimit -v 1000000 && exec "$MNIST" evaluate --data "$DATA" --model-file "$GOOD_MODEL_DIR/model.nn" --threads 1000) \
      >"$out" 2>"$err"
    status=$?
    [[ $status == 1 ]] || fail "exit status $status, expected 1"
    expect_err "cannot start 1000 threads"
    ;;
  *)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
echo "PASS [$case_name]"
