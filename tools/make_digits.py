#!/usr/bin/python3
"""Digit images the way a person makes them, for testing nn's image path end to end.

Each image is one digit, written in ink on paper (or drawn on a screen) and photographed or
scanned: a handwriting font or a hand-drawn stroke path, slanted, rotated and warped, in a dark
pen colour at a random size and place on an off-white sheet with uneven light, shadows, sensor
noise, blur and JPEG compression. The file name starts with the digit: 7_0042.jpg.

    make_digits.py OUT_DIR [--count 200] [--seed 1]
    make_digits.py OUT_DIR --from-mnist IDX_IMAGES IDX_LABELS [--count 200]   (MNIST test digits,
        photographed the same way: the ground truth for "read about as well as MNIST itself")

Needs Python 3 with Pillow and NumPy (Debian: python3-pil python3-numpy) and Debian's
handwriting fonts (fonts-dkg-handwriting fonts-breip fonts-bwht fonts-dancingscript
fonts-femkeklaver fonts-humor-sans fonts-klee fonts-kristi fonts-comic-neue fonts-kaushanscript);
fonts that are missing are skipped.
"""
import argparse
import glob
import gzip
import math
import os
import random
import struct

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ["fifthhorseman", "breip", "bwht", "dancingscript", "femkeklaver", "humor-sans", "klee", "kristi",
             "comic-neue", "kaushanscript"]
OUTLINE_FONTS = {"breipfont.ttf"}  # hollow letters: nobody writes digits like that

# Pen paths for each digit in a unit box (x right, y down), as a person draws them: lists of strokes.
def _arc(cx, cy, rx, ry, a0, a1, n=14):
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(a0, a1, n)]

STROKES = {
    0: [_arc(0.5, 0.5, 0.32, 0.45, -90, 270, 24)],
    1: [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)]],
    2: [_arc(0.5, 0.3, 0.3, 0.25, 200, 380) + [(0.2, 0.95), (0.85, 0.95)]],
    3: [_arc(0.5, 0.27, 0.28, 0.22, 210, 450) + _arc(0.5, 0.72, 0.32, 0.25, 270, 500)],
    4: [[(0.65, 0.95), (0.65, 0.05), (0.15, 0.65), (0.9, 0.65)]],
    5: [[(0.8, 0.05), (0.25, 0.05), (0.22, 0.45)] + _arc(0.5, 0.68, 0.33, 0.28, 230, 500)],
    6: [[(0.72, 0.06), (0.5, 0.15), (0.3, 0.38)] + _arc(0.5, 0.68, 0.27, 0.27, 200, 560, 24)],
    7: [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]],
    8: [_arc(0.5, 0.27, 0.25, 0.22, 90, 450, 18) + _arc(0.5, 0.72, 0.3, 0.25, -90, 270, 20)],
    9: [_arc(0.5, 0.3, 0.28, 0.25, 20, 380, 20) + [(0.78, 0.45), (0.72, 0.95)]],
}


def fonts():
    found = []
    for d in FONT_DIRS:
        found += glob.glob(f"/usr/share/fonts/*/{d}/*.ttf") + glob.glob(f"/usr/share/fonts/*/{d}/*.otf")
    return sorted(f for f in found if os.path.basename(f) not in OUTLINE_FONTS)


def ink_from_font(rng, digit, font_files):
    """A white-on-black mask of the digit in a handwriting font, cropped."""
    font = ImageFont.truetype(rng.choice(font_files), 200)
    img = Image.new("L", (400, 400), 0)
    ImageDraw.Draw(img).text((100, 60), str(digit), fill=255, font=font)
    return img.crop(img.getbbox()) if img.getbbox() else img


def ink_from_strokes(rng, digit):
    """The digit drawn along its pen path with a wobbling hand and a pen of some width."""
    size = 300
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    width = rng.randint(8, 26)
    jitter = rng.uniform(0.01, 0.04)
    for stroke in STROKES[digit]:
        pts = [((x + rng.gauss(0, jitter)) * 0.8 * size + 0.1 * size, (y + rng.gauss(0, jitter)) * 0.8 * size + 0.1 * size)
               for x, y in stroke]
        draw.line(pts, fill=255, width=width, joint="curve")
        for x, y in (pts[0], pts[-1]):
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    return img.crop(img.getbbox())


def warp(rng, mask):
    """Slant, rotation and a gentle wave: no two hands write alike."""
    w, h = mask.size
    pad = max(w, h)
    big = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
    big.paste(mask, (pad, pad))
    shear = rng.uniform(-0.35, 0.35)
    big = big.transform(big.size, Image.AFFINE, (1, shear, -shear * big.size[1] / 2, 0, 1, 0), resample=Image.BILINEAR)
    big = big.rotate(rng.uniform(-15, 15), resample=Image.BILINEAR)
    a = np.asarray(big, dtype=np.float32)
    amp, period = rng.uniform(0, 0.04) * h, rng.uniform(0.5, 1.5) * h
    ys = np.arange(a.shape[0])
    shifted = np.empty_like(a)
    for y in ys:
        shifted[y] = np.roll(a[y], int(amp * math.sin(2 * math.pi * y / period)))
    out = Image.fromarray(shifted.clip(0, 255).astype(np.uint8))
    return out.crop(out.getbbox()) if out.getbbox() else out


