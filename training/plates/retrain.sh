#!/usr/bin/env bash
# Retrains oko's plate recogniser from scratch and exports it into @oko/plates (one command):
#   bash training/plates/retrain.sh [hours]      (default 8; resumes runs/main if it exists)
# Training runs under nice -n 19 (idle CPU only). Validation figures on $OKO_DATA/plates are for
# choosing the checkpoint; nothing there is trained on.
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh
export OKO_DATA="${OKO_DATA:-$(cd ../../.. && pwd)/shared/data}"
# The reader's own text lines of the validation images, reported next to the labelled boxes (needs `pnpm build`).
if [ -f ../../packages/plates/dist/index.js ]; then node reader-lines.mjs; else echo "retrain: packages not built; no line sets"; fi
nice -n 19 /usr/bin/python3 train.py --run runs/main --hours "${1:-8}" --planned-samples 1.0e6
mkdir -p checkpoints
/usr/bin/python3 -c 'import torch; ck = torch.load("runs/main/best.pt"); torch.save({"model": ck["model"], "cfg": ck["cfg"], "entry": ck["entry"]}, "checkpoints/best.pt")'
cp runs/main/log.jsonl checkpoints/log.jsonl
/usr/bin/python3 export.py checkpoints/best.pt ../../packages/plates/models/oko-plates-rec.onnx
