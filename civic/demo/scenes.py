"""Drawn photos for the demo's clean-up reports: a Philadelphia block "before" (litter, dumped bags and
tyres, graffiti, weeds) and the same block "after" (swept, bags stacked for collection, wall repainted,
flowers in the tree pit), as real JPEG files made with Pillow. They are uploaded like any photo
(civic.media decodes, re-encodes and thumbnails them), so the demo shows what residents' photos look like."""

from __future__ import annotations

import random
from io import BytesIO

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 960, 640
HORIZON = 330  # the foot of the facades
KERB = 430  # where the pavement meets the street

BRICKS = [(150, 62, 48), (128, 70, 56), (170, 96, 70), (112, 58, 50)]
TRIM = [(236, 230, 216), (210, 214, 220), (60, 70, 62)]
LITTER = [(230, 230, 230), (210, 40, 40), (240, 200, 40), (40, 120, 200), (250, 250, 250), (120, 180, 60)]
SPRAY = [(30, 200, 220), (240, 60, 170), (250, 230, 40), (40, 40, 40)]


def _street(draw: ImageDraw.ImageDraw, rng: random.Random) -> tuple[int, int, int]:
    """Sky, a row of brick houses, the pavement, the kerb and the street; returns the wall colour."""
    for y in range(HORIZON):  # a pale sky, lighter towards the roofs
        shade = 170 + int(60 * y / HORIZON)
        draw.line([(0, y), (WIDTH, y)], fill=(shade - 40, shade - 10, 245))
    wall = rng.choice(BRICKS)
    trim = rng.choice(TRIM)
    house_width = WIDTH // 3
    for n in range(3):
        left = n * house_width
        colour = tuple(max(0, min(255, c + rng.randint(-14, 14))) for c in wall)
        draw.rectangle([left, 70, left + house_width, HORIZON], fill=colour)
        draw.rectangle([left, 62, left + house_width, 74], fill=trim)  # cornice
        for row in (100, 200):
            for col in (30, 130, 230):
                x = left + col
                draw.rectangle([x, row, x + 60, row + 80], fill=trim)
                draw.rectangle([x + 6, row + 6, x + 54, row + 74], fill=(70, 90, 110))
        draw.rectangle([left + 250, 245, left + 300, HORIZON], fill=(60, 40, 30))  # door
        draw.rectangle([left + 240, HORIZON - 6, left + 310, HORIZON], fill=(190, 190, 185))  # step
    draw.rectangle([0, HORIZON, WIDTH, KERB], fill=(188, 184, 176))  # pavement
    for x in range(0, WIDTH, 80):
        draw.line([(x, HORIZON), (x - 30, KERB)], fill=(160, 156, 150), width=2)
    draw.rectangle([0, KERB, WIDTH, KERB + 12], fill=(150, 150, 146))  # kerb
    draw.rectangle([0, KERB + 12, WIDTH, HEIGHT], fill=(70, 72, 76))  # asphalt
    for x in range(40, WIDTH, 180):
        draw.rectangle([x, 560, x + 90, 570], fill=(230, 210, 90))  # centre line
    draw.rectangle([680, 392, 800, 428], fill=(96, 70, 46))  # tree pit
    draw.rectangle([734, 250, 746, 400], fill=(90, 60, 40))  # the young tree's trunk
    draw.ellipse([670, 160, 810, 280], fill=(70, 130, 60))
    return wall


def _bag(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, colour=(25, 25, 28)) -> None:
    draw.ellipse([x, y, x + size, y + size], fill=colour)
    draw.polygon([(x + size // 2 - 8, y + 4), (x + size // 2 + 8, y + 4), (x + size // 2, y - 12)], fill=colour)


def before(seed: int = 0) -> bytes:
    """The block before the clean-up, as JPEG bytes."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    _street(draw, rng)
    for _ in range(5):  # tags sprayed across the walls
        colour = rng.choice(SPRAY)
        x, y = rng.randint(20, WIDTH - 200), rng.randint(190, 290)
        points = [(x + i * 18, y + rng.randint(-22, 22)) for i in range(10)]
        draw.line(points, fill=colour, width=7, joint="curve")
    draw.polygon([(60, 300), (250, 290), (260, 330), (50, 338)], fill=(214, 200, 170))  # a dumped mattress
    draw.line([(70, 310), (245, 302)], fill=(180, 160, 130), width=3)
    for n in range(6):  # a heap of torn bags
        _bag(draw, 280 + n * 34 + rng.randint(-6, 6), 300 + rng.randint(-16, 20), 48)
    for n in range(3):  # tyres
        x = 470 + n * 58
        draw.ellipse([x, 352, x + 64, 416], fill=(20, 20, 20))
        draw.ellipse([x + 18, 370, x + 46, 398], fill=(120, 120, 120))
    for _ in range(140):  # litter over the pavement and the gutter
        x, y = rng.randint(0, WIDTH), rng.randint(HORIZON + 10, KERB + 40)
        w, h = rng.randint(6, 22), rng.randint(4, 12)
        draw.rectangle([x, y, x + w, y + h], fill=rng.choice(LITTER))
    for _ in range(30):  # weeds in the tree pit
        x = rng.randint(682, 796)
        draw.line([(x, 426), (x + rng.randint(-10, 10), 392 - rng.randint(0, 30))], fill=(90, 150, 50), width=3)
    return _jpeg(image)


def after(seed: int = 0) -> bytes:
    """The same block after the clean-up (the same `seed` draws the same houses), as JPEG bytes."""
    rng = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    wall = _street(draw, rng)
    patch = tuple(min(255, c + 18) for c in wall)
    draw.rectangle([20, 180, WIDTH - 20, 196], fill=patch)  # the repainted band where the tags were
    for n in range(7):  # tied bags waiting at the kerb for collection
        _bag(draw, 90 + n * 44, 384, 40, colour=(30, 60, 40))
    for n in range(3):  # the tyres, stacked for the city's pick-up
        draw.ellipse([560, 396 - n * 16, 624, 420 - n * 16], fill=(25, 25, 25))
    for _ in range(26):  # flowers in the tree pit
        x, y = rng.randint(686, 792), rng.randint(394, 420)
        draw.line([(x, 426), (x, y)], fill=(60, 130, 50), width=2)
        draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=rng.choice([(240, 200, 40), (230, 90, 140), (250, 250, 250)]))
    return _jpeg(image)


def _jpeg(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
