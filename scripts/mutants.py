#!/usr/bin/env python3
# Planted bugs ("mutants"): does the test suite see a one-line fault?
#
#   scripts/mutants.py [--preset release] [--check] [--list] [--jobs N] [FILTER...]
#
# Each mutant below is one small fault (a sign flipped, an element skipped, a bound off by one, a
# check removed, a constant changed) in a kernel, an op, a loader, the model file, the server or
# the mnist tool. For each selected mutant (FILTER: substrings of mutant names; none: all) the
# script writes the fault into the file, rebuilds the mutant's targets, runs the ctest tests meant
# to catch it (-R regex) and puts the file back; a mutant is "caught" when ctest fails. At the end
# it rebuilds the whole preset (so the build matches the source again), prints a Markdown table
# (also written to build/<preset>/mutants.md; each mutant's build and test output is in
# build/<preset>/mutants/NAME.log) and exits 1 if a mutant survived or failed to build.
#
# Not part of CI: it edits source files in place (always restored, also on Ctrl-C or SIGTERM; after
# a SIGKILL, `git diff` shows the planted fault and `git checkout -- FILE` removes it) and rebuilds
# once per mutant. Each mutant costs a one-file rebuild, a relink and a few tests: 3-25 seconds
# on 2 cores (the tool's mutants include a 30-step training run); all 39 take about 6 minutes.
# Run it on a clean, built tree (scripts/test.sh first), not while building.
#
#   --check   without building: every mutant's `old` occurs exactly once in its file and differs
#             from `new`, its targets exist, and (once build/<preset> is built) its test
#             regex selects at least one test (ctest -N).
#   --list    the mutants' names.
#   --jobs N  parallel build and test jobs (default: the number of CPUs).
#
# Adding a mutant: copy a substring that occurs once in the file (usually one line or part of
# one) into `old`, the fault into `new` (it may add one statement), name the targets that must be
# rebuilt (nn_tests for the library's tests, nn_serving_tests for the server's, mnist for the
# tool's, bench_kernels for the kernel check) and a small ctest -R regex of the tests that should
# catch it (`ctest --preset release -N -R REGEX` lists them; avoid regex metacharacters that the
# test names contain literally: ( ) [ ] + .). Then `scripts/mutants.py --check` and
# `scripts/mutants.py NAME`. Every fault that survives gets a test that catches it, or an
# explanation in SURVIVORS below (a fault no test can observe, e.g. one that is equivalent to the
# original) and no entry in MUTANTS.
import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("sign flipped", "element skipped", "bound off by one", "check removed", "wrong constant", "wrong value")
NN, SERVING, TOOL, BENCH = ["nn_tests"], ["nn_serving_tests"], ["mnist"], ["bench_kernels"]


def m(name, file, kind, old, new, targets, tests, env=None, finding=None):
    return dict(name=name, file=file, kind=kind, old=old, new=new, targets=targets, tests=tests, env=env or {},
                finding=finding)