def pen(rng, mask):
    """Thicker or thinner pens."""
    k = rng.choice([0, 0, 0, 3, 5])
    if k:
        mask = mask.filter(ImageFilter.MaxFilter(k) if rng.random() < 0.6 else ImageFilter.MinFilter(k))
    return mask


def photograph(rng, mask, out_path):
    """The ink mask on a sheet of paper, lit unevenly, photographed and compressed."""
    if rng.random() < 0.12:  # drawn on a screen: black on white or on a transparent canvas, as PNG
        side = rng.randint(200, 600)
        scale = rng.uniform(0.4, 0.85) * side / max(mask.size)
        m = mask.resize((max(1, int(mask.size[0] * scale)), max(1, int(mask.size[1] * scale))), Image.LANCZOS)
        alpha = Image.new("L", (side, side), 0)
        alpha.paste(m, (rng.randint(0, side - m.size[0]), rng.randint(0, side - m.size[1])))
        if rng.random() < 0.5:
            img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
            img.putalpha(alpha)
        else:
            img = Image.merge("RGB", [Image.eval(alpha, lambda v: 255 - v)] * 3)
        img.save(out_path + ".png")
        return out_path + ".png"

    w, h = rng.randint(320, 1600), rng.randint(320, 1600)
    short = min(w, h)
    digit_h = rng.uniform(0.1, 0.7) * short
    scale = digit_h / mask.size[1]
    m = mask.resize((max(1, int(mask.size[0] * scale)), max(1, int(digit_h))), Image.LANCZOS)
    if m.size[0] > w * 0.9:
        m = m.resize((int(w * 0.9), max(1, int(m.size[1] * w * 0.9 / m.size[0]))), Image.LANCZOS)
    x, y = rng.randint(0, w - m.size[0]), rng.randint(0, h - m.size[1])
    ink = np.zeros((h, w), dtype=np.float32)
    ink[y:y + m.size[1], x:x + m.size[0]] = np.asarray(m, dtype=np.float32) / 255.0
    ink *= rng.uniform(0.75, 1.0)  # pressure

    paper = np.array([rng.uniform(225, 252), rng.uniform(220, 250), rng.uniform(205, 245)], dtype=np.float32)
    colour = rng.choice([(20, 25, 30), (25, 35, 110), (40, 40, 45), (70, 70, 75), (15, 40, 90)])
    img = paper[None, None, :] * (1 - ink[..., None]) + np.array(colour, np.float32)[None, None, :] * ink[..., None]
    if rng.random() < 0.25:  # ruled paper
        gap = rng.randint(25, 60)
        for yy in range(rng.randint(0, gap), h, gap):
            img[yy:yy + 2] = img[yy:yy + 2] * 0.85 + np.array([120, 160, 230], np.float32) * 0.15
    # Uneven light: a gradient, a vignette, sometimes a soft shadow.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    grad = (xx * math.cos(ang) + yy * math.sin(ang)) / max(w, h)
    light = 1.0 - rng.uniform(0.0, 0.35) * (grad - grad.min()) / (grad.max() - grad.min() + 1e-6)
    light *= 1.0 - rng.uniform(0, 0.25) * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 2
    if rng.random() < 0.3:
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.2, 0.6) * max(w, h)
        light *= 1.0 - 0.3 * np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (r * r)))
    img *= light[..., None]
    img += np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(1, 8), img.shape).astype(np.float32)
    photo = Image.fromarray(img.clip(0, 255).astype(np.uint8), "RGB")
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * max(1.0, digit_h / 150)))
    if rng.random() < 0.15:
        photo = photo.convert("L")  # a gray scan
    photo.save(out_path + ".jpg", quality=rng.randint(55, 95))
    return out_path + ".jpg"


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--from-mnist", nargs=2, metavar=("IMAGES", "LABELS"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    if a.from_mnist:
        images, labels = read_idx(a.from_mnist[0]), read_idx(a.from_mnist[1])
        for i in range(a.count):
            mask = Image.fromarray(images[i]).resize((112, 112), Image.BICUBIC)
            photograph(rng, mask.crop(mask.getbbox()), os.path.join(a.out, f"{labels[i]}_{i:04d}"))
        return
    font_files = fonts()
    for i in range(a.count):
        digit = i % 10
        use_font = font_files and rng.random() < 0.65
        mask = ink_from_font(rng, digit, font_files) if use_font else ink_from_strokes(rng, digit)
        photograph(rng, pen(rng, warp(rng, mask)), os.path.join(a.out, f"{digit}_{i:04d}"))


if __name__ == "__main__":
    main()
