"""bench_gpu's figures for PyTorch eager on the same GPU (scripts/gpu-check.sh runs both).

The seeds' cnn (batch 50) and the mlp (batch 128), as in examples/mnist/models.cpp, trained with
Adam (lr 1e-3) on the MNIST training images already on the GPU (each batch gathered there by a
shuffled index, as nn's Dataset::device_batches does), PyTorch's default TF32 settings (on for
convolutions, off for matrix products, as nn's defaults); batch-1 inference latency from an image on
the GPU to its scores on the host, under no_grad in eval mode. Each model must learn before it is
timed. Prints `pytorch KEY VALUE` lines.

Usage: python3 benchmarks/pytorch_gpu.py DATA_DIR [SECONDS]
"""
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def make(kind):
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


def main():
    data_dir = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    if not torch.cuda.is_available():
        print("pytorch_gpu: skipped: no CUDA device")
        sys.exit(77)
    dev = torch.device("cuda")
    print(f"pytorch gpu {torch.cuda.get_device_name(0)}")
    print(f"pytorch version {torch.__version__} cudnn {torch.backends.cudnn.version()} "
          f"tf32 convolutions {torch.backends.cudnn.allow_tf32} matmul {torch.backends.cuda.matmul.allow_tf32}")
    images = torch.from_numpy(read_idx(data_dir, "train-images-idx3-ubyte").copy()).to(dev)
    labels = torch.from_numpy(read_idx(data_dir, "train-labels-idx1-ubyte").astype(np.int64)).to(dev)
    test = torch.from_numpy(read_idx(data_dir, "t10k-images-idx3-ubyte").copy()).to(dev)
    test = (test.float() / 255.0).reshape(-1, 1, 28, 28)
    n = images.shape[0]
    for kind, batch in (("cnn", 50), ("mlp", 128)):
        torch.manual_seed(1)
        model = make(kind).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        state = {"order": torch.randperm(n, device=dev), "at": 0}

        def step():
            if state["at"] + batch > n:
                state["order"] = torch.randperm(n, device=dev)
                state["at"] = 0
            idx = state["order"][state["at"]:state["at"] + batch]
            state["at"] += batch
            x = (images[idx].float() / 255.0).reshape(-1, 1, 28, 28)
            loss = loss_fn(model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        model.train()
        first = sum(step().item() for _ in range(20)) / 20  # warm-up
        torch.cuda.synchronize()
        steps, losses = 0, []
        t0 = time.perf_counter()
        while True:
            for _ in range(200):
                losses.append(step())
            steps += 200
            torch.cuda.synchronize()
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
        last = float(torch.stack(losses[-100:]).mean())
        if not last < first:
            sys.exit(f"pytorch_gpu: {kind} did not learn ({first:.4f} -> {last:.4f})")
        print(f"pytorch {kind} b{batch} train_images_per_s {steps * batch / elapsed:.0f}")
        print(f"pytorch {kind} train_loss {first:.4f} -> {last:.4f}")
        model.eval()
        latency = []
        with torch.no_grad():
            for i in range(300):
                one = test[i % 1000:i % 1000 + 1]
                t1 = time.perf_counter()
                scores = model(one).cpu()
                latency.append((time.perf_counter() - t1) * 1e6)
                assert scores.shape == (1, 10)
        latency.sort()
        print(f"pytorch {kind} infer_b1_latency_us median {latency[len(latency) // 2]:.1f} "
              f"p90 {latency[len(latency) * 9 // 10]:.1f}")


if __name__ == "__main__":
    main()
