#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan; the `fuzz` preset) and runs each for a
# bounded time, starting from the committed corpus in fuzz/corpus. A crash, leak, timeout or
# sanitizer report fails the run and leaves its input in build/fuzz/artifacts/.
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]   (targets: model_file idx image request connection history onnx)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
nn_install_packages clang libclang-rt-14-dev
nn_build fuzz
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_file idx image request connection history onnx)
mkdir -p build/fuzz/artifacts
status=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)  # new inputs go here, not into the committed corpus
  log=build/fuzz/fuzz_$t.log
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=("-dict=fuzz/$t.dict")
  echo "== fuzz_$t for $secs s"
  if build/fuzz/bin/fuzz_"$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
       "${dict[@]}" -artifact_prefix="build/fuzz/artifacts/$t-" "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$log"
  else
    echo "fuzz_$t FAILED; the input is in build/fuzz/artifacts/; the end of its log:"
    tail -n 60 "$log"
    status=1
  fi
  rm -rf "$work"
done
exit $status