MUTANTS = [
    # ---- the findings the test-suite work addressed: each fault a strengthened test targets ----
    m("bench-check-loses-nan", "benchmarks/bench_kernels.cpp", "check removed",
      "if (std::isnan(e)) {", "if (std::isnan(e) && i + 1 == want.size()) {", BENCH, "^bench_kernels_check$",
      finding="finding 1: the original bug, a NaN error is kept only when it is the last element"),
    m("atomic-save-follows-symlink", "src/io/atomic_file.cpp", "check removed",
      "O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC", "O_WRONLY | O_CREAT | O_CLOEXEC", NN,
      "planted symlink", finding="finding 2: the temporary file is opened through a planted symlink"),
    m("mnist-train-learns-nothing", "examples/mnist/train.cpp", "wrong constant",
      "opt->set_schedule(nn::CosineDecay(lr, ", "opt->set_schedule(nn::CosineDecay(0.0f * lr, ", TOOL,
      "^mnist_tool_train$", finding="finding 3: the cnn's schedule (its default) at learning rate 0"),
    m("mnist-evaluate-skips-images", "examples/mnist/evaluate.cpp", "element skipped",
      "model.evaluate(scaled(data.test_images, model.input_shape()), data.test_labels, o.batch_size);",
      "model.evaluate(scaled(data.test_images.slice(0, 9000), model.input_shape()), "
      "data.test_labels.slice(0, 9000), o.batch_size);", TOOL, "^mnist_tool_train$|^mnist_tool_evaluate$",
      finding="finding 3: evaluate drops the last 1000 test images (one example moves a 4-digit figure too rarely)"),
    m("optimizer-steps-frozen", "src/optim/optimizer.cpp", "check removed",
      "if (!p.requires_grad() || !p.has_grad()) continue;", "if (!p.has_grad()) continue;", NN,
      "frozen parameters are skipped", finding="finding 6: frozen parameters"),
    m("shuffle-unseeded-keeps-order", "src/data/dataset.cpp", "wrong value",
      "const uint64_t s = seed ? *seed : default_generator().next_u64();",
      "if (!seed) return *this; const uint64_t s = seed ? *seed : default_generator().next_u64();", NN,
      "reshuffle_each_iteration changes", finding="finding 6: a shuffle without a seed of its own"),
    m("csv-logger-ignores-append", "src/model/callbacks/csv_logger.cpp", "wrong value",
      "file_.open(filename_, append_ ? std::ios::app : std::ios::trunc);", "file_.open(filename_, std::ios::trunc);",
      NN, "callbacks and fit take named options", finding="finding 6: CSVLogger's append"),
    m("tensorboard-every-other-batch", "src/model/callbacks/tensorboard.cpp", "bound off by one",
      "global_step_ % update_freq_ != 0", "global_step_ % (update_freq_ + 1) != 0", NN,
      "callbacks and fit take named options", finding="finding 6: TensorBoard's update_freq"),
    m("early-stopping-patience-plus-one", "src/model/callbacks/early_stopping.cpp", "bound off by one",
      "if (wait_ >= o_.patience() && epoch > 0) {", "if (wait_ > o_.patience() && epoch > 0) {", NN,
      "callbacks and fit take named options", finding="finding 6: EarlyStopping's patience"),
    m("gemm-nan-element", "src/backend/cpu/cpu_gemm.cpp", "wrong value",
      "static_cast<blasint>(ldc));",
      "static_cast<blasint>(ldc));\n  if (m >= 128 && n >= 64) c[(m - 1) * ldc + n - 1] = __builtin_nanf(\"\");", NN,
      "parallel gemm", finding="finding 7: a NaN in a result is counted as wrong"),
    m("elu-alpha-sign", "src/backend/cpu/cpu_elementwise.cpp", "sign flipped",
      "return v > 0.0f ? v : alpha * std::expm1(v);", "return v > 0.0f ? v : -alpha * std::expm1(v);", NN,
      "reference: elementwise|reference: activation layers", finding="finding 8: independent references"),
    m("relu6-caps-at-5", "src/backend/cpu/cpu_elementwise.cpp", "wrong constant",
      "return std::fmin(std::fmax(x, 0.0f), 6.0f);", "return std::fmin(std::fmax(x, 0.0f), 5.0f);", NN,
      "reference: elementwise|reference: activation layers", finding="finding 8: independent references"),
    m("softsign-denominator", "src/backend/cpu/cpu_elementwise.cpp", "wrong value",
      "return v / (1.0f + std::fabs(v));", "return v / (1.0f + v * v);", NN, "reference: elementwise",
      finding="finding 8: independent references"),
    m("hard-silu-constant", "src/backend/cpu/cpu_elementwise.cpp", "wrong constant",
      "v * relu6(v + 3.0f) / 6.0f", "v * relu6(v + 3.0f) / 5.0f", NN, "reference: elementwise",
      finding="finding 8: independent references"),
    m("log-softmax-forgets-max", "src/backend/cpu/cpu_softmax.cpp", "wrong value",
      "const float lse = mx + static_cast<float>(std::log(s));", "const float lse = static_cast<float>(std::log(s));",
      NN, "softmax and log_softmax", finding="finding 8: independent references"),
    m("label-smoothing-spread", "src/losses.cpp", "bound off by one",
      "const float spread = s / static_cast<float>(targets.shape()[1]);",
      "const float spread = s / static_cast<float>(targets.shape()[1] - 1);", NN, "label smoothing|label-smoothed",
      finding="finding 8: independent references"),
    m("thread-pool-chunk-skips-one", "src/backend/cpu/thread_pool.cpp", "bound off by one",
      "next_ = end;", "next_ = end + 1;", NN,
      "parallel gemm|split across threads|chunked path|equals a direct convolution|matrix-vector path",
      env={"NN_NUM_THREADS": "1"}, finding="finding 9: caught on a one-CPU runner (the tests set 1, 2 and 3 threads)"),
    m("reader-from-logits-on-softmax", "src/io/model_reader.cpp", "check removed",
      "if (loss->from_logits() && model.ends_with_softmax())",
      "if (false && loss->from_logits() && model.ends_with_softmax())", NN,
      "every committed model-file fuzz regression|inconsistent compile settings",
      finding="finding 10: fuzz regressions replayed for their error"),
    m("reader-weight-is-optimizer-slot", "src/io/model_reader.cpp", "check removed",
      "if (!name.empty() && e.name != name)", "if (false && !name.empty() && e.name != name)", NN,
      "every committed model-file fuzz regression|checked against itself",
      finding="finding 10: fuzz regressions replayed for their error"),

    # ---- kernels ----
    m("relu-grad-wrong-side", "src/backend/cpu/cpu_elementwise.cpp", "sign flipped",
      "dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;", "dx[i] = x[i] < 0.0f ? dy[i] : 0.0f;", NN,
      "^elementwise activations|gradient check: MaxPool2D"),
    m("max-pool-skips-last-column", "src/backend/cpu/cpu_pool.cpp", "element skipped",
      "for (int64_t ix = win.x0; ix < win.x1; ++ix) {", "for (int64_t ix = win.x0; ix < win.x1 - 1; ++ix) {", NN,
      "max_pool2d|max and average pooling"),
    m("avg-pool-divisor-plus-one", "src/backend/cpu/cpu_pool.cpp", "bound off by one",
      "1.0f / static_cast<float>((y1 - y0) * (x1 - x0));", "1.0f / static_cast<float>((y1 - y0) * (x1 - x0) + 1);",
      NN, "average pooling|AveragePooling2D"),
    m("conv-valid-range-short", "src/backend/cpu/cpu_conv.cpp", "bound off by one",
      "std::clamp<int64_t>(ceil_div(size + pad - k, stride), begin, out);",
      "std::clamp<int64_t>(ceil_div(size + pad - k, stride) - 1, begin, out);", NN,
      "conv2d forward equals a direct|reference: conv2d|conv2d: strides", env={"NN_CONV": "im2col"}),
    m("dense-bias-grad-skips-row", "src/backend/cpu/cpu_bias.cpp", "element skipped",
      "for (int64_t o = 0; o < outer; ++o) {", "for (int64_t o = 1; o < outer; ++o) {", NN,
      "^matmul and linear|gradient check: Dense|fused activation"),
    m("epilogue-sigmoid-sign", "src/backend/cpu/cpu_bias.cpp", "sign flipped",
      "v = 1.0f / (1.0f + std::exp(-v));", "v = 1.0f / (1.0f + std::exp(v));", NN,
      "with each epilogue|fused activation"),
    m("broadcast-scalar-sub-reversed", "src/backend/cpu/cpu_broadcast.cpp", "sign flipped",
      "else for (int64_t i = s; i < e; ++i) out[i] = k - full[i];",
      "else for (int64_t i = s; i < e; ++i) out[i] = full[i] - k;", NN, "broadcasting add, sub"),
    m("adam-bias-correction-exponent", "src/backend/cpu/cpu_optimizers.cpp", "bound off by one",
      "(1.0 - std::pow(p.beta1, t))", "(1.0 - std::pow(p.beta1, t + 1))", NN, "Adam's first steps|AdamW"),
    m("batch-norm-unbiased-variance", "src/backend/cpu/cpu_batch_norm.cpp", "wrong constant",
      "const double v = std::max(0.0, q[static_cast<size_t>(c - first)] / count - m * m);",
      "const double v = std::max(0.0, q[static_cast<size_t>(c - first)] / count - m * m) * count / (count - 1);",
      NN, "reference: batch normalization|BatchNormalization follows Keras|batch_norm: batch statistics"),
    m("dropout-scale-by-rate", "src/backend/cpu/cpu_backend.cpp", "wrong value",
      "rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f", "rate < 1.0f ? 1.0f / rate : 0.0f", NN,
      "dropout: seeded|reference: dropout"),
    # ---- ops and losses ----
    m("cross-entropy-mean-grad", "src/ops/cross_entropy.cpp", "wrong value",
      "const float k = reduction == Reduction::Mean ?", "const float k = reduction == Reduction::Sum ?", NN,
      "softmax cross-entropy: labels and one-hot|label-smoothed cross-entropy gradient"),
    # ---- loaders and files ----
    m("idx-accepts-zero-extent", "src/data/idx.cpp", "bound off by one",
      "if (extent <= 0)", "if (extent < 0)", NN, "read_idx rejects malformed"),
    m("batch-drops-remainder", "src/data/batch.cpp", "element skipped",
      "if (n == 0 || (drop_remainder_ && n < batch_size_)) return std::nullopt;",
      "if (n == 0 || n < batch_size_) return std::nullopt;", NN, "batch stacks elements"),
    m("reader-tensor-overlap-unchecked", "src/io/model_reader.cpp", "check removed",
      "if (a.bytes > 0 && b.bytes > 0 && a.offset + a.bytes > b.offset)",
      "if (false && a.bytes > 0 && b.bytes > 0 && a.offset + a.bytes > b.offset)", NN,
      "checked against itself|every committed model-file fuzz regression"),
    m("reader-accepts-non-finite", "src/io/model_reader.cpp", "check removed",
      "if (!options_.allow_non_finite()) {", "if (false) {", NN + TOOL,
      "weights that are NaN or infinite|^mnist_tool_non_finite_weights$"),
    m("reader-checksum-unchecked", "src/io/model_reader.cpp", "check removed",
      "if (crc != static_cast<uint32_t>(nn::detail::get_le(stored, 4)))",
      "if (false && crc != static_cast<uint32_t>(nn::detail::get_le(stored, 4)))", NN,
      "corrupt, truncated, foreign"),
    # ---- the server ----
    m("serving-instances-limit-plus-one", "src/serving/requests.cpp", "bound off by one",
      "if (static_cast<int64_t>(n) > limits.max_instances)",
      "if (static_cast<int64_t>(n) > limits.max_instances + 1)", SERVING, "^serving: ?bad requests get"),
    m("serving-pixel-budget-not-spent", "src/serving/requests.cpp", "check removed",
      "if (pixels_left) *pixels_left -= img.width * img.height;",
      "if (false && pixels_left) *pixels_left -= img.width * img.height;", SERVING,
      "^serving: ?an image over the pixel limit"),
    m("http-per-client-limit-plus-one", "src/serving/http_server.cpp", "bound off by one",
      "mine < shared.options.max_connections_per_client", "mine <= shared.options.max_connections_per_client",
      SERVING, "^serving: ?full queues answer 503"),
    m("http-host-unchecked", "src/serving/http_server.cpp", "check removed",
      "if (h.version() == 11 && req_.header_count(\"Host\") != 1)", "if (false)",
      SERVING, "^serving: ?request smuggling and framing"),
    m("http-transfer-encoding-accepted", "src/serving/http_server.cpp", "check removed",
      "if (codings == 1) return refuse(411", "if (false) return refuse(411", SERVING,
      "^serving: ?request smuggling and framing"),
]

