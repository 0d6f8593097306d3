"""Exports a checkpoint to the ONNX file oko ships, and its dictionary.

    /usr/bin/python3 export.py runs/main/best.pt ../../packages/plates/models/oko-plates-rec.onnx

Input `image` [N, 3, 32, 128] RGB, (pixel/255 - 0.5)/0.5; outputs `probs` [N, 32, 37] (CTC
blank first, then the dictionary's symbols) and `country` [N, 7]. The dictionary file (one
symbol per line) and a JSON sidecar (input size, countries, training figures) go next to it.
"""
from __future__ import annotations

import json
import os
import sys

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from model import Exported, PlateNet, params  # noqa: E402


def export(ckpt: str, out: str) -> dict:
    ck = torch.load(ckpt)
    cfg = ck["cfg"]
    net = PlateNet(cfg["width"])
    net.load_state_dict(ck["model"])
    net.eval()
    model = Exported(net).eval()
    x = torch.zeros(1, 3, synth.IN_H, synth.IN_W)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.onnx.export(model, x, out, input_names=["image"], output_names=["probs", "country"], opset_version=13,
                      dynamic_axes={"image": {0: "n"}, "probs": {0: "n"}, "country": {0: "n"}}, do_constant_folding=True)
    m = onnx.load(out)
    onnx.checker.check_model(m)
    base = os.path.splitext(out)[0]
    with open(base + ".txt", "w") as f:
        f.write("\n".join(synth.ALPHABET) + "\n")
    meta = {
        "model": "oko plate line recogniser (all-convolutional CRNN, CTC)",
        "input": {"name": "image", "shape": [1, 3, synth.IN_H, synth.IN_W], "channels": "rgb", "mean": [0.5] * 3, "std": [0.5] * 3},
        "outputs": {"probs": "[N, 32, 37] softmax: blank, then the dictionary", "country": "[N, 7] softmax over countries"},
        "countries": synth.COUNTRIES,
        "parameters": params(net),
        "width": cfg["width"],
        "seed": cfg["seed"],
        "trained": ck.get("entry", {}),
    }
    with open(base + ".json", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return {"bytes": os.path.getsize(out), **meta}


if __name__ == "__main__":
    r = export(sys.argv[1], sys.argv[2])
    print(json.dumps({"bytes": r["bytes"], "parameters": r["parameters"]}))
