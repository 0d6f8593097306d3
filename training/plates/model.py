"""oko's plate line recogniser: a small all-convolutional CRNN with CTC and a country head.

Why CTC and not fixed slots: oko's reader finds text lines with PaddleOCR's detector, groups them
into plates and matches what it reads to country formats, with the probability of every plate
symbol at each character (formats correct O/0, B/8 from these). A CTC line reader gives exactly
that, for any length (2-10 characters), and its characters' positions split lines. It is also the
cheapest to train on two CPU cores (WAVE2.md §2.4: 5× cheaper per sample than a CCT slot model).
All-convolutional (no RNN): plate characters are local, and convolutions are what both
PyTorch's and onnxruntime's CPU kernels are fastest at.

Input: 1×3×32×128 RGB, (pixel/255 - 0.5)/0.5. Outputs: `probs` [1, 32, 37] (softmax over
blank + ALPHABET per step), `country` [1, 7] (softmax over synth.COUNTRIES).
"""
from __future__ import annotations

import torch
from torch import nn

NUM_CLASSES = 37  # blank + 36 plate symbols
NUM_COUNTRIES = 7


def conv(cin: int, cout: int, k=3, pad=1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Context(nn.Module):
    """Residual 1-D convolution along the line (each step sees its neighbours)."""

    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm1d(c)

    def forward(self, x):
        return torch.relu(x + self.bn(self.conv(x)))


class PlateNet(nn.Module):
    def __init__(self, width: float = 1.0):
        super().__init__()
        c = [max(8, int(round(v * width))) for v in (24, 48, 80, 96, 128, 160)]
        self.features = nn.Sequential(
            conv(3, c[0]), nn.MaxPool2d(2),  # 16×64
            conv(c[0], c[1]), nn.MaxPool2d(2),  # 8×32
            conv(c[1], c[2]), conv(c[2], c[3]), nn.MaxPool2d((2, 1)),  # 4×32
            conv(c[3], c[4]), nn.MaxPool2d((2, 1)),  # 2×32
            conv(c[4], c[5], k=(2, 1), pad=0),  # 1×32
        )
        self.context = nn.Sequential(Context(c[5]), Context(c[5]))
        self.chars = nn.Conv1d(c[5], NUM_CLASSES, 1)
        self.country = nn.Linear(2 * c[5], NUM_COUNTRIES)

    def forward(self, x):
        f = self.features(x).squeeze(2)  # N×C×T
        f = self.context(f)
        logits = self.chars(f).permute(0, 2, 1)  # N×T×K
        pooled = torch.cat([f.mean(dim=2), f.amax(dim=2)], dim=1)
        return logits, self.country(pooled)


class Exported(nn.Module):
    """What ships: softmaxes, so the reader's CTC decoder gets probabilities."""

    def __init__(self, net: PlateNet):
        super().__init__()
        self.net = net

    def forward(self, x):
        logits, country = self.net(x)
        return torch.softmax(logits, dim=2), torch.softmax(country, dim=1)


def params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
