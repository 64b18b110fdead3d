#!/usr/bin/env python3
"""PyTorch builds the seeds' mlp and cnn and a small residual network, exports each with
torch.onnx.export (opset 17, a dynamic batch), and writes an input batch and PyTorch's outputs for
`onnx_checks torch DIR` to compare nn's import against."""
import json
import os
import sys

try:
    import torch
    from torch import nn
except ImportError:
    print("skipped: needs python3-torch (Debian's package)")
    sys.exit(77)


class Residual(nn.Module):
    """conv -> BN -> ReLU, a block with a skip connection (Add), global average pool, dense."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))
        self.head = nn.Sequential(nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 16),
                                  nn.BatchNorm1d(16), nn.LeakyReLU(0.1), nn.Linear(16, 10), nn.LogSoftmax(dim=1))

    def forward(self, x):
        h = self.stem(x)
        return self.head(torch.relu(h + self.block(h)))


def models():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10),
                        nn.Softmax(dim=1))
    cnn = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1024, 10))
    return {"mlp": mlp, "cnn": cnn, "residual": Residual()}


def main(directory):
    os.makedirs(directory, exist_ok=True)
    torch.manual_seed(0)
    manifest = []
    for name, model in models().items():
        # Batch-norm statistics away from 0 and 1, as after training.
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.5, 0.5)
        model.eval()
        x = torch.rand(4, 1, 28, 28)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(directory, name + ".onnx")
        torch.onnx.export(model, x, path, opset_version=17, input_names=["image"], output_names=["scores"],
                          dynamic_axes={"image": {0: "N"}, "scores": {0: "N"}})
        x.numpy().astype("<f4").tofile(os.path.join(directory, name + ".input.bin"))
        y.numpy().astype("<f4").tofile(os.path.join(directory, name + ".output.bin"))
        manifest.append({"name": name, "model": name + ".onnx",
                         "input": {"shape": list(x.shape), "file": name + ".input.bin"},
                         "output": {"shape": list(y.shape), "file": name + ".output.bin"}})
        print(f"{name}: exported by PyTorch {torch.__version__} to {path}")
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