# Faults that were considered and left out because no test can see them, with the reason. A
# mutant that survives moves here only with such a reason; otherwise it gets a test.
SURVIVORS = [
    dict(file="src/io/atomic_file.cpp", fault="O_NOFOLLOW dropped (O_EXCL kept)",
         why="equivalent: O_CREAT | O_EXCL already fails on any existing name, a symlink included"),
    dict(file="benchmarks/bench_kernels.cpp", fault="the `break` after a NaN error dropped",
         why="equivalent: no later error compares greater than NaN, so the NaN stays the worst"),
    dict(file="src/serving/http_server.cpp", fault="the check for Content-Length beside Transfer-Encoding removed",
         why="equivalent: Beast's parser refuses either header after the other (bad_content_length, "
             "bad_transfer_encoding), which also answers 400; the check stays as defence in depth"),
    dict(file="src/data/idx.cpp", fault="the early truncated-file check off by one (size < header + payload - 1)",
         why="equivalent in effect: the read loop reports the same 'truncated' message for a file one byte short"),
]


def fail(msg):
    sys.exit(f"mutants.py: {msg}")


def run(cmd, env=None):
    """Runs cmd in ROOT, output captured (stdout and stderr together); kills its process group on an
    interrupt (it is in a session of its own, so Ctrl-C reaches only this script)."""
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace", start_new_session=True)
    try:
        out, _ = p.communicate()
    except BaseException:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        p.wait()
        raise
    return p.returncode, out


