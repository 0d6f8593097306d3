"""Fine-tuning on your own labelled plate crops, mixed with synthetic plates.

    /usr/bin/python3 train.py --run runs/mine --init checkpoints/best.pt --data /path/to/crops --hours 1

The folder holds plate or text-line crops (one line of text each) and their text, either as
`labels.tsv` (`file<TAB>TEXT[<TAB>COUNTRY]`, paths relative to the folder) or the nomeroff-net way
(`img/NAME.png` with `ann/NAME.json` whose `description` is the text and `count_lines` 1). Text
is normalised as oko's reader writes it: Latin capitals and digits, Cyrillic look-alikes in Latin.
Each batch is half your crops (lightly augmented: box jitter, brightness, blur, JPEG) and half
synthetic plates, so the model learns your cameras without forgetting other plates.
"""
from __future__ import annotations

import glob
import json
import os
import random

import cv2
import numpy as np
import torch

import synth

CYR = dict(zip("АВЕКМНОРСТУХІЇ", "ABEKMHOPCTYXII"))


def normalise(text: str) -> str:
    t = "".join(CYR.get(c, c) for c in text.upper())
    return "".join(c for c in t if c in synth.ALPHABET)


def load(folder: str) -> list[tuple[str, str, int]]:
    items = []
    tsv = os.path.join(folder, "labels.tsv")
    if os.path.exists(tsv):
        for line in open(tsv, encoding="utf8").read().splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0] and not line.startswith("#"):
                c = synth.COUNTRIES.index(parts[2].upper()) if len(parts) > 2 and parts[2].upper() in synth.COUNTRIES else -1
                items.append((os.path.join(folder, parts[0]), normalise(parts[1]), c))
    else:
        for ann in sorted(glob.glob(os.path.join(folder, "ann", "*.json"))):
            a = json.load(open(ann, encoding="utf8"))
            if str(a.get("count_lines", "1")) != "1" or not a.get("description"):
                continue
            name = os.path.splitext(os.path.basename(ann))[0]
            img = next(iter(glob.glob(os.path.join(folder, "img", name + ".*"))), None)
            if img:
                items.append((img, normalise(a["description"]), -1))
    items = [i for i in items if i[1]]
    if not items:
        raise SystemExit(f"no labelled crops in {folder}: expected labels.tsv (file<TAB>TEXT) or img/ + ann/*.json")
    return items


def augment(img: np.ndarray, rng: random.Random) -> np.ndarray:
    h, w = img.shape[:2]
    dx, dy = w * 0.04, h * 0.08
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + np.float32([[rng.uniform(-dx, dx), rng.uniform(-dy, dy)] for _ in range(4)])
    M = cv2.getPerspectiveTransform(dst, np.float32([[0, 0], [synth.IN_W, 0], [synth.IN_W, synth.IN_H], [0, synth.IN_H]]))
    out = cv2.warpPerspective(img, M, (synth.IN_W, synth.IN_H), flags=cv2.INTER_AREA if h > synth.IN_H else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out = np.clip(out.astype(np.float32) * rng.uniform(0.7, 1.2) + rng.uniform(-25, 25), 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.0))
    if rng.random() < 0.5:
        out = cv2.imdecode(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(40, 95)])[1], cv2.IMREAD_COLOR)
    return out


class Mixed(torch.utils.data.IterableDataset):
    def __init__(self, synthetic, folder: str, batch: int, seed: int):
        self.synthetic, self.items, self.batch, self.seed = synthetic, load(folder), batch, seed
        print(f"fine-tuning on {len(self.items)} crops of {folder}", flush=True)

    def __iter__(self):
        from train import batch_tensors
        rng = random.Random(self.seed)
        images = {p: cv2.imread(p)[:, :, ::-1].copy() for p, _, _ in self.items}
        for sx, stargets, slengths, scountries, stexts in self.synthetic:
            half = self.batch // 2
            picks = [rng.choice(self.items) for _ in range(half)]
            imgs = [augment(images[p], rng) for p, _, _ in picks]
            rx, rtargets, rlengths, rcountries, rtexts = batch_tensors(imgs, [t for _, t, _ in picks], [max(c, 0) for _, _, c in picks])
            # Unknown countries do not train the country head: CrossEntropy ignores -100.
            rcountries = torch.tensor([c if c >= 0 else -100 for _, _, c in picks], dtype=torch.long)
            n = self.batch - half
            keep = slengths[:n].sum()
            yield (torch.cat([sx[:n], rx]), torch.cat([stargets[:keep], rtargets]), torch.cat([slengths[:n], rlengths]),
                   torch.cat([scountries[:n], rcountries]), stexts[:n] + rtexts)


def mixed(synthetic, folder: str, batch: int, seed: int):
    return Mixed(synthetic, folder, batch, seed)
