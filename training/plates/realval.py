"""Validation on real plate crops of $OKO_DATA/plates (for choosing checkpoints only; never trained on).

openalpr-eu / openalpr-us: each image's labelled plate box (plus a 4% margin), read as one line,
resized to the model's input. openalpr-eu-lines / openalpr-us-lines, where `node reader-lines.mjs`
has cut them: the text line oko's reader gives the recogniser for each plate (what the model reads
in `oko eval plates`; a whole labelled box also holds the state name, slogan and frame).

    /usr/bin/python3 training/plates/realval.py CHECKPOINT...   # each set's exact rate per checkpoint
"""
from __future__ import annotations

import glob
import os

import cv2
import numpy as np
import torch

import synth

DATA = os.environ.get("OKO_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))


def decode(probs: np.ndarray) -> list[str]:
    """Greedy CTC over N×T×37 probabilities (class 0 blank)."""
    best = probs.argmax(2)
    out = []
    for row in best:
        s, prev = [], 0
        for k in row:
            if k != prev and k != 0:
                s.append(synth.ALPHABET[k - 1])
            prev = k
        out.append("".join(s))
    return out


def crop(img: np.ndarray, x: float, y: float, w: float, h: float, margin=0.04) -> np.ndarray:
    x0, y0 = int(max(0, x - margin * w)), int(max(0, y - margin * h))
    x1, y1 = int(min(img.shape[1], x + w * (1 + margin))), int(min(img.shape[0], y + h * (1 + margin)))
    c = img[y0:y1, x0:x1]
    interp = cv2.INTER_AREA if c.shape[0] > synth.IN_H else cv2.INTER_LINEAR
    return cv2.resize(c, (synth.IN_W, synth.IN_H), interpolation=interp)


def o0(s: str) -> str:
    return s.replace("O", "0")


def real_sets() -> dict:
    """name -> (input tensor, texts, equivalence) for the sets found."""
    out = {}
    for name in ("openalpr-eu", "openalpr-us"):
        folder = os.path.join(DATA, "plates", name)
        crops, texts = [], []
        for txt in sorted(glob.glob(os.path.join(folder, "*.txt"))):
            for line in open(txt).read().splitlines():
                parts = line.split("\t")
                if len(parts) < 6:
                    continue
                img = cv2.imread(os.path.join(folder, parts[0]))
                if img is None:
                    continue
                x, y, w, h = (float(v) for v in parts[1:5])
                crops.append(crop(img[:, :, ::-1], x, y, w, h))
                texts.append(parts[5].upper())
        if crops:
            x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
            out[name] = (x, texts, o0)
    for name in ("openalpr-eu", "openalpr-us"):
        folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache", "reader-lines", name)
        labels = os.path.join(folder, "labels.tsv")
        if not os.path.exists(labels):
            continue
        rows = [line.split("\t") for line in open(labels).read().splitlines() if "\t" in line]
        crops = [cv2.imread(os.path.join(folder, f))[:, :, ::-1] for f, _ in rows]
        x = torch.from_numpy(np.stack(crops).copy()).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
        out[name + "-lines"] = (x, [t.upper() for _, t in rows], o0)
    return out


def score_sets(net, sets: dict, bs: int = 256) -> dict:
    """name -> {"exact", "exact_o0"} of `net` (in eval mode) on each set of real_sets()."""
    out = {}
    with torch.no_grad():
        for name, (x, texts, equiv) in sets.items():
            reads = []
            for i in range(0, len(x), bs):
                reads += decode(net(x[i: i + bs])[0].softmax(2).numpy())
            out[name] = {"exact": round(sum(a == b for a, b in zip(reads, texts)) / len(texts), 4),
                         "exact_o0": round(sum(equiv(a) == equiv(b) for a, b in zip(reads, texts)) / len(texts), 4)}
    return out


def checkpoint_score(real: dict) -> float:
    """Mean exact rate (O = 0) over the labelled boxes. The line sets are reported, not scored: on
    the 2026-12-04 checkpoints neither predicted the whole reader (MODEL.md)."""
    return float(np.mean([v["exact_o0"] for n, v in real.items() if not n.endswith("-lines")]))


if __name__ == "__main__":
    import sys

    from model import PlateNet

    sets = real_sets()
    for path in sys.argv[1:]:
        ck = torch.load(path, map_location="cpu")
        net = PlateNet(ck["cfg"]["width"])
        net.load_state_dict(ck["model"])
        net.eval()
        row = score_sets(net, sets)
        print(path, {n: v["exact_o0"] for n, v in row.items()}, "score", round(checkpoint_score(row), 4))
