"""Synthetic plate line crops with their text: what oko's recogniser is trained on.

A plate is drawn to scale (mm layouts of UA, RU, KZ, BY, EU national plates, GB and US states; one-,
two- and three-line), with many fonts reshaped per plate, then put on a car body, seen in
perspective, shrunk to a camera's resolution (characters 10-40 px high), blurred, noised and JPEG
compressed at that resolution, and finally cut out the way oko's reader cuts it: an oriented box
around one text line with the margins and jitter of PaddleOCR's text detector, or the whole plate
(crop mode), resampled to the model's input (32×128 RGB).

`sample(rng)` returns (uint8 image 32×128×3, text, country class). Text is the 36 plate symbols
(Cyrillic plate letters written as their Latin look-alikes, as oko's formats do).
"""
from __future__ import annotations

import math
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fonts import check as check_fonts

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Country classes of the model's second head (index = class); -1: unknown (not trained).
COUNTRIES = ["UA", "RU", "KZ", "BY", "EU", "GB", "US"]
IN_H, IN_W = 32, 128
CAP = 56  # largest rendered cap height in px (then shrunk to the camera's resolution)

LAT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIG = "0123456789"
UA_L = "ABCEHIKMOPTX"
RU_L = "ABCEHKMOPTXY"
US_L = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # most states skip O (it is 0)


def pick(rng: random.Random, s: str, n: int) -> str:
    return "".join(rng.choice(s) for _ in range(n))


