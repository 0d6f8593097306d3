#!/usr/bin/env bash
# Installs what training needs (idempotent, quick when already there): Debian's torch, onnx,
# OpenCV, PIL and plate-like fonts, and npm's @fontsource condensed faces (unpacked into
# .cache/fonts; used for rendering training plates only, never shipped).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
APT=(python3-torch python3-torchvision python3-onnx python3-pil python3-numpy python3-opencv
  fonts-opendin fonts-routed-gothic fonts-league-spartan fonts-b612 fonts-liberation2 fonts-freefont-ttf
  fonts-open-sans fonts-roboto fonts-noto-core fonts-dejavu-core fonts-dejavu-extra)
missing=()
for p in "${APT[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  (apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1) || \
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null)
fi
# npm font packages (pinned): woff files of the latin subset, weights 400-900.
FONTSOURCE="oswald barlow-condensed roboto-condensed bebas-neue archivo-narrow pt-sans-narrow saira-condensed
  fira-sans-condensed league-gothic asap-condensed ibm-plex-sans-condensed encode-sans-condensed antonio
  big-shoulders-display share-tech-mono barlow"
mkdir -p .cache/fonts .cache/npm
for p in $FONTSOURCE; do
  [ -e ".cache/fonts/.$p-5.3.0" ] && continue
  (cd .cache/npm && npm pack --silent "@fontsource/$p@5.3.0" >/dev/null)
  tar xzf ".cache/npm/fontsource-$p-5.3.0.tgz" -C .cache/fonts --strip-components=2 --wildcards 'package/files/*-latin-[4-9]00-normal.woff'
  touch ".cache/fonts/.$p-5.3.0"
done
$PY -c 'import torch, onnx, cv2, PIL' 
