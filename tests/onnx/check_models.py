#!/usr/bin/env python3
"""ONNX's own checker on every model nn exported (DIR/manifest.json from `onnx_checks fixtures DIR`):
onnx.checker.check_model(full_check=True) and strict shape inference, whose shapes must match the
outputs nn computed."""
import json
import os
import sys

try:
    import onnx
    import onnx.checker
    import onnx.shape_inference
except ImportError:
    print("skipped: needs python3-onnx (Debian's package)")
    sys.exit(77)

directory = sys.argv[1]
manifest = json.load(open(os.path.join(directory, "manifest.json")))
failures = 0
for entry in manifest:
    path = os.path.join(directory, entry["model"])
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
        for out, want in zip(inferred.graph.output, entry["outputs"]):
            dims = out.type.tensor_type.shape.dim
            got = [d.dim_value for d in dims[1:]]
            if dims[0].dim_param != "N" or got != want["shape"][1:]:
                raise ValueError(f"output {out.name}: inferred {[d.dim_param or d.dim_value for d in dims]}, "
                                 f"nn computes (N, {want['shape'][1:]})")
        print(f"{entry['name']:<26} ok (IR {model.ir_version}, opset {model.opset_import[0].version}, "
              f"{len(model.graph.node)} nodes)")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        print(f"{entry['name']:<26} FAILED: {e}")
        failures += 1
print(f"onnx {onnx.__version__}: {len(manifest)} exported models checked, {failures} failed")
sys.exit(1 if failures or not manifest else 0)