def build_dir(preset):
    return ROOT / "build" / preset


def is_built(preset):
    """Configured, with the test binary whose test cases ctest lists."""
    return (build_dir(preset) / "CTestTestfile.cmake").exists() and (build_dir(preset) / "bin" / "nn_tests").exists()


def cmake_targets():
    """The targets the CMakeLists define (add_executable / add_library), for --check."""
    names = set()
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in ("build", "data", "node_modules") and not d.startswith(".")]
        if "CMakeLists.txt" in files:
            text = (Path(top) / "CMakeLists.txt").read_text(encoding="utf-8", errors="replace")
            names.update(re.findall(r"add_(?:executable|library)\(\s*([A-Za-z0-9_]+)", text))
    return names


def count_tests(preset, regex):
    rc, out = run(["ctest", "--preset", preset, "-N", "-R", regex])
    found = re.search(r"Total Tests:\s*(\d+)", out)
    return int(found.group(1)) if rc == 0 and found else None


def check(mutants, preset):
    problems = []
    names = [mt["name"] for mt in MUTANTS]
    for n in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{n}: the name is used twice")
    targets = cmake_targets()
    built = is_built(preset)
    for mt in mutants:
        where = f"{mt['name']} ({mt['file']})"
        path = ROOT / mt["file"]
        if not path.is_file():
            problems.append(f"{where}: no such file")
            continue
        found = path.read_text(encoding="utf-8").count(mt["old"])
        if found != 1:
            problems.append(f"{where}: `old` occurs {found} times, expected once: {mt['old']!r}")
        if mt["new"] == mt["old"]:
            problems.append(f"{where}: `new` equals `old`")
        if mt["kind"] not in KINDS:
            problems.append(f"{where}: unknown kind {mt['kind']!r} (one of: {', '.join(KINDS)})")
        if not mt["targets"]:
            problems.append(f"{where}: no targets")
        for t in mt["targets"]:
            if t not in targets:
                problems.append(f"{where}: no CMake target {t!r}")
        if built:
            n = count_tests(preset, mt["tests"])
            if not n:
                problems.append(f"{where}: the tests regex {mt['tests']!r} selects no test"
                                + (" (ctest -N failed)" if n is None else ""))
    if not built:
        print(f"note: {build_dir(preset).relative_to(ROOT)} is not built: the tests regexes were not checked")
    for p in problems:
        print(p)
    print(f"{len(mutants)} mutants checked, {len(problems)} problems")
    return not problems


