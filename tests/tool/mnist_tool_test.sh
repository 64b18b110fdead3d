#!/usr/bin/env bash
# Tests of the mnist tool as a user runs it: exit codes, messages, and what it leaves on disk.
#   mnist_tool_test.sh CASE    with MNIST (the tool), DATA (the real MNIST files), FIXTURES (the
#   make_fixtures binary), WORK (a scratch directory) and SANITIZED (1 under ASan) in the environment.
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

case "$case_name" in
  help)
    run 0 "$MNIST" --help && expect_out "train"
    run 0 "$MNIST" train --help && expect_out "--epochs"
    run 0 "$MNIST" evaluate --help && expect_out "--model-file"
    ;;
  usage_errors)
    run 2 "$MNIST" && expect_err "A subcommand is required"
    run 2 "$MNIST" train --data x --model mlp --epochs 4294967297 && expect_err "--epochs: 4294967297 is out of range"
    run 2 "$MNIST" train --data x --model mlp --verbose -1 && expect_err "--verbose: -1 is out of range"
    run 2 "$MNIST" train --data x --model mlp --validation-size -1 && expect_err "--validation-size: -1 is out of range"
    run 2 "$MNIST" train --data x --model mlp --batch-size 9223372036854775807 && expect_err "--batch-size"
    run 2 "$MNIST" train --data x --model mlp --lr nan && expect_err "--lr: 'nan' is not a number"
    run 2 "$MNIST" train --data x --model mlp --seed -3 && expect_err "--seed"
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
    # old model's accuracy as its own.
    cp -r "$GOOD_MODEL_DIR"/. "$work/o" 2>/dev/null || mkdir -p "$work/o"
    run 1 "$MNIST" train --data "$DATA" --model mlp --optimizer sgd --lr 1e6 --steps 50 --verbose 0 --out "$work/o"
    expect_err "training diverged"
    refute_out "test_accuracy"
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
  history_kept_when_killed)
    mkdir -p "$work/o"
    echo "epoch,loss" >"$work/o/history.csv"
    echo "0,0.123" >>"$work/o/history.csv"
    cp "$work/o/history.csv" "$work/expected.csv"
    "$MNIST" train --data "$DATA" --model cnn --steps 100000 --verbose 0 --out "$work/o" >"$out" 2>"$err" &
    pid=$!
    for _ in $(seq 100); do grep -q "Total params" "$out" && break; sleep 0.1; done
    sleep 1
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
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
  threads_cannot_start)
    if [[ "${SANITIZED:-0}" == 1 ]]; then
      echo "SKIP: AddressSanitizer cannot run under an address-space limit (ulimit -v)"
      exit 0
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
