"""Training throughput of the mnist models in PyTorch, for comparison with bench_training.

Same architectures, synthetic data already in memory, Adam, one step per batch.
Usage: python3 benchmarks/pytorch_training.py [model=all] [batch=64] [seconds=10]
"""
import os
import sys
import time

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


def images_per_second(kind, batch, seconds):
    torch.manual_seed(1)
    model = make(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    steps, t0 = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return steps * batch / elapsed


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    print(f"torch {torch.__version__}")
    # PyTorch's best of one thread and all cores (its default differs between builds).
    for kind in ("softmax", "mlp", "cnn"):
        if which not in ("all", kind):
            continue
        best = 0.0
        for threads in sorted({1, os.cpu_count()}):
            torch.set_num_threads(threads)
            best = max(best, images_per_second(kind, batch, seconds / 2))
        print(f"pytorch {kind} batch {batch}: {best:.0f} images/s")


if __name__ == "__main__":
    main()
