"""Procedural poster-background data set for the bundled default model.

Every sample is drawn with numpy from a seed (fully deterministic) at 64x64 pixels,
the default model's native training size (the engine upsamples the decoded image).

A sample = a background (solid, linear gradient, radial gradient, paper texture) in one
named colour plus, usually, one motif (dots, bokeh, stripes, waves, circles, triangles,
skyline, mountains, lanterns, frame) in a second named colour, with a caption in
Chinese ("红色渐变背景，金色圆点") or English ("red gradient background with gold dots"),
the language picked at random per sample.

Usage (preview):  /usr/bin/python3 native-models/train/dataset.py --preview out.png --count 64
"""

from __future__ import annotations

import argparse
import math

import numpy as np

SIZE = 64

# name -> (english, chinese, base RGB)
COLOURS: dict[str, tuple[str, str, tuple[int, int, int]]] = {
    "red": ("red", "红", (200, 28, 32)),
    "blue": ("blue", "蓝", (28, 70, 200)),
    "gold": ("gold", "金", (214, 170, 52)),
    "green": ("green", "绿", (30, 150, 64)),
    "black": ("black", "黑", (14, 14, 16)),
    "white": ("white", "白", (242, 240, 236)),
    "purple": ("purple", "紫", (120, 48, 168)),
    "orange": ("orange", "橙", (240, 128, 24)),
    "pink": ("pink", "粉", (240, 146, 182)),
}
COLOUR_NAMES = list(COLOURS)

# background kind -> (english words before "background", chinese)
BACKGROUNDS: dict[str, tuple[str, str]] = {
    "solid": ("plain", "纯"),
    "gradient": ("gradient", "渐变"),
    "radial": ("radial gradient", "径向渐变"),
    "paper": ("paper texture", "纸纹"),
}

# motif -> (english, chinese)
MOTIFS: dict[str, tuple[str, str]] = {
    "dots": ("dots", "圆点"),
    "bokeh": ("bokeh", "光斑"),
    "stripes": ("stripes", "条纹"),
    "waves": ("waves", "波浪"),
    "circles": ("circles", "圆形"),
    "triangles": ("triangles", "三角形"),
    "skyline": ("city skyline", "城市剪影"),
    "mountains": ("mountains", "山峦"),
    "lanterns": ("lanterns", "灯笼"),
    "frame": ("frame", "边框"),
}


def caption(bg_colour: str, bg_kind: str, motif: str | None, motif_colour: str | None, lang: str, short: int = 0) -> str:
    """short=1: colour word only ("red" / "红色"); short=2: "red background" / "红色背景"."""
    if short:
        if lang == "zh":
            return f"{COLOURS[bg_colour][1]}色" + ("背景" if short == 2 else "")
        return COLOURS[bg_colour][0] + (" background" if short == 2 else "")
    if lang == "zh":
        text = f"{COLOURS[bg_colour][1]}色{BACKGROUNDS[bg_kind][1]}背景"
        if motif is not None and motif_colour is not None:
            text += f"，{COLOURS[motif_colour][1]}色{MOTIFS[motif][1]}"
        return text
    text = f"{COLOURS[bg_colour][0]} {BACKGROUNDS[bg_kind][0]} background"
    if motif is not None and motif_colour is not None:
        text += f" with {COLOURS[motif_colour][0]} {MOTIFS[motif][0]}"
    return text


def all_caption_words() -> tuple[list[str], list[str]]:
    """English words and Chinese characters that occur in captions (for the tokenizer)."""
    en: set[str] = {"background", "with"}
    zh: set[str] = set("色背景，")
    for e, z, _ in COLOURS.values():
        en.add(e)
        zh.update(z)
    for e, z in list(BACKGROUNDS.values()) + list(MOTIFS.values()):
        en.update(e.split())
        zh.update(z)
    return sorted(en), sorted(zh)


# ---------------------------------------------------------------- drawing helpers

