"""Assembles scripts/bench.sh's measurements into benchmarks/results.json and prints the table.

Usage: report.py OUT_JSON KERNELS_JSON E2E_LINES PIPELINE_LINES [SERVE_LINES]
  KERNELS_JSON   bench_kernels --json output
  E2E_LINES      `nn|pytorch MODEL KEY VALUE` lines from bench_training and pytorch_training.py
  PIPELINE_LINES bench_pipeline's output
  SERVE_LINES    benchmarks/serve_load.sh's table, and serve_memory.sh's line
"""
import json
import os
import platform
import re
import sys
import time


def machine():
    try:
        cpuinfo = open("/proc/cpuinfo").read()
    except OSError:
        cpuinfo = ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 "unknown CPU")
    cores = len(os.sched_getaffinity(0))
    isa = "AVX-512" if " avx512f" in cpuinfo else "AVX2" if " avx2" in cpuinfo else "SSE"
    return f"{model}, {cores} cores available, {isa}, {platform.system()} {platform.release()}"


def main():
    out_path, kernels_path, e2e_path, pipeline_path = sys.argv[1:5]
    serve_path = sys.argv[5] if len(sys.argv) > 5 else None
    kernels = json.load(open(kernels_path))
    peak = next((k["value"] for k in kernels if k["name"] == "peak FMA throughput"), None)
    for k in kernels:
        if peak and k["unit"] == "GFLOP/s" and k["name"] != "peak FMA throughput":
            k["fraction_of_peak"] = round(k["value"] / peak, 3)
    e2e, torch_version = {}, None
    for line in open(e2e_path):
        parts = line.split()
        if len(parts) != 4 or parts[0] not in ("nn", "pytorch"):
            continue
        who, model, key, value = parts
        if key == "torch_version":
            torch_version = value
            continue
        e2e.setdefault((model, key), {})[who] = float(value)
    rows = []
    for (model, key), v in e2e.items():
        row = {"model": model, "measure": key, "nn": v.get("nn"), "pytorch": v.get("pytorch")}
        if row["nn"] and row["pytorch"] and ("per_s" in key or key.startswith(("peak_rss", "seconds_to"))):
            # Higher is better for throughput; for memory and time, the ratio is PyTorch's over nn's.
            row["ratio"] = round(row["nn"] / row["pytorch"] if "per_s" in key else row["pytorch"] / row["nn"], 3)
        rows.append(row)
    pipeline = {}
    for line in open(pipeline_path):
        m = re.match(r"(pipeline(?: without map)?): (\d+) images/s", line)
        if m:
            pipeline[m.group(1).replace(" ", "_")] = float(m.group(2))
    serve = []
    serve_memory_mb = None
    if serve_path:
        for line in open(serve_path):
            m = re.match(r"serve peak resident memory, 8 x 40 MP uploads at once: (\d+) MB", line)
            if m:
                serve_memory_mb = int(m.group(1))
            p = line.split()
            if len(p) == 7 and p[0] != "model":
                serve.append({"model": p[0], "images_per_request": int(p[1]), "batching": p[2] == "on",
                              "predictions_per_s": float(p[3]), "requests_per_s": float(p[4]),
                              "p50_ms": float(p[5]), "p99_ms": float(p[6])})
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
              "torch": torch_version, "kernels": kernels, "end_to_end": rows, "pipeline": pipeline, "serving": serve,
              "serve_peak_memory_mb_8x40mp": serve_memory_mb}
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    print(f"\n{result['machine']}; PyTorch {torch_version}")
    print(f"{'kernel':<34} {'shape':<26} {'value':>10}  unit     of peak")
    for k in kernels:
        frac = f"{k['fraction_of_peak']:.0%}" if "fraction_of_peak" in k else ""
        print(f"{k['name']:<34} {k['shape']:<26} {k['value']:>10.1f}  {k['unit']:<8} {frac}")
    print(f"\n{'model':<6} {'measure':<28} {'nn':>10} {'PyTorch':>10} {'nn/PyTorch':>11}")
    for r in rows:
        if r["measure"].startswith(("train_loss", "test_accuracy_after")):  # checks, not figures
            continue
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
        fmt = lambda v: (f"{v:10.4f}" if v < 1 else f"{v:10.1f}") if v is not None else f"{'-':>10}"
        print(f"{r['model']:<6} {r['measure']:<28} {fmt(r['nn'])} {fmt(r['pytorch'])} {ratio:>11}")
    for k, v in pipeline.items():
        print(f"{'data':<6} {k + ' images/s':<28} {v:10.0f}")
    print(f"\nwritten: {out_path}")


if __name__ == "__main__":
    main()
