"""Trains oko's plate recogniser on synthetic plates (synth.py), resumably.

    /usr/bin/python3 train.py --run runs/main --hours 6          # train (or resume) for 6 more hours
    /usr/bin/python3 train.py --run runs/smoke --smoke            # CI: a few steps, then export

The run folder holds `last.pt` (written every --checkpoint-minutes, atomically: an interrupted run
resumes from it with the same optimiser and schedule), `best.pt` (the checkpoint that read the
validation crops best), `log.jsonl` (one line per checkpoint) and `config.json`.

Validation: a fixed synthetic set (seeded), and, where present, real plate crops of
$OKO_DATA/plates (openalpr-eu, openalpr-us: the labelled plate box). Those are for choosing
checkpoints only and are never trained on (their licences do not allow shipping weights trained
on them).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import synth  # noqa: E402
from model import PlateNet, params  # noqa: E402
from realval import checkpoint_score, decode, real_sets, score_sets  # noqa: E402


class Synthetic(torch.utils.data.IterableDataset):
    def __init__(self, seed: int, batch: int, poor_share: float = 0.0):
        self.seed, self.batch, self.poor_share = seed, batch, poor_share

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0))
        g = synth.Glyphs()
        while True:
            imgs, texts, countries = [], [], []
            for _ in range(self.batch):
                img, text, c = synth.sample(rng, g, poor_share=self.poor_share)
                imgs.append(img)
                texts.append(text)
                countries.append(c)
            yield batch_tensors(imgs, texts, countries)


def batch_tensors(imgs, texts, countries):
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
    targets = torch.tensor([synth.ALPHABET.index(ch) + 1 for t in texts for ch in t], dtype=torch.long)
    lengths = torch.tensor([len(t) for t in texts], dtype=torch.long)
    return x, targets, lengths, torch.tensor(countries, dtype=torch.long), texts


def synthetic_val(n: int, seed: int):
    rng = random.Random(seed)
    g = synth.Glyphs()
    items = [synth.sample(rng, g) for _ in range(n)]
    return batch_tensors([i[0] for i in items], [i[1] for i in items], [i[2] for i in items])


def lr_at(step: int, cfg) -> float:
    if step < cfg["warmup"]:
        return cfg["lr"] * (step + 1) / cfg["warmup"]
    t = min(1.0, (step - cfg["warmup"]) / max(1, cfg["planned_steps"] - cfg["warmup"]))
    return cfg["min_lr"] + 0.5 * (cfg["lr"] - cfg["min_lr"]) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def evaluate(net: PlateNet, x, texts, countries=None, bs=256):
    net.eval()
    reads, cs = [], []
    for i in range(0, len(x), bs):
        logits, country = net(x[i: i + bs])
        reads += decode(logits.softmax(2).numpy())
        cs.append(country.argmax(1))
    net.train()
    exact = sum(r == t for r, t in zip(reads, texts)) / max(1, len(texts))
    out = {"exact": round(exact, 4)}
    if countries is not None:
        out["country"] = round(float((torch.cat(cs) == countries).float().mean()), 4)
    return out, reads


def save(path: str, state: dict):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default=os.path.join(HERE, "runs", "main"))
    ap.add_argument("--hours", type=float, default=6.0, help="wall-clock budget of this invocation")
    ap.add_argument("--smoke", action="store_true", help="CI: tiny run, a few steps")
    ap.add_argument("--seed", type=int, default=20260)
    ap.add_argument("--width", type=float, default=1.25)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--planned-samples", type=float, default=3e6, help="cosine schedule length")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--poor-camera", type=float, default=0.0, help="share of crops from a poor camera (synth.sample)")
    ap.add_argument("--init", help="start from this checkpoint's weights (fine-tuning)")
    ap.add_argument("--data", help="fine-tune on a folder of labelled crops as well (see finetune.md)")
    args = ap.parse_args()
    if args.smoke:
        args.hours, args.batch, args.checkpoint_minutes, args.workers = 0.02, 16, 0.5, 0
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    cfg_path = os.path.join(args.run, "config.json")
    if os.path.exists(cfg_path):
        cfg = json.load(open(cfg_path))
    else:
        cfg = {"seed": args.seed, "width": args.width, "batch": args.batch, "lr": args.lr, "min_lr": args.lr / 40, "warmup": 300,
               "planned_steps": int(args.planned_samples / args.batch), "country_weight": 0.1, "input": [3, synth.IN_H, synth.IN_W],
               "alphabet": synth.ALPHABET, "countries": synth.COUNTRIES, "poor_camera": args.poor_camera}
        json.dump(cfg, open(cfg_path, "w"), indent=1)
    torch.manual_seed(cfg["seed"])
    net = PlateNet(cfg["width"])
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=1e-4)
    last = os.path.join(args.run, "last.pt")
    state = {"step": 0, "samples": 0, "best": -1.0, "resumes": 0, "seconds": 0.0}
    if os.path.exists(last):
        ck = torch.load(last)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        state["resumes"] += 1
        print(f"resumed {last} at step {state['step']} ({state['samples']} samples)", flush=True)
    elif args.init:
        net.load_state_dict(torch.load(args.init)["model"])
        print(f"initialised from {args.init}", flush=True)
    print(f"PlateNet width {cfg['width']}: {params(net)} parameters", flush=True)

    # A new stream per resume, so a resumed run does not see the same plates again.
    data = Synthetic(cfg["seed"] + 7919 * state["resumes"], cfg["batch"], cfg.get("poor_camera", 0.0))
    if args.data:
        from finetune import mixed
        data = mixed(data, args.data, cfg["batch"], cfg["seed"] + state["resumes"])
    loader = torch.utils.data.DataLoader(data, batch_size=None, num_workers=args.workers, prefetch_factor=4 if args.workers else 2,
                                         persistent_workers=bool(args.workers))
    val_n = 64 if args.smoke else 1500
    vx, _, _, vc, vt = synthetic_val(val_n, 12345)
    real = [] if args.smoke else real_sets()
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    ce = nn.CrossEntropyLoss()
    t_start = time.time()
    t_ck = time.time()
    seconds0 = state["seconds"]
    losses = []
    steps_here = 0
    net.train()

    def checkpoint(final=False):
        nonlocal t_ck
        syn, _ = evaluate(net, vx, vt, vc)
        entry = {"step": state["step"], "samples": state["samples"], "hours": round(state["seconds"] / 3600, 3),
                 "loss": round(float(np.mean(losses[-200:])) if losses else float("nan"), 4), "lr": lr_at(state["step"], cfg), "synthetic": syn}
        score = syn["exact"]
        if real:
            net.eval()
            entry["real"] = score_sets(net, real)
            net.train()
            score = checkpoint_score(entry["real"])
        entry["score"] = round(score, 4)
        ck = {"model": net.state_dict(), "opt": opt.state_dict(), "state": state, "cfg": cfg}
        save(last, ck)
        if score > state["best"]:
            state["best"] = score
            entry["best"] = True
            save(os.path.join(args.run, "best.pt"), {"model": net.state_dict(), "cfg": cfg, "entry": entry})
        with open(os.path.join(args.run, "log.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")
        print(json.dumps(entry), flush=True)
        t_ck = time.time()

    # SIGTERM / SIGINT (a session ending, kill PID): checkpoint after this step, then stop.
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))

    for x, targets, lengths, countries, _ in loader:
        for group in opt.param_groups:
            group["lr"] = lr_at(state["step"], cfg)
        logits, country = net(x)
        logp = logits.log_softmax(2).permute(1, 0, 2)
        loss = ctc(logp, targets, torch.full((x.shape[0],), logp.shape[0], dtype=torch.long), lengths)
        loss = loss + cfg["country_weight"] * ce(country, countries)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        losses.append(float(loss))
        state["step"] += 1
        steps_here += 1
        state["samples"] += x.shape[0]
        state["seconds"] = seconds0 + time.time() - t_start
        if state["step"] % 100 == 0:
            print(f"step {state['step']} samples {state['samples']} loss {np.mean(losses[-100:]):.3f} lr {lr_at(state['step'], cfg):.2e} "
                  f"{state['samples'] / max(1, state['seconds']):.0f}/s", flush=True)
        done = bool(stop) or time.time() - t_start > args.hours * 3600 or (args.smoke and steps_here >= 6)
        if done or time.time() - t_ck > args.checkpoint_minutes * 60:
            checkpoint()
        if done:
            break


if __name__ == "__main__":
    main()