_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / (SIZE - 1)


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator, amount: float) -> np.ndarray:
    c = np.array(rgb, dtype=np.float32) / 255.0
    c = c * (1.0 + rng.uniform(-amount, amount)) + rng.uniform(-amount, amount, size=3) * 0.5
    return np.clip(c, 0.0, 1.0)


def _shade(c: np.ndarray, f: float) -> np.ndarray:
    """f > 0 lightens towards white, f < 0 darkens towards black."""
    return np.clip(c + (1.0 - c) * f if f > 0 else c * (1.0 + f), 0.0, 1.0)


def _blend(img: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> None:
    m = np.clip(mask, 0.0, 1.0)[..., None]
    img *= 1.0 - m
    img += m * colour


def _shade_amount(c: np.ndarray, rng: np.random.Generator) -> float:
    lum = float(c @ np.array([0.3, 0.59, 0.11], dtype=np.float32))
    mag = rng.uniform(0.25, 0.5)
    return -mag if lum > 0.6 else (mag if lum < 0.15 else rng.choice([-1.0, 1.0]) * mag)


def draw_background(kind: str, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = np.empty((SIZE, SIZE, 3), dtype=np.float32)
    img[:] = c
    if kind == "gradient":
        ang = rng.uniform(0, 2 * math.pi)
        t = (_XX - 0.5) * math.cos(ang) + (_YY - 0.5) * math.sin(ang)
        t = (t - t.min()) / (t.max() - t.min() + 1e-6)
        other = _shade(c, _shade_amount(c, rng))
        img = c[None, None] * (1 - t[..., None]) + other[None, None] * t[..., None]
    elif kind == "radial":
        cx, cy = rng.uniform(0.25, 0.75, size=2)
        r = np.sqrt((_XX - cx) ** 2 + (_YY - cy) ** 2)
        t = np.clip(r / rng.uniform(0.5, 0.9), 0, 1)[..., None]
        inner = _shade(c, abs(_shade_amount(c, rng)) * (1 if c.mean() < 0.85 else 0.1))
        outer = _shade(c, -rng.uniform(0.2, 0.5))
        img = inner[None, None] * (1 - t) + (c[None, None] * 0.4 + outer[None, None] * 0.6) * t
    elif kind == "paper":
        noise = rng.normal(0, 1, size=(SIZE // 4, SIZE // 4)).astype(np.float32)
        noise = np.kron(noise, np.ones((4, 4), dtype=np.float32))
        fine = rng.normal(0, 1, size=(SIZE, SIZE)).astype(np.float32)
        fibre = np.sin(_YY * rng.uniform(30, 60) + fine * 0.3) * 0.5
        tex = 0.05 * noise + 0.03 * fine + 0.03 * fibre
        img = np.clip(c[None, None] + tex[..., None], 0, 1)
    return img.astype(np.float32)


def draw_motif(img: np.ndarray, motif: str, c: np.ndarray, rng: np.random.Generator) -> None:
    if motif == "dots":
        step = rng.uniform(0.12, 0.22)
        rad = step * rng.uniform(0.18, 0.32)
        ox, oy = rng.uniform(0, step, size=2)
        gx = ((_XX + ox) % step) - step / 2
        gy = ((_YY + oy) % step) - step / 2
        d = np.sqrt(gx**2 + gy**2)
        _blend(img, (rad - d) * SIZE + 0.5, c)
    elif motif == "bokeh":
        for _ in range(rng.integers(6, 14)):
            cx, cy = rng.uniform(0, 1, size=2)
            r = rng.uniform(0.04, 0.14)
            d = np.sqrt((_XX - cx) ** 2 + (_YY - cy) ** 2)
            soft = np.clip(1 - d / r, 0, 1) ** 0.6
            _blend(img, soft * rng.uniform(0.45, 0.85), c)
    elif motif == "stripes":
        ang = rng.choice([0.0, math.pi / 2, math.pi / 4, -math.pi / 4]) + rng.uniform(-0.1, 0.1)
        period = rng.uniform(0.12, 0.25)
        u = _XX * math.cos(ang) + _YY * math.sin(ang)
        s = np.sin(2 * math.pi * u / period)
        _blend(img, (s - rng.uniform(-0.2, 0.3)) * 6.0, c)
    elif motif == "waves":
        for _ in range(rng.integers(2, 5)):
            y0 = rng.uniform(0.2, 0.9)
            amp = rng.uniform(0.03, 0.08)
            freq = rng.uniform(1.0, 3.0)
            ph = rng.uniform(0, 2 * math.pi)
            th = rng.uniform(0.02, 0.05)
            y = y0 + amp * np.sin(2 * math.pi * freq * _XX + ph)
            _blend(img, (th - np.abs(_YY - y)) * SIZE + 0.5, c)
    elif motif == "circles":
        for _ in range(rng.integers(1, 4)):
            cx, cy = rng.uniform(0.2, 0.8, size=2)
            r = rng.uniform(0.1, 0.3)
            d = np.sqrt((_XX - cx) ** 2 + (_YY - cy) ** 2)
            if rng.uniform() < 0.5:
                _blend(img, (r - d) * SIZE + 0.5, c)
            else:
                _blend(img, (0.03 - np.abs(d - r)) * SIZE + 0.5, c)
    elif motif == "triangles":
        for _ in range(rng.integers(1, 4)):
            cx, cy = rng.uniform(0.2, 0.8, size=2)
            r = rng.uniform(0.12, 0.3)
            rot = rng.uniform(0, 2 * math.pi)
            m = np.ones_like(_XX)
            for k in range(3):
                a = rot + k * 2 * math.pi / 3
                nx, ny = math.cos(a), math.sin(a)
                dist = (_XX - cx) * nx + (_YY - cy) * ny
                m = np.minimum(m, (r * 0.5 - dist) * SIZE + 0.5)
            _blend(img, m, c)
    elif motif == "skyline":
        x = 0
        base = rng.uniform(0.6, 0.8)
        mask = np.zeros_like(_XX)
        while x < SIZE:
            w = int(rng.integers(4, 10))
            h = rng.uniform(0.15, 0.5)
            mask[int((base - h) * SIZE) :, x : x + w] = 1.0
            x += w + int(rng.integers(0, 2))
        mask[int(base * SIZE) :, :] = 1.0
        _blend(img, mask, c)
    elif motif == "mountains":
        for layer in range(rng.integers(1, 3)):
            base = rng.uniform(0.45, 0.7) + layer * 0.1
            h = np.full(SIZE, base, dtype=np.float32)
            for _ in range(3):
                f = rng.uniform(1, 4)
                h += rng.uniform(0.03, 0.1) * np.sin(2 * math.pi * f * _XX[0] + rng.uniform(0, 6.3))
            col = c if layer > 0 else _shade(c, 0.25 if c.mean() < 0.7 else -0.2)
            _blend(img, (_YY - h[None, :]) * SIZE + 0.5, col)
    elif motif == "lanterns":
        for _ in range(rng.integers(1, 4)):
            cx = rng.uniform(0.15, 0.85)
            cy = rng.uniform(0.3, 0.7)
            rx, ry = rng.uniform(0.07, 0.12), rng.uniform(0.09, 0.14)
            d = np.sqrt(((_XX - cx) / rx) ** 2 + ((_YY - cy) / ry) ** 2)
            _blend(img, (1 - d) * 8 + 0.5, c)
            string = (0.008 - np.abs(_XX - cx)) * SIZE + 0.5
            _blend(img, string * (_YY < cy - ry), _shade(c, -0.5))
            cap = ((rx * 0.5 - np.abs(_XX - cx)) * SIZE + 0.5) * (np.abs(_YY - (cy - ry)) < 0.025)
            _blend(img, cap, _shade(c, -0.35))
            _blend(img, cap * (np.abs(_YY - (cy + ry)) < 0.025).astype(np.float32) * 0, c)
    elif motif == "frame":
        m = rng.uniform(0.04, 0.1)
        th = rng.uniform(0.02, 0.04)
        d = np.minimum(np.minimum(_XX, 1 - _XX), np.minimum(_YY, 1 - _YY))
        _blend(img, (th - np.abs(d - m)) * SIZE + 0.5, c)
        if rng.uniform() < 0.5:
            _blend(img, (th * 0.5 - np.abs(d - m - 2.5 * th)) * SIZE + 0.5, c)


def make_sample(rng: np.random.Generator, motif_prob: float = 0.85, zh_prob: float = 0.5, short_prob: float = 0.15) -> tuple[np.ndarray, str, str, dict]:
    """Returns (HxWx3 float32 image in [0,1], english caption, chinese caption, metadata)."""
    bg_colour = COLOUR_NAMES[int(rng.integers(len(COLOUR_NAMES)))]
    bg_kind = list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))]
    img = draw_background(bg_kind, _jitter(COLOURS[bg_colour][2], rng, 0.08), rng)
    motif = motif_colour = None
    if rng.uniform() < motif_prob:
        motif = list(MOTIFS)[int(rng.integers(len(MOTIFS)))]
        choices = [c for c in COLOUR_NAMES if c != bg_colour]
        motif_colour = choices[int(rng.integers(len(choices)))]
        draw_motif(img, motif, _jitter(COLOURS[motif_colour][2], rng, 0.06), rng)
    img = np.clip(img, 0.0, 1.0)
    short = int(rng.integers(1, 3)) if rng.uniform() < short_prob else 0
    en = caption(bg_colour, bg_kind, motif, motif_colour, "en", short)
    zh = caption(bg_colour, bg_kind, motif, motif_colour, "zh", short)
    meta = {"bg_colour": bg_colour, "bg_kind": bg_kind, "motif": motif, "motif_colour": motif_colour,
            "lang": "zh" if rng.uniform() < zh_prob else "en"}
    return img, en, zh, meta


def make_dataset(n: int, seed: int = 0, motif_prob: float = 0.85, zh_prob: float = 0.5, short_prob: float = 0.15) -> tuple[np.ndarray, list[str], list[dict]]:
    """n images (N,3,H,W float32 in [-1,1]) and captions (language chosen per sample)."""
    rng = np.random.default_rng(seed)
    imgs = np.empty((n, 3, SIZE, SIZE), dtype=np.float32)
    caps: list[str] = []
    metas: list[dict] = []
    for i in range(n):
        img, en, zh, meta = make_sample(rng, motif_prob, zh_prob, short_prob)
        imgs[i] = img.transpose(2, 0, 1) * 2.0 - 1.0
        caps.append(zh if meta["lang"] == "zh" else en)
        meta["en"], meta["zh"] = en, zh
        metas.append(meta)
    return imgs, caps, metas


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--motif-prob", type=float, default=0.85)
    ap.add_argument("--short-prob", type=float, default=0.15, help="share of colour-only captions")
    ap.add_argument("--preview", default="", help="write a contact sheet PNG (needs PIL)")
    args = ap.parse_args()
    imgs, caps, _ = make_dataset(args.count, args.seed, args.motif_prob, short_prob=args.short_prob)
    for c in caps[:16]:
        print(c)
    if args.preview:
        from PIL import Image

        cols = 8
        rows = (args.count + cols - 1) // cols
        sheet = np.zeros((rows * SIZE, cols * SIZE, 3), dtype=np.uint8)
        for i in range(args.count):
            r, c = divmod(i, cols)
            sheet[r * SIZE : (r + 1) * SIZE, c * SIZE : (c + 1) * SIZE] = ((imgs[i].transpose(1, 2, 0) + 1) * 127.5).clip(0, 255).astype(np.uint8)
        Image.fromarray(sheet).save(args.preview)


if __name__ == "__main__":
    main()