def parse_ctest(out):
    """(tests run, failed test names) from ctest's output; 0 run when it found no test or printed no
    total (it did not get as far as running tests)."""
    total = re.search(r"tests passed, \d+ tests? failed out of (\d+)", out)
    failed, in_block = [], False
    for line in out.splitlines():
        if line.startswith("The following tests FAILED:"):
            in_block = True
        elif in_block:
            hit = re.match(r"\s*\d+ - (.+) \(([^()]*)\)\s*$", line)  # "  12 - name (Failed)"
            if hit:
                failed.append(hit.group(1))
            elif line.strip():
                break
    return (int(total.group(1)) if total else 0), failed


def run_mutant(mt, preset, jobs, log_dir):
    path = ROOT / mt["file"]
    original = path.read_bytes()
    text = original.decode()
    start = time.monotonic()
    log = [f"# {mt['name']}: {mt['file']} ({mt['kind']}; {mt['finding'] or 'general'})\n# - {mt['old']}\n# + {mt['new']}\n"]
    result = dict(mt, run=0, failed=[])
    try:
        path.write_bytes(text.replace(mt["old"], mt["new"], 1).encode())
        rc, out = run(["cmake", "--build", "--preset", preset, "--parallel", str(jobs), "--target", *mt["targets"]])
        log.append(out)
        if rc != 0:
            result["result"] = "build failed"
        else:
            env = dict(os.environ, **mt["env"])
            rc, out = run(["ctest", "--preset", preset, "-R", mt["tests"], "-j", str(jobs), "--timeout", "600"], env)
            log.append(out)
            result["run"], result["failed"] = parse_ctest(out)
            if result["run"] == 0:
                result["result"] = "no tests"  # the regex selects nothing: a mistake in the table
            else:
                result["result"] = "caught" if rc != 0 else "NOT CAUGHT"
    finally:
        path.write_bytes(original)
        result["seconds"] = time.monotonic() - start
        (log_dir / f"{mt['name']}.log").write_text("\n".join(log), encoding="utf-8")
    return result


