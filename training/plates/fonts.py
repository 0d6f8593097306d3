"""Fonts for rendering training plates, grouped by the plate styles they stand in for.

No free font matches FE-Schrift (German plates) or GOST R 50577 (RU/KZ/BY/UA plates), so they are
approximated by DIN 1451 revivals and condensed grotesques, reshaped per plate (width scale,
stroke weight) in synth.py. US states use gothic condensed faces (Penitentiary Gothic-like). Fonts
are used for training only and never shipped; their licences are listed in MODEL.md.
"""
from __future__ import annotations

import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
NPM = os.path.join(HERE, ".cache", "fonts")
DEB = "/usr/share/fonts"


def _deb(*paths: str) -> list[str]:
    return [os.path.join(DEB, p) for p in paths]


def _npm(family: str, weights: str) -> list[str]:
    return [os.path.join(NPM, f"{family}-latin-{w}-normal.woff") for w in weights.split()]


# DIN 1451 / FE-Schrift-like: EU, UA, BY, KZ plates.
DIN = _deb(
    "truetype/opendin/OSP-DIN.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Medium.ttf",
    "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "truetype/open-sans/OpenSans-CondBold.ttf",
    "truetype/liberation2/LiberationSans-Bold.ttf",
) + _npm("barlow-condensed", "500 600 700") + _npm("roboto-condensed", "500 700") + _npm(
    "ibm-plex-sans-condensed", "500 600 700") + _npm("fira-sans-condensed", "500 600") + _npm(
    "encode-sans-condensed", "500 600 700") + _npm("archivo-narrow", "500 600 700") + _npm(
    "pt-sans-narrow", "700") + _npm("asap-condensed", "500 600") + _npm("saira-condensed", "500 600") + _npm(
    "barlow", "500 600")

# GOST R 50577-like: wide, rounded, even strokes (RU, and older KZ/BY/UA plates).
GOST = _deb(
    "truetype/opendin/OSP-DIN.ttf",
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "opentype/b612/B612-Bold.otf",
    "opentype/league-spartan/LeagueSpartan-Bold.otf",
    "opentype/league-spartan/LeagueSpartan-Medium.otf",
    "truetype/routed-gothic/routed-gothic.ttf",
    "truetype/routed-gothic/routed-gothic-narrow.ttf",
    "truetype/noto/NotoSans-Bold.ttf",
    "truetype/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf",
    "truetype/freefont/FreeSansBold.ttf",
) + _npm("barlow", "500 600 700") + _npm("roboto-condensed", "600") + _npm("encode-sans-condensed", "600")

# US state plates: gothic condensed (Penitentiary Gothic-like) and a few others states use.
US = _npm("league-gothic", "400") + _npm("oswald", "400 500 600 700") + _npm("bebas-neue", "400") + _npm(
    "antonio", "500 600 700") + _npm("big-shoulders-display", "600 700 800") + _npm(
    "barlow-condensed", "600 700 800") + _npm("roboto-condensed", "700 800") + _npm(
    "saira-condensed", "600 700") + _npm("archivo-narrow", "700") + _npm("fira-sans-condensed", "600 700") + _deb(
    "truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "truetype/liberation2/LiberationSans-Bold.ttf",
    "truetype/opendin/OSP-DIN.ttf",
)

# Everything else (odd plates, vanity fonts, frame text).
MISC = _npm("share-tech-mono", "400") + _deb(
    "truetype/liberation2/LiberationMono-Bold.ttf",
    "truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "opentype/b612/B612Mono-Bold.otf",
    "truetype/freefont/FreeSansBold.ttf",
    "truetype/noto/NotoSans-Bold.ttf",
) + _npm("barlow", "700 800")

# Small text: country codes, state names, dealer frames.
SMALL = _deb(
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "truetype/liberation2/LiberationSans-Bold.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "truetype/noto/NotoSans-Bold.ttf",
) + _npm("oswald", "500")

GROUPS = {"din": DIN, "gost": GOST, "us": US, "misc": MISC, "small": SMALL}


def check() -> dict[str, list[str]]:
    """Each group's fonts that exist; raises when a group is empty (run setup.sh)."""
    out = {}
    for name, paths in GROUPS.items():
        have = [p for p in dict.fromkeys(paths) if os.path.exists(p)]
        if not have:
            raise SystemExit(f"no fonts of group {name!r} found: run training/plates/setup.sh")
        out[name] = have
    return out


def all_fonts() -> list[str]:
    return sorted({p for g in check().values() for p in g} | set(glob.glob(os.path.join(NPM, "*.woff"))))