class Glyphs:
    """Ink masks of characters per font, rendered once per process at a large size."""

    def __init__(self) -> None:
        self.fonts = check_fonts()
        self.cache: dict[tuple[str, str, int], np.ndarray] = {}
        self.face: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}

    def font(self, path: str, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        if key not in self.face:
            self.face[key] = ImageFont.truetype(path, size)
        return self.face[key]

    def mask(self, path: str, ch: str, stroke: int) -> np.ndarray:
        key = (path, ch, stroke)
        m = self.cache.get(key)
        if m is None:
            f = self.font(path, 96)
            img = Image.new("L", (160, 160), 0)
            ImageDraw.Draw(img).text((24, 8), ch, font=f, fill=255, stroke_width=max(0, stroke), stroke_fill=255)
            a = np.asarray(img)
            if stroke < 0:  # thinner strokes (embossed US plates, light faces)
                a = cv2.erode(a, np.ones((3, 3), np.uint8), iterations=-stroke)
            ys, xs = np.nonzero(a > 40)
            m = a[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1] if len(ys) else np.zeros((10, 6), np.uint8)
            self.cache[key] = m
        return m


# ---------------------------------------------------------------------------------------------
# Plate texts, as the formats of oko's formats.json write them.


def text_for(kind: str, rng: random.Random) -> list[str]:
    """Groups of one plate's text (spaces between groups are drawn, not read)."""
    if kind == "ua":
        return [pick(rng, UA_L, 2), pick(rng, DIG, 4), pick(rng, UA_L, 2)]
    if kind == "ua-1995":
        return [pick(rng, DIG, 3) + "-" + pick(rng, DIG, 2), pick(rng, UA_L, 2)] if rng.random() < 0.5 else [pick(rng, DIG, 5), pick(rng, UA_L, 2)]
    if kind == "ua-military":
        return [pick(rng, DIG, 4), pick(rng, UA_L, 1) + pick(rng, DIG, 1)]
    if kind == "ru":
        return [pick(rng, RU_L, 1), pick(rng, DIG, 3), pick(rng, RU_L, 2)]
    if kind == "kz":
        return [pick(rng, DIG, 3), pick(rng, LAT, rng.choice([2, 3]))]
    if kind == "kz-old":
        return [pick(rng, LAT, 1), pick(rng, DIG, 3), pick(rng, LAT, 3)]
    if kind == "by":
        return [pick(rng, DIG, 4), pick(rng, UA_L, 2) + "-" + rng.choice("1234567")]
    if kind == "de":
        return [pick(rng, LAT, rng.choice([1, 1, 2, 2, 3])), rng.choice(["_", "_", "_", "-"]), pick(rng, LAT, rng.choice([1, 2])), pick(rng, DIG, rng.randint(1, 4)) + ("E" if rng.random() < 0.03 else "")]
    if kind == "fr":
        return [pick(rng, LAT, 2), "-", pick(rng, DIG, 3), "-", pick(rng, LAT, 2)]
    if kind == "it":
        return [pick(rng, LAT, 2), pick(rng, DIG, 3) + pick(rng, LAT, 2)]
    if kind == "pl":
        return [pick(rng, LAT, rng.choice([2, 3])), pick(rng, DIG, rng.randint(2, 4)) + pick(rng, LAT + DIG, 1)]
    if kind == "es":
        return [pick(rng, DIG, 4), pick(rng, "BCDFGHJKLMNPRSTVWXYZ", 3)]
    if kind == "nl":
        p = rng.choice(["LL-DDD-L", "DD-LLL-D", "L-DDD-LL", "LL-DD-LL", "DD-LL-DD", "DDD-LL-D", "D-LLL-DD", "LLL-DD-L"])
        return ["".join(pick(rng, LAT if c == "L" else DIG, 1) if c in "LD" else "-" for c in p)]
    if kind == "cz":
        return [pick(rng, DIG, 1) + pick(rng, LAT, 1) + pick(rng, LAT + DIG, 1), pick(rng, DIG, 4)]
    if kind == "sk":
        return [pick(rng, LAT, 2), rng.choice(["_", "_", "-"]), pick(rng, DIG, 3) + pick(rng, LAT, 2)]
    if kind == "lt":
        return [pick(rng, LAT, 3), pick(rng, DIG, 3)]
    if kind == "lv":
        return [pick(rng, LAT, 2) + "-", pick(rng, DIG, rng.choice([3, 4]))]
    if kind == "ee":
        return [pick(rng, DIG, 3), pick(rng, LAT, 3)]
    if kind == "gb":
        return [pick(rng, LAT, 2) + pick(rng, DIG, 2), pick(rng, LAT, 3)]
    if kind == "eu-generic":
        n = rng.randint(4, 8)
        s = pick(rng, LAT + DIG, n)
        return [s[: n // 2], s[n // 2:]] if rng.random() < 0.5 else [s]
    if kind == "us":
        p = rng.choice(["DLLLDDD", "LLL_DDDD", "LLL_DDDD", "LLDDDDD", "DLLDDDD", "DLLLDD", "DLLDDD", "LLL_LDD", "DDDD_LL",
                        "LLD_LDL", "LDD_LLL", "LLD_LDDD", "DDD_LLL", "LLL_DDD", "DDD_DDD", "LLDD_LLL", "V"])
        if p == "V":  # vanity and odd plates
            return [pick(rng, US_L + DIG, rng.randint(2, 8))]
        groups, cur = [], ""
        for c in p:
            if c == "_":
                groups.append(cur), groups.append("_")
                cur = ""
            else:
                cur += pick(rng, US_L if c == "L" else DIG, 1)
        groups.append(cur)
        if "_" not in p and rng.random() < 0.6 and len(cur) >= 5:
            k = rng.choice([3, 3, 2, 4]) if len(cur) >= 6 else rng.choice([2, 3])
            groups = [cur[:k], rng.choice(["-", "_", "_", "·"]), cur[k:]] if rng.random() < 0.6 else [cur[:k], cur[k:]]
        elif "_" in p and rng.random() < 0.3:
            groups = ["-" if x == "_" else x for x in groups]
        return groups
    raise ValueError(kind)


def read_text(groups: list[str]) -> str:
    return "".join(c for g in groups for c in g if c in ALPHABET)


# ---------------------------------------------------------------------------------------------
# Drawing


class Canvas:
    def __init__(self, w: int, h: int, bg: tuple[int, int, int]):
        self.img = np.empty((h, w, 3), np.float32)
        self.img[:] = bg
        self.w, self.h = w, h

    def rect(self, x0, y0, x1, y1, color):
        x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
        self.img[max(0, y0): max(0, y1), max(0, x0): max(0, x1)] = color

    def paste(self, mask: np.ndarray, x: float, y: float, w: float, h: float, color) -> tuple[float, float, float, float]:
        w, h = max(2, int(round(w))), max(2, int(round(h)))
        m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        x0, y0 = int(round(x)), int(round(y))
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(self.w, x0 + w), min(self.h, y0 + h)
        if xb <= xa or yb <= ya:
            return (x, y, x + w, y + h)
        m = m[ya - y0: yb - y0, xa - x0: xb - x0, None]
        region = self.img[ya:yb, xa:xb]
        region *= 1 - m
        region += m * np.asarray(color, np.float32)
        return (x, y, x + w, y + h)

    def text(self, g: Glyphs, font: str, s: str, x: float, y: float, h: float, color, sx=1.0, gap=0.12, stroke=0):
        """Draws s from (x, y) with cap height h; returns the ink box."""
        boxes = []
        for ch in s:
            if ch == " ":
                x += 0.5 * h
                continue
            m = g.mask(font, ch, stroke)
            w = h * m.shape[1] / m.shape[0] * sx
            if ch in "-·":
                w = h * 0.35 * sx
                hh = h * 0.12
                self.rect(x + 0.05 * h, y + h / 2 - hh / 2, x + w - 0.05 * h, y + h / 2 + hh / 2, color)
            else:
                boxes.append(self.paste(m, x, y, w, h, color))
            x += w + gap * h
        if not boxes:
            return (x, y, x, y + h)
        return (min(b[0] for b in boxes), y, max(b[2] for b in boxes), y + h)


def measure(g: Glyphs, font: str, s: str, h: float, sx: float, gap: float, stroke: int) -> float:
    w = 0.0
    for ch in s:
        if ch == " ":
            w += 0.5 * h
            continue
        m = g.mask(font, ch, stroke)
        w += (h * 0.35 * sx if ch in "-·" else h * m.shape[1] / m.shape[0] * sx) + gap * h
    return max(1.0, w - gap * h)


def draw_groups(cv: Canvas, g: Glyphs, font: str, groups: list[str], x0: float, x1: float, y: float, h: float, color,
                rng: random.Random, sx: float, gap: float, stroke: int, sizes: list[float] | None = None, emblem=None):
    """Draws text groups centred between x0 and x1 (shrunk to fit); returns the ink box of each group."""
    sizes = sizes or [1.0] * len(groups)
    ggap = h * rng.uniform(0.25, 0.6)
    widths = [h * 0.55 if s == "_" else measure(g, font, s, h * k, sx, gap, stroke) for s, k in zip(groups, sizes)]
    total = sum(widths) + ggap * (len(groups) - 1)
    fit = min(1.0, (x1 - x0) / total)
    x = (x0 + x1) / 2 - total * fit / 2
    boxes = []
    for s, k, w in zip(groups, sizes, widths):
        hh = h * k
        if s == "_":
            if emblem:
                emblem(cv, x, y, w * fit, h)
            x += (w + ggap) * fit
            continue
        yy = y + (h - hh)  # bottom aligned (RU letters are shorter than digits)
        boxes.append(cv.text(g, font, s, x, yy, hh, color, sx * fit, gap * fit, stroke))
        x += (w + ggap) * fit
    return boxes


def union(boxes):
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def shield(cv: Canvas, cx, cy, w, h, rng: random.Random):
    """A coat of arms (the Slovak one, or any): a shield with a light cross or mark."""
    base = (200, 30, 40) if rng.random() < 0.6 else jitter((rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)), rng, 0)
    pts = np.array([[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2], [cx + w / 2, cy + h * 0.1], [cx, cy + h / 2], [cx - w / 2, cy + h * 0.1]], np.int32)
    cv2.fillPoly(cv.img, [pts], base)
    t = max(1, w * 0.12)
    cv.rect(cx - t / 2, cy - h * 0.38, cx + t / 2, cy + h * 0.15, (245, 245, 245))
    cv.rect(cx - w * 0.3, cy - h * 0.22, cx + w * 0.3, cy - h * 0.22 + t, (245, 245, 245))
    if rng.random() < 0.6:
        cv.rect(cx - w * 0.22, cy - h * 0.05, cx + w * 0.22, cy - h * 0.05 + t, (245, 245, 245))
    if rng.random() < 0.7:
        cv2.ellipse(cv.img, (int(cx), int(cy + h * 0.28)), (int(w * 0.35), int(h * 0.14)), 0, 180, 360, (30, 60, 160), -1)


def eu_band(cv: Canvas, g: Glyphs, x0, y0, x1, y1, code: str, rng: random.Random, flag=None):
    """The blue EU strip (12 stars and the country code), a national flag strip, or a coat of arms over the code."""
    w, h = x1 - x0, y1 - y0
    dark = False
    if flag == "shield":
        if rng.random() < 0.5:
            cv.rect(x0, y0, x1, y1, (0, 51 + rng.randint(-20, 30), 153 + rng.randint(-30, 40)))
        else:
            dark = True
        shield(cv, (x0 + x1) / 2, y0 + h * 0.32, w * 0.7, h * 0.42, rng)
    elif flag is None:
        cv.rect(x0, y0, x1, y1, (0, 51 + rng.randint(-20, 30), 153 + rng.randint(-30, 40)))
        cx, cy, r = (x0 + x1) / 2, y0 + h * 0.3, w * 0.3
        for k in range(12):
            a = k * math.pi / 6
            sx_, sy_ = cx + r * math.cos(a), cy + r * math.sin(a)
            s = max(1, w * 0.06)
            cv.rect(sx_ - s, sy_ - s, sx_ + s, sy_ + s, (255, 204, 0))
    else:
        n = len(flag)
        for i, c in enumerate(flag):
            cv.rect(x0, y0 + h * 0.1 + i * h * 0.35 / n, x1, y0 + h * 0.1 + (i + 1) * h * 0.35 / n, c)
        dark = True
    if code:
        font = rng.choice(g.fonts["small"])
        th = h * 0.28
        tw = measure(g, font, code, th, 1.0, 0.08, 0)
        color = rng.choice([(20, 20, 24), (0, 51, 153)]) if dark else (255, 255, 255)
        cv.text(g, font, code, (x0 + x1) / 2 - min(tw, w * 0.9) / 2, y0 + h * 0.6, th, color, min(1.0, w * 0.9 / tw), 0.08)


def bolts(cv: Canvas, rng: random.Random, xs, y, r, color=(150, 150, 150)):
    for x in xs:
        yy, xx = np.ogrid[: cv.h, : cv.w]
        m = (xx - x) ** 2 + (yy - y) ** 2 <= r * r
        cv.img[m] = color


def emblem_fn(rng: random.Random):
    color = (rng.randint(0, 255), rng.randint(0, 200), rng.randint(0, 200))

    def draw(cv: Canvas, x, y, w, h):
        kind = rng.random()
        if kind < 0.2:
            shield(cv, x + w / 2, y + h * rng.uniform(0.3, 0.5), w * 0.7, h * rng.uniform(0.4, 0.6), rng)
        elif kind < 0.45:  # round seal / sticker
            yy, xx = np.ogrid[: cv.h, : cv.w]
            r = min(w, h) * rng.uniform(0.3, 0.5)
            cx, cy = x + w / 2, y + h * rng.uniform(0.3, 0.7)
            cv.img[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = color
            if rng.random() < 0.6:
                cv.img[(xx - cx) ** 2 + (yy - cy) ** 2 <= (r * 0.55) ** 2] = (rng.randint(150, 255),) * 3
        elif kind < 0.7:  # state shape
            pts = np.array([[x + w * rng.uniform(0, 0.3), y + h * rng.uniform(0.1, 0.4)], [x + w * rng.uniform(0.7, 1), y + h * rng.uniform(0, 0.3)],
                            [x + w * rng.uniform(0.6, 1), y + h * rng.uniform(0.7, 1)], [x + w * rng.uniform(0, 0.4), y + h * rng.uniform(0.6, 0.9)]], np.int32)
            cv2.fillPoly(cv.img, [pts], color)
        # else: a gap
    return draw


# Plate styles: (background, text colour) pairs.
WHITE = (236, 236, 232)
BLACK = (20, 20, 24)
YELLOW = (250, 204, 20)


def jitter(c, rng, k=18):
    return tuple(int(np.clip(v + rng.randint(-k, k), 0, 255)) for v in c)


# US states: plate background, text colour, name, slogan colour.
US_STYLES = [
    ((238, 238, 238), (22, 40, 110), "California", (200, 30, 30)),
    ((240, 190, 40), (20, 40, 100), "NEW YORK", (20, 40, 100)),
    ((235, 235, 235), (20, 20, 20), "TEXAS", (20, 20, 20)),
    ((240, 240, 240), (30, 50, 120), "PENNSYLVANIA", (240, 180, 20)),
    ((240, 240, 240), (20, 100, 50), "Florida", (240, 120, 20)),
    ((240, 240, 240), (170, 30, 40), "ILLINOIS", (30, 50, 140)),
    ((235, 220, 160), (20, 20, 20), "NEW JERSEY", (20, 20, 20)),
    ((240, 240, 240), (30, 40, 110), "MASSACHUSETTS", (180, 30, 30)),
    ((240, 240, 240), (20, 20, 20), "MISSOURI", (40, 80, 160)),
    ((230, 240, 240), (20, 80, 40), "COLORADO", (20, 80, 40)),
    ((240, 240, 240), (40, 40, 120), "MARYLAND", (200, 40, 40)),
    ((240, 240, 240), (20, 20, 20), "Virginia", (20, 20, 90)),
    ((250, 250, 250), (30, 30, 110), "OHIO", (200, 40, 40)),
    ((220, 230, 240), (20, 20, 60), "Washington", (20, 20, 60)),
    ((240, 240, 240), (20, 60, 150), "MICHIGAN", (20, 60, 150)),
    ((240, 240, 240), (40, 40, 40), "GEORGIA", (200, 110, 40)),
    ((250, 240, 200), (110, 20, 20), "ARIZONA", (110, 20, 20)),
    ((20, 30, 60), (240, 240, 240), "MICHIGAN", (240, 240, 240)),
    ((40, 40, 40), (240, 200, 40), "CALIFORNIA", (240, 200, 40)),
    ((240, 240, 240), (20, 20, 20), "KENTUCKY", (30, 70, 150)),
    ((240, 240, 240), (20, 20, 20), "MAINE", (20, 20, 20)),
    ((240, 240, 240), (30, 40, 120), "WEST VIRGINIA", (30, 40, 120)),
    ((240, 240, 240), (20, 40, 100), "CONNECTICUT", (20, 40, 100)),
    ((240, 240, 240), (20, 20, 90), "SOUTH CAROLINA", (20, 20, 90)),
]
SLOGANS = ["DMV.CA.GOV", "EMPIRE STATE", "THE LONE STAR STATE", "visitPA.com", "SUNSHINE STATE", "LAND OF LINCOLN", "GARDEN STATE",
           "THE SPIRIT OF AMERICA", "SHOW-ME STATE", "VACATIONLAND", "WILD WONDERFUL", "Constitution State", "Virginia is for Lovers",
           "Evergreen State", "PURE MICHIGAN", "Peach State", "GRAND CANYON STATE", "BIRTHPLACE OF AVIATION", "UNBRIDLED SPIRIT"]


def emboss(cv: Canvas, rng: random.Random, strength: float):
    grey = cv.img.mean(axis=2)
    d = max(1, int(round(cv.h / 60)))
    relief = np.zeros_like(grey)
    relief[d:, d:] = grey[d:, d:] - grey[:-d, :-d]
    cv.img += (relief * strength)[:, :, None]
    np.clip(cv.img, 0, 255, out=cv.img)


WORDS = ["TAXI", "POLICE", "TOYOTA", "HONDA", "FORD", "SKODA", "RENAULT", "LADA", "VOLVO", "AUDI", "SALE", "STOP", "PARKING", "EXIT",
         "DEALER", "MOTORS", "AUTO", "SERVICE", "DIESEL", "HYBRID", "Sport", "Limited", "quattro", "TDI", "4x4", "GT", "Lexus", "SUBARU",
         "Kia", "Hyundai", "CHEVROLET", "Nissan", "Jeep", "RAM", "BUS", "ambulance", "Pizza", "Hotel", "Shop", "Market", "OPEN"]


def render_negative(g: Glyphs, rng: random.Random, cap: float):
    """Not a plate: a brand badge, a sign's word, a slogan, or no text (grille, lamp, bumper edge). Read as nothing."""
    k = cap / 70.0
    W, H = int(rng.uniform(150, 450) * k), int(rng.uniform(80, 140) * k)
    cv = Canvas(W, H, jitter((rng.randint(0, 255),) * 3, rng, 40))
    r = rng.random()
    if r < 0.6:
        word = rng.choice(WORDS + SLOGANS + [s[2] for s in US_STYLES])
        font = rng.choice(g.fonts["small"] + g.fonts["us"] + g.fonts["din"])
        h = cap * rng.uniform(0.5, 1.0)
        w = measure(g, font, word, h, 1.0, 0.1, 0)
        fit = min(1.0, W * 0.9 / w)
        box = cv.text(g, font, word, W / 2 - w * fit / 2, H / 2 - h / 2, h, jitter((rng.randint(0, 255),) * 3, rng, 60), fit, 0.1 * fit)
    else:
        n = rng.randint(2, 8)
        for i in range(n):  # grille bars, lamp edges
            y = H * (i + 0.5) / n
            cv.rect(0, y - H * 0.03, W, y + H * 0.03, jitter((rng.randint(0, 255),) * 3, rng, 30))
        box = (W * 0.1, H * 0.3, W * 0.9, H * 0.3 + cap)
    return cv, [("", box)]


# Share of non-plates read as nothing. 0: with 6% (words and textures) the model learned to drop
# letters and end characters of real plates (openalpr-eu crops 68.5% -> 31.5% exact in 220 steps).
NEGATIVES = 0.0


def render_plate(g: Glyphs, rng: random.Random, cap: float = CAP):
    """Draws one plate (or, NEGATIVES of the time, something else the detector may box); returns (canvas, lines [(text, box)], country, kind)."""
    if rng.random() < NEGATIVES:
        cv, lines = render_negative(g, rng, cap)
        return cv, lines, None, "none"
    r = rng.random()
    stroke = rng.choice([-2, -1, 0, 0, 0, 1, 2, 3])
    sx = rng.uniform(0.78, 1.22)
    gap = rng.uniform(0.06, 0.2)
    if r < 0.16:
        kind = rng.choice(["ua"] * 6 + ["ua-1995", "ua-military"])
        country = "UA"
    elif r < 0.30:
        kind, country = "ru", "RU"
    elif r < 0.40:
        kind, country = rng.choice(["kz"] * 4 + ["kz-old"]), "KZ"
    elif r < 0.47:
        kind, country = "by", "BY"
    elif r < 0.62:
        kind, country = rng.choice(["de", "de", "fr", "it", "pl", "es", "nl", "cz", "sk", "lt", "lv", "ee", "eu-generic"]), "EU"
    elif r < 0.65:
        kind, country = "gb", "GB"
    else:
        kind, country = "us", "US"
    groups = text_for(kind, rng)
    layout = rng.random()
    if kind == "us":
        cv, lines = render_us(g, rng, cap, groups, stroke, sx, gap)
        if rng.random() < 0.4:
            emboss(cv, rng, rng.uniform(0.2, 0.6))
        return cv, lines, country, kind
    if kind in ("ua", "ru", "by", "ua-1995") and layout < 0.14:
        return render_square(g, rng, cap, groups, kind, stroke, sx, gap) + (country, kind)
    if kind == "ua" and layout < 0.2:
        return render_three(g, rng, cap, groups, stroke, sx, gap) + (country, kind)
    return render_long(g, rng, cap, groups, kind, country, stroke, sx, gap) + (country, kind)


def render_long(g: Glyphs, rng: random.Random, cap, groups, kind, country, stroke, sx, gap):
    """One-line 520×110 mm plate: band(s), main text, RU/KZ region box."""
    k = cap / 75.0  # px per mm: 75 mm characters
    W, H = int(520 * k), int(112 * k)
    bg, fg = WHITE, BLACK
    if kind == "nl" or (kind == "gb" and rng.random() < 0.5) or (kind == "eu-generic" and rng.random() < 0.15):
        bg = YELLOW
    if kind == "ua-military":
        bg, fg = BLACK, WHITE
    cv = Canvas(W, H, jitter(bg, rng, 12))
    border = rng.random() < 0.7
    if border:
        t = max(1, int(k * rng.uniform(1, 3)))
        cv.rect(0, 0, W, t, fg), cv.rect(0, H - t, W, H, fg), cv.rect(0, 0, t, H, fg), cv.rect(W - t, 0, W, H, fg)
    x0, x1 = 6 * k, W - 6 * k
    band_w = 40 * k
    if kind in ("ua", "ua-1995") and rng.random() < 0.9:
        eu_band(cv, g, 3 * k, 3 * k, 3 * k + band_w, H - 3 * k, "UA", rng, flag=[(0, 87, 183), (255, 215, 0)] if rng.random() < 0.6 else None)
        x0 = 3 * k + band_w + 4 * k
    elif kind == "by":
        eu_band(cv, g, 3 * k, 3 * k, 3 * k + band_w, H - 3 * k, "BY", rng, flag=[(200, 40, 40), (200, 40, 40), (0, 150, 60)])
        x0 = 3 * k + band_w + 4 * k
    elif kind == "kz" or (kind == "kz-old" and rng.random() < 0.3):
        eu_band(cv, g, 3 * k, 3 * k, 3 * k + band_w, H - 3 * k, "KZ", rng, flag=[(0, 175, 202), (0, 175, 202), (254, 197, 0)])
        x0 = 3 * k + band_w + 4 * k
    elif country in ("EU", "GB") and (country == "EU" or rng.random() < 0.5):
        code = {"de": "D", "fr": "F", "it": "I", "pl": "PL", "es": "E", "nl": "NL", "cz": "CZ", "sk": "SK", "lt": "LT", "lv": "LV", "ee": "EST"}.get(kind, rng.choice(["A", "B", "H", "P", "RO", "SLO", "HR", "FIN", "S", "DK", "L", "IRL"]))
        if country == "GB":
            code = rng.choice(["GB", "UK"])
        eu_band(cv, g, 3 * k, 3 * k, 3 * k + band_w, H - 3 * k, code, rng, flag="shield" if rng.random() < (0.5 if kind == "sk" else 0.15) else None)
        x0 = 3 * k + band_w + 4 * k
        if kind in ("fr", "it"):
            cv.rect(W - 3 * k - band_w, 3 * k, W - 3 * k, H - 3 * k, (0, 51, 153))
            if kind == "fr":
                cv.text(g, rng.choice(g.fonts["small"]), pick(rng, DIG, 2), W - 3 * k - band_w * 0.85, H * 0.55, H * 0.3, (255, 255, 255), 0.9)
            x1 = W - 3 * k - band_w - 4 * k
    font = rng.choice(g.fonts["gost" if kind in ("ru", "kz-old") or rng.random() < 0.15 else ("misc" if rng.random() < 0.08 else "din")])
    h = 75 * k * rng.uniform(0.88, 1.0)
    y = (H - h) / 2 + rng.uniform(-0.04, 0.04) * H
    lines = []
    if kind in ("ru", "kz"):
        region = pick(rng, DIG, rng.choice([2, 2, 3])) if kind == "ru" else pick(rng, DIG, 2)
        rw = (112 if len(region) == 3 else 96) * k if kind == "ru" else 80 * k
        rx = W - 3 * k - rw
        cv.rect(rx - max(1, k * 1.5), 0, rx + max(1, k * 1.5), H, fg)
        sizes = [58 / 76, 1.0, 58 / 76] if kind == "ru" else None
        boxes = draw_groups(cv, g, font, groups, x0, rx - 4 * k, y, h, fg, rng, sx, gap, stroke, sizes)
        rh = 58 * k if kind == "ru" else 62 * k
        rb = cv.text(g, font, region, rx + (rw - measure(g, font, region, rh, sx, gap, stroke)) / 2, 8 * k, rh, fg, sx, gap, stroke)
        if kind == "ru":
            cv.text(g, rng.choice(g.fonts["small"]), "RUS", rx + rw * 0.12, H - 26 * k, 16 * k, fg, 0.9)
            fx = rx + rw * 0.58
            for i, c in enumerate([(255, 255, 255), (0, 57, 166), (213, 43, 30)]):
                cv.rect(fx, H - 28 * k + i * 6 * k, fx + 28 * k, H - 22 * k + i * 6 * k, c)
        main = union(boxes)
        text = read_text(groups)
        lines.append((text + region, union([main, rb])))
        lines.append((text, main))  # the detector often boxes the number and the region apart
        lines.append((region, rb))
    else:
        boxes = draw_groups(cv, g, font, groups, x0, x1, y, h, fg, rng, sx, gap, stroke, emblem=emblem_fn(rng) if "_" in groups else None)
        lines.append((read_text(groups), union(boxes)))
    if rng.random() < 0.5:
        bolts(cv, rng, [W * 0.22, W * 0.78], H * 0.5 if rng.random() < 0.3 else 6 * k, 4 * k * rng.uniform(0.6, 1.3))
    return cv, lines


def render_square(g: Glyphs, rng: random.Random, cap, groups, kind, stroke, sx, gap):
    """Two-line square plate (UA 280×200: AA BB over 1234; RU/BY/moto: 1234 over AB 77)."""
    k = cap / 70.0
    W, H = int(rng.choice([280, 245, 190]) * k), int(rng.choice([200, 160, 145]) * k)
    fg = BLACK
    cv = Canvas(W, H, jitter(WHITE, rng, 12))
    t = max(1, int(k * 2))
    cv.rect(0, 0, W, t, fg), cv.rect(0, H - t, W, H, fg), cv.rect(0, 0, t, H, fg), cv.rect(W - t, 0, W, H, fg)
    font = rng.choice(g.fonts["gost" if kind == "ru" else "din"])
    h = min(H * 0.4, 70 * k) * rng.uniform(0.85, 1.0)
    y1, y2 = H * 0.27 - h / 2, H * 0.73 - h / 2
    x0 = 8 * k
    if kind == "ua":
        top, bottom = [groups[0], groups[2]], [groups[1]]
        if rng.random() < 0.7:
            eu_band(cv, g, 4 * k, H * 0.08, 4 * k + 32 * k, H * 0.45, "UA", rng, flag=[(0, 87, 183), (255, 215, 0)])
            x0 = 40 * k
        tb = draw_groups(cv, g, font, top, x0, W - 8 * k, y1, h, fg, rng, sx, gap, stroke)
        bb = draw_groups(cv, g, font, bottom, 8 * k, W - 8 * k, y2, h, fg, rng, sx, gap, stroke)
        lines = [(read_text(top), union(tb)), (read_text(bottom), union(bb))]
    else:
        digits = pick(rng, DIG, 4)
        letters = pick(rng, RU_L if kind == "ru" else UA_L, 2)
        tail = pick(rng, DIG, 2) if kind == "ru" else (rng.choice("1234567") if kind == "by" else "")
        if rng.random() < 0.5:
            top, bottom = [digits], [letters] + ([tail] if tail else [])
        else:
            top, bottom = [letters], [digits] + ([tail] if tail else [])
        tb = draw_groups(cv, g, font, top, 8 * k, W - 8 * k, y1, h, fg, rng, sx, gap, stroke)
        bb = draw_groups(cv, g, font, bottom, 8 * k, W - 8 * k, y2, h, fg, rng, sx, gap, stroke)
        lines = [(read_text(top), union(tb)), (read_text(bottom), union(bb))]
    return cv, lines


def render_three(g: Glyphs, rng: random.Random, cap, groups, stroke, sx, gap):
    """Small UA plate: AA over 1234 over BB."""
    k = cap / 45.0
    W, H = int(rng.uniform(150, 190) * k), int(rng.uniform(150, 180) * k)
    cv = Canvas(W, H, jitter(WHITE, rng, 12))
    t = max(1, int(k * 2))
    cv.rect(0, 0, W, t, BLACK), cv.rect(0, H - t, W, H, BLACK), cv.rect(0, 0, t, H, BLACK), cv.rect(W - t, 0, W, H, BLACK)
    font = rng.choice(g.fonts["din"])
    h = H * 0.27
    lines = []
    for i, s in enumerate([groups[0], groups[1], groups[2]]):
        y = H * (0.2 + 0.3 * i) - h / 2
        b = draw_groups(cv, g, font, [s], 6 * k, W - 6 * k, y, h, BLACK, rng, sx, gap, stroke)
        lines.append((s, union(b)))
    return cv, lines


def render_us(g: Glyphs, rng: random.Random, cap, groups, stroke, sx, gap):
    """US plate, 12×6 in: state name on top, big characters, slogan at the bottom."""
    k = cap / 68.0
    W, H = int(305 * k), int(152 * k)
    bg, fg, name, sc = rng.choice(US_STYLES)
    cv = Canvas(W, H, jitter(bg, rng, 15))
    if rng.random() < 0.3:  # graphic backgrounds: a gradient or a band
        top = np.array(jitter(bg, rng, 60), np.float32)
        grad = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
        cv.img = cv.img * (1 - grad * 0.6) + top * grad * 0.6
    small = rng.choice(g.fonts["small"] + g.fonts["us"][:4])
    nh = 18 * k * rng.uniform(0.7, 1.2)
    nw = measure(g, small, name, nh, 1.0, 0.08, 0)
    cv.text(g, small, name, W / 2 - min(nw, W * 0.8) / 2, 8 * k, nh, sc, min(1.0, W * 0.8 / nw), 0.08)
    if rng.random() < 0.8:
        slogan = rng.choice(SLOGANS)
        sh = 11 * k * rng.uniform(0.8, 1.2)
        sw = measure(g, small, slogan, sh, 1.0, 0.08, 0)
        cv.text(g, small, slogan, W / 2 - min(sw, W * 0.8) / 2, H - 10 * k - sh, sh, sc, min(1.0, W * 0.8 / sw), 0.08)
    if rng.random() < 0.35:  # registration stickers in the corners
        for x in rng.sample([8 * k, W - 40 * k], rng.randint(1, 2)):
            cv.rect(x, 6 * k, x + 32 * k, 26 * k, jitter((rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)), rng, 0))
    font = rng.choice(g.fonts["us"] if rng.random() < 0.85 else g.fonts["din"])
    h = 68 * k * rng.uniform(0.8, 1.0)
    y = H * 0.52 - h / 2
    boxes = draw_groups(cv, g, font, groups, 10 * k, W - 10 * k, y, h, fg, rng, sx * rng.uniform(0.85, 1.1), gap, stroke,
                        emblem=emblem_fn(rng) if "_" in groups else None)
    if rng.random() < 0.6:
        bolts(cv, rng, [W * 0.18, W * 0.82], 12 * k, 4 * k)
    return cv, [(read_text(groups), union(boxes))]


# ---------------------------------------------------------------------------------------------
# The camera and the reader's crop


def body(rng: random.Random, w: int, h: int) -> np.ndarray:
    """Car body around the plate: a colour, a gradient, some texture."""
    c = np.array([rng.randint(0, 255) for _ in range(3)], np.float32)
    if rng.random() < 0.5:
        c[:] = rng.randint(10, 240)
    img = np.empty((h, w, 3), np.float32)
    img[:] = c
    gy = np.linspace(rng.uniform(-40, 40), rng.uniform(-40, 40), h, dtype=np.float32)[:, None, None]
    img += gy
    small = np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(2, 25), (max(2, h // 8), max(2, w // 8), 1)).astype(np.float32)
    img += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)[:, :, None]
    return img


def frame_text(cv_scene: np.ndarray, g: Glyphs, rng: random.Random, px0, py0, pw, ph):
    """A dealer frame around the plate, with its small text."""
    color = jitter(rng.choice([(20, 20, 20), (190, 190, 195), (120, 20, 20), (230, 230, 230)]), rng, 10)
    m = ph * rng.uniform(0.08, 0.22)
    x0, y0, x1, y1 = int(px0 - m * 0.6), int(py0 - m), int(px0 + pw + m * 0.6), int(py0 + ph + m * 1.6)
    h, w = cv_scene.shape[:2]
    outer = cv_scene[max(0, y0): max(0, y1), max(0, x0): max(0, x1)]
    outer[:] = color
    words = rng.choice(["AUTO MALL", "TOYOTA OF CITY", "HONDA", "FORD", "555-0199", "CHEVROLET", "AUTO PLAZA", "DEALER", "MOTORS", "KIA CENTER"])
    font = rng.choice(g.fonts["small"])
    th = m * 1.1
    cvs = Canvas(1, 1, (0, 0, 0))
    cvs.img, cvs.w, cvs.h = cv_scene, w, h
    tc = (240, 240, 240) if sum(color) < 380 else (20, 20, 20)
    tw = measure(g, font, words, th, 1.0, 0.1, 0)
    cvs.text(g, font, words, px0 + pw / 2 - tw / 2, py0 + ph + m * 0.2, th, tc, 1.0, 0.1)


def dirt(img: np.ndarray, rng: random.Random):
    h, w = img.shape[:2]
    n = rng.randint(1, 6)
    layer = np.zeros((h, w), np.float32)
    for _ in range(n):
        cv2.ellipse(layer, (rng.randint(0, w), rng.randint(0, h)), (rng.randint(w // 40 + 1, w // 6 + 2), rng.randint(h // 30 + 1, h // 4 + 2)),
                    rng.uniform(0, 180), 0, 360, rng.uniform(0.2, 0.7), -1)
    layer = cv2.GaussianBlur(layer, (0, 0), max(1, w / 80))[:, :, None]
    color = np.array(jitter((90, 75, 55), rng, 30), np.float32)
    img *= 1 - layer
    img += layer * color


def sample(rng: random.Random, g: Glyphs, out_h: int = IN_H, out_w: int = IN_W, poor_share: float = 0.0):
    """One training crop: (uint8 out_h×out_w×3 RGB, text, country class index).

    poor_share: the share of crops from a poor camera (characters 10-24 px, blur, a camera's scaler
    and two JPEG passes, the detector's looser boxes above and below), as city cameras' are.
    """
    poor = poor_share > 0 and rng.random() < poor_share
    # Characters 10-40 px high at the camera (log-uniform: most plates are small); drawn at 1.6×.
    target = math.exp(rng.uniform(math.log(10), math.log(24 if poor else 40)))
    cv, lines, country, kind = render_plate(g, rng, min(CAP, max(24.0, target * 1.6)))
    plate = cv.img
    if rng.random() < 0.3:
        dirt(plate, rng)
    ph, pw = plate.shape[:2]
    # Scene: the plate on a car body with room around it.
    mx, my = int(pw * 0.3), int(ph * 0.6)
    scene = body(rng, pw + 2 * mx, ph + 2 * my)
    scene[my: my + ph, mx: mx + pw] = plate
    if rng.random() < 0.15:
        frame_text(scene, g, rng, mx, my, pw, ph)
        scene[my: my + ph, mx: mx + pw] = plate
    sh, sw = scene.shape[:2]

    # Which box the reader reads: one text line with detector margins, or the whole plate (crop mode).
    whole = rng.random() < (0.3 if len(lines) == 1 else 0.08) and kind != "none"
    if len(lines) == 3 and kind in ("ru", "kz") and not whole:
        li = 0 if rng.random() < 0.6 else (1 if rng.random() < 0.8 else 2)
    else:
        li = rng.randrange(len(lines)) if not whole else 0
    text, (bx0, by0, bx1, by1) = lines[li]
    if whole:
        if len(lines) > 1 and not (len(lines) == 3 and kind in ("ru", "kz")):
            text = "".join(t for t, _ in lines)  # not read as one line by the engine: rare, low weight
            whole = False
            text, (bx0, by0, bx1, by1) = lines[0]
        else:
            text = lines[0][0]
            bx0, by0, bx1, by1 = 0, 0, pw, ph
    capH = by1 - by0
    if whole:
        m = [rng.uniform(-0.03, 0.12) * ph for _ in range(4)]
    else:
        capH = (by1 - by0)
        v = 0.8 if poor else 0.45
        m = [rng.uniform(-0.08, 0.55) * capH, rng.uniform(-0.06, v) * capH, rng.uniform(-0.08, 0.55) * capH, rng.uniform(-0.06, v) * capH]
        if rng.random() < 0.1:  # a box that cuts into an end character
            m[rng.choice([0, 2])] = -rng.uniform(0.08, 0.18) * capH
    box = np.array([[bx0 - m[0], by0 - m[1]], [bx1 + m[2], by0 - m[1]], [bx1 + m[2], by1 + m[3]], [bx0 - m[0], by1 + m[3]]], np.float32)
    box += (mx, my)

    # Camera: perspective (yaw, pitch, roll) about the plate centre.
    c = np.array([mx + pw / 2, my + ph / 2], np.float32)
    roll = math.radians(rng.gauss(0, 4) if rng.random() < 0.8 else rng.uniform(-15, 15))
    yaw = rng.uniform(-0.35, 0.35)
    pitch = rng.uniform(-0.25, 0.25)
    src = np.array([[mx, my], [mx + pw, my], [mx + pw, my + ph], [mx, my + ph]], np.float32)
    dst = src - c
    dst[:, 0] *= 1 - abs(yaw) * 0.5
    # foreshortening: one side taller than the other
    dst[:, 1] *= 1 + yaw * np.sign(dst[:, 0]) * 0.25
    dst[:, 0] *= 1 + pitch * np.sign(dst[:, 1]) * 0.25
    rot = np.array([[math.cos(roll), -math.sin(roll)], [math.sin(roll), math.cos(roll)]], np.float32)
    dst = dst @ rot.T + c
    Hm = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    scene = cv2.warpPerspective(scene, Hm, (sw, sh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    box = cv2.perspectiveTransform(box[None], Hm)[0]

    # Lighting at the plate (day, dusk, night, IR), before the sensor.
    if rng.random() < 0.25:  # shadow or glare gradient across the plate
        ang = rng.uniform(0, math.pi)
        yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
        t = ((xx - sw / 2) * math.cos(ang) + (yy - sh / 2) * math.sin(ang)) / max(sw, sh)
        scene *= (1 + np.clip(t * rng.uniform(-3, 3), -0.6, 0.8))[:, :, None]
    ir = rng.random() < 0.15
    if ir:
        grey = scene.mean(axis=2, keepdims=True)
        # Retro-reflective plates glow under IR: background up, ink stays dark.
        gain = rng.uniform(1.0, 2.0)
        scene = np.repeat(np.clip(grey * gain + rng.uniform(-30, 20), 0, 255), 3, axis=2)
    else:
        scene = scene * rng.uniform(0.4, 1.3) + rng.uniform(-40, 30)
        scene = scene * np.array([rng.uniform(0.85, 1.15) for _ in range(3)], np.float32)

    # Sensor resolution: characters 10-40 px high (log-uniform: most plates are small).
    tall = (np.linalg.norm(box[3] - box[0]) + np.linalg.norm(box[2] - box[1])) / 2
    if whole:
        ty0, ty1 = lines[0][1][1], lines[0][1][3]
        cap_now = tall * (ty1 - ty0) / (ph + m[1] + m[3])
    else:
        cap_now = tall * (by1 - by0) / max(1.0, (by1 - by0) + m[1] + m[3])
    f = min(1.0, target / max(1.0, cap_now))
    small = cv2.resize(np.clip(scene, 0, 255), (max(8, int(sw * f)), max(8, int(sh * f))), interpolation=cv2.INTER_AREA)
    box *= (small.shape[1] / sw, small.shape[0] / sh)
    # Optics and motion: blur at the sensor.
    if poor and rng.random() < 0.5:  # the camera's own scaler: down and up again
        h0, w0 = small.shape[:2]
        q = rng.uniform(0.6, 0.85)
        small = cv2.resize(cv2.resize(small, (max(4, int(w0 * q)), max(4, int(h0 * q))), interpolation=cv2.INTER_AREA), (w0, h0), interpolation=cv2.INTER_LINEAR)
    r = rng.random() * (0.7 if poor else 1.0)
    if r < 0.35:
        small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.3, min(1.2, 0.06 * target)))
    elif r < 0.5:
        n = rng.randint(2, max(2, min(5, int(target / 5))))
        kern = np.zeros((n, n), np.float32)
        kern[n // 2, :] = 1
        kern = cv2.warpAffine(kern, cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1), (n, n))
        small = cv2.filter2D(small, -1, kern / max(1e-6, kern.sum()))
    small = small + np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(0, 10 if not ir else 16), small.shape).astype(np.float32)
    small = np.clip(small, 0, 255).astype(np.uint8)
    for _ in range(2 if poor else 1):  # poor: the camera's encoding, then the archive's
        if rng.random() < 0.75:
            ok, enc = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(20 if target > 16 else 40, 92)])
            small = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)
    if small.ndim == 2:
        small = small[:, :, None].repeat(3, axis=2)
    if rng.random() < 0.05 and ir:
        small[:] = np.clip(small.astype(np.float32) * 1.6, 0, 255).astype(np.uint8)  # blown out

    # The reader's crop: the minimum-area oriented box of the line (as the detector gives it),
    # with a little angle jitter, resampled to the model's input.
    (cx, cy) = box.mean(axis=0)
    top, bottom = box[1] - box[0], box[2] - box[3]
    ang = math.atan2(top[1] + bottom[1], top[0] + bottom[0]) + math.radians(rng.gauss(0, 1.2))
    bw = (np.linalg.norm(top) + np.linalg.norm(bottom)) / 2
    bh = (np.linalg.norm(box[3] - box[0]) + np.linalg.norm(box[2] - box[1])) / 2
    cx += rng.gauss(0, 0.03) * bh
    cy += rng.gauss(0, 0.05) * bh
    ca, sa = math.cos(ang), math.sin(ang)
    # out (u, v) -> image (x, y): x = cx + (u/out_w - .5) bw ca - (v/out_h - .5) bh sa ...
    A = np.array([[bw / out_w * ca, -bh / out_h * sa, 0], [bw / out_w * sa, bh / out_h * ca, 0]], np.float32)
    A[0, 2] = cx - (bw / 2) * ca + (bh / 2) * sa + 0.5 * (A[0, 0] + A[0, 1]) - 0.5
    A[1, 2] = cy - (bw / 2) * sa - (bh / 2) * ca + 0.5 * (A[1, 0] + A[1, 1]) - 0.5
    crop = cv2.warpAffine(small, A, (out_w, out_h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.06:  # partial occlusion (a tow bar, a leaf, another car's edge)
        x = rng.randint(0, out_w - 8)
        w = rng.randint(4, out_w // 6)
        crop[:, x: x + w] = (crop[:, x: x + w].astype(np.float32) * rng.uniform(0.0, 0.5) + rng.randint(0, 120)).astype(np.uint8)
    return crop, text, COUNTRIES.index(country) if country else -100


def contact_sheet(n: int, seed: int, path: str):
    rng = random.Random(seed)
    g = Glyphs()
    tiles = []
    for _ in range(n):
        img, text, c = sample(rng, g)
        tile = np.full((IN_H + 14, IN_W, 3), 255, np.uint8)
        tile[:IN_H] = img
        cv2.putText(tile, f"{text} {COUNTRIES[c] if c >= 0 else '-'}", (2, IN_H + 11), cv2.FONT_HERSHEY_PLAIN, 0.8, (0, 0, 0), 1)
        tiles.append(tile)
    cols = 6
    rows = [np.concatenate(tiles[i: i + cols] + [np.full_like(tiles[0], 255)] * (cols - len(tiles[i: i + cols])), axis=1) for i in range(0, n, cols)]
    Image.fromarray(np.concatenate(rows, axis=0)).resize((cols * IN_W * 2, len(rows) * (IN_H + 14) * 2), Image.NEAREST).save(path)


if __name__ == "__main__":
    import sys
    import time
    contact_sheet(int(sys.argv[1]) if len(sys.argv) > 1 else 48, 1, sys.argv[2] if len(sys.argv) > 2 else "/tmp/plates-sheet.png")
    g = Glyphs()
    rng = random.Random(2)
    for _ in range(50):
        sample(rng, g)
    t = time.time()
    for _ in range(300):
        sample(rng, g)
    print(f"{300 / (time.time() - t):.0f} crops/s on one core")