def table(results):
    rows = ["| mutant | file | kind | tests | result | failed tests (first 2) | seconds |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        failed = "; ".join(f.replace("|", "\\|") for f in r["failed"][:2])
        if len(r["failed"]) > 2:
            failed += f" (+{len(r['failed']) - 2})"
        result = r["result"] if r["result"] != "NOT CAUGHT" else "**NOT CAUGHT**"
        rows.append(f"| {r['name']} | {r['file']} | {r['kind']} | {r['run']} | {result} | {failed} | "
                    f"{r['seconds']:.0f} |")
    counts = {k: sum(r["result"] == k for r in results) for k in ("caught", "NOT CAUGHT", "build failed", "no tests")}
    summary = f"{counts['caught']} caught, {counts['NOT CAUGHT']} not caught, {counts['build failed']} build failed"
    if counts["no tests"]:
        summary += f", {counts['no tests']} ran no tests (a regex mistake)"
    return "\n".join(rows) + "\n\n" + summary + "\n", counts


def main():
    ap = argparse.ArgumentParser(description="Plants one-line faults and checks that the tests catch each.")
    ap.add_argument("--preset", default="release")
    ap.add_argument("--check", action="store_true", help="check the table without building")
    ap.add_argument("--list", action="store_true", help="print the mutants' names")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("filters", nargs="*", metavar="FILTER", help="substrings of mutant names")
    args = ap.parse_args()

    selected = [mt for mt in MUTANTS if not args.filters or any(f in mt["name"] for f in args.filters)]
    if not selected:
        fail(f"no mutant matches {' '.join(args.filters)} (--list names them)")
    if args.list:
        for mt in selected:
            print(f"{mt['name']:<36} {mt['kind']:<17} {mt['file']}")
        return 0
    if args.check:
        return 0 if check(selected, args.preset) else 1

    bdir = build_dir(args.preset)
    if not is_built(args.preset):
        fail(f"{bdir.relative_to(ROOT)} is not built: run scripts/test.sh {args.preset} first")
    if not check(selected, args.preset):
        fail("fix the table first")
    log_dir = bdir / "mutants"
    log_dir.mkdir(exist_ok=True)

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)

    results, touched, interrupted, rebuilt = [], False, False, True
    try:
        for i, mt in enumerate(selected, 1):
            print(f"[{i}/{len(selected)}] {mt['name']} ({mt['file']}) ...", end="", flush=True)
            touched = True
            r = run_mutant(mt, args.preset, args.jobs, log_dir)
            results.append(r)
            detail = f" ({len(r['failed'])} of {r['run']} tests failed: {'; '.join(r['failed'][:2])})" if r["failed"] else ""
            print(f" {r['result']}{detail} {r['seconds']:.0f} s", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: the source file is restored", flush=True)
    if touched:  # every object and binary built from a mutated file is rebuilt from the restored source
        print(f"rebuilding {args.preset} from the restored sources ...", flush=True)
        try:
            rc, out = run(["cmake", "--build", "--preset", args.preset, "--parallel", str(args.jobs)])
            (log_dir / "rebuild.log").write_text(out, encoding="utf-8")
            rebuilt = rc == 0
        except KeyboardInterrupt:
            rebuilt = False
        if not rebuilt:
            print(f"the rebuild failed or was interrupted (log: {(log_dir / 'rebuild.log').relative_to(ROOT)}): "
                  f"the build may hold mutated binaries; run cmake --build --preset {args.preset}", flush=True)

    text, counts = table(results)
    print("\n" + text, end="")
    (bdir / "mutants.md").write_text(text, encoding="utf-8")
    print(f"(written to {(bdir / 'mutants.md').relative_to(ROOT)}; logs in {log_dir.relative_to(ROOT)}/)")
    bad = counts["NOT CAUGHT"] + counts["build failed"] + counts["no tests"]
    return 1 if bad or interrupted or not rebuilt else 0


if __name__ == "__main__":
    sys.exit(main())
