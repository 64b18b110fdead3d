"""The workloads of bench_training in PyTorch, for the side-by-side table of scripts/bench.sh.

Same architectures as examples/mnist/models.cpp, Adam, the real MNIST files through a
DataLoader (shuffled, batched); inference at batch 1 and 1000 under no_grad; peak resident
memory. PyTorch runs at its best of one thread and all cores (its default differs between
builds), each measured in a fresh process.

Usage: /usr/bin/python3 benchmarks/pytorch_training.py MODEL BATCH SECONDS DATA_DIR [TARGET_ACCURACY]
With TARGET_ACCURACY, also the wall time until a fresh model's test accuracy, measured after each
epoch, first reaches it (all cores; at most 5 epochs), as bench_training measures it.
Prints `pytorch MODEL KEY VALUE` lines, as bench_training does.
"""
import gzip
import os
import resource
import struct
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn


def make(kind):
    if kind == "softmax":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 10))
    raise ValueError(kind)


def read_idx(data_dir, name):
    for path, opener in ((os.path.join(data_dir, name), open), (os.path.join(data_dir, name + ".gz"), gzip.open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                raw = f.read()
            ndim = raw[3]
            dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
            return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    raise FileNotFoundError(f"{data_dir}: no {name}[.gz]")


def load(data_dir):
    """MNIST as tensors: training images (N, 1, 28, 28) in [0, 1], labels, and the same for test."""
    def images(name):
        return torch.from_numpy(read_idx(data_dir, name).copy()).float().div_(255).unsqueeze(1)

    def labels(name):
        return torch.from_numpy(read_idx(data_dir, name).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def cpus():
    """The CPUs this process may run on (its affinity), as nn counts them."""
    return len(os.sched_getaffinity(0))


def measure(kind, batch, seconds, data_dir):
    torch.manual_seed(1)
    x, y, test, _ = load(data_dir)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch, shuffle=True,
                                         drop_last=True)
    model = make(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def batches():
        while True:
            yield from loader

    source = batches()

    def step():
        xb, yb = next(source)
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    first = sum(step() for _ in range(5)) / 5
    steps, last, t0 = 0, 0.0, time.perf_counter()
    while True:
        loss = step()
        last = loss if steps < 20 else 0.9 * last + 0.1 * loss
        steps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds and steps >= 25:
            break
    if not last < first:
        sys.exit(f"pytorch_training: {kind} did not learn ({first:.4f} -> {last:.4f})")
    out = {"train_images_per_s": steps * batch / elapsed}
    model.eval()
    with torch.no_grad():
        for n in (1, 1000):
            images, at, t1 = 0, 0, time.perf_counter()
            while True:
                if at + n > test.shape[0]:
                    at = 0
                model(test[at:at + n])
                at += n
                images += n
                spent = time.perf_counter() - t1
                if spent >= seconds / 2:
                    break
            out[f"infer_b{n}_images_per_s"] = images / spent
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def time_to_accuracy(kind, batch, data_dir, target):
    torch.manual_seed(1)
    x, y, tx, ty = load(data_dir)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch, shuffle=True)
    model = make(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for epoch in range(1, 6):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item() for i in range(0, 10000, 1000))
        accuracy = correct / 10000
        print(f"pytorch {kind} test_accuracy_after_epoch_{epoch} {accuracy:.4f}")
        if accuracy >= target:
            print(f"pytorch {kind} seconds_to_{target * 100:.1f}% {time.perf_counter() - t0:.1f}")
            return
    sys.exit(f"pytorch_training: {kind} did not reach {target} in 5 epochs ({accuracy:.4f})")


def main():
    if len(sys.argv) not in (5, 6, 7):
        sys.exit(__doc__)
    kind, batch, seconds, data_dir = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    if len(sys.argv) == 7 and sys.argv[5] == "--threads":  # one measurement, in this process
        torch.set_num_threads(int(sys.argv[6]))
        for key, value in measure(kind, batch, seconds, data_dir).items():
            print(f"pytorch {kind} {key} {value:.1f}")
        return
    # Each thread setting in its own process; the best of each figure (memory: the smallest).
    best = {}
    for threads in sorted({1, cpus()}):
        run = subprocess.run([sys.executable, __file__, kind, str(batch), str(seconds), data_dir, "--threads", str(threads)],
                             check=True, capture_output=True, text=True)
        for line in run.stdout.splitlines():
            _, _, key, value = line.split()
            value = float(value)
            if key not in best:
                best[key] = value
            else:
                best[key] = min(best[key], value) if key == "peak_rss_mib" else max(best[key], value)
    print(f"pytorch {kind} torch_version {torch.__version__}")
    for key, value in best.items():
        print(f"pytorch {kind} {key} {value:.1f}")
    if len(sys.argv) == 6:
        torch.set_num_threads(cpus())  # all cores (the time-to-accuracy run is not repeated per setting)
        time_to_accuracy(kind, batch, data_dir, float(sys.argv[5]))


if __name__ == "__main__":
    main()
