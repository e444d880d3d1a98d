"""Pictures for the demo outlet, drawn with Pillow so nothing is fetched or copied.

Every picture comes from a seed, so building the demo twice gives the same images. They
are deliberately caption-free landscapes and shapes: hills, a river, a town skyline.
"""

import io
import math
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

HERO_SIZE = (1600, 900)
AVATAR_SIZE = (400, 400)
LOGO_SIZE = (720, 160)


@dataclass(frozen=True)
class Palette:
    """The colours of one picture: a sky gradient, a bright accent and a dark ground."""

    sky_top: tuple
    sky_bottom: tuple
    accent: tuple
    ground: tuple
    water: tuple


PALETTES = [
    Palette((33, 64, 112), (242, 170, 120), (255, 214, 140), (38, 52, 60), (120, 160, 200)),
    Palette((20, 90, 110), (180, 225, 215), (250, 240, 200), (30, 70, 55), (90, 170, 180)),
    Palette((70, 40, 100), (240, 140, 130), (255, 200, 160), (50, 30, 60), (170, 120, 170)),
    Palette((110, 160, 200), (235, 240, 245), (255, 250, 230), (60, 90, 80), (150, 190, 215)),
    Palette((25, 30, 60), (90, 110, 170), (240, 230, 190), (15, 20, 35), (70, 90, 150)),
    Palette((200, 110, 60), (250, 215, 150), (255, 245, 210), (90, 60, 40), (210, 160, 110)),
    Palette((60, 110, 80), (210, 230, 170), (250, 250, 215), (35, 65, 45), (130, 180, 150)),
    Palette((140, 60, 70), (240, 200, 170), (255, 235, 200), (70, 35, 45), (200, 140, 140)),
]

MOTIFS = ("river", "skyline", "hills", "shapes")


def _seeded(seed):
    # Pictures only need to look varied and be repeatable; this is not security.
    return random.Random(seed)  # noqa: S311


def _blend(first, second, amount):
    return tuple(round(a + (b - a) * amount) for a, b in zip(first, second, strict=True))


def _vertical_gradient(size, top, bottom):
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _ridge(rng, width, base_y, amplitude, waves=3):
    """The outline of a range of hills: a sum of a few sine waves with random phases."""
    phases = [rng.uniform(0, math.tau) for _ in range(waves)]
    lengths = [rng.uniform(0.6, 2.5) for _ in range(waves)]
    points = []
    for x in range(0, width + 40, 40):
        offset = sum(
            math.sin(x / width * math.tau * length + phase) / (index + 1)
            for index, (length, phase) in enumerate(zip(lengths, phases, strict=True))
        )
        points.append((x, base_y - offset * amplitude))
    return points


def _draw_hills(draw, rng, palette, width, height, layers=3, horizon=0.55):
    for layer in range(layers):
        amount = (layer + 1) / (layers + 1)
        colour = _blend(palette.sky_bottom, palette.ground, 0.35 + amount * 0.65)
        base_y = height * (horizon + layer * 0.09)
        outline = _ridge(rng, width, base_y, height * (0.08 - layer * 0.015))
        draw.polygon([*outline, (width, height), (0, height)], fill=colour)


def _draw_sun(draw, rng, palette, width, height):
    radius = rng.randint(height // 12, height // 7)
    x = rng.randint(width // 6, width * 5 // 6)
    y = rng.randint(height // 6, height // 3)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=palette.accent)


def _draw_river(draw, rng, palette, width, height):
    top = height * 0.72
    phase = rng.uniform(0, math.tau)
    upper = [(x, top + math.sin(x / width * 5 + phase) * 18) for x in range(0, width + 40, 40)]
    lower = [(x, y + height * 0.12) for x, y in reversed(upper)]
    draw.polygon([*upper, *lower], fill=palette.water)
    shimmer = _blend(palette.water, (255, 255, 255), 0.45)
    for _ in range(40):
        x = rng.randint(0, width)
        y = rng.uniform(top + 20, top + height * 0.12)
        draw.line((x, y, x + rng.randint(30, 120), y), fill=shimmer, width=3)


def _draw_skyline(draw, rng, palette, width, height):
    ground_y = height * 0.78
    x = 0
    window = _blend(palette.accent, palette.ground, 0.2)
    building = _blend(palette.ground, palette.sky_top, 0.15)
    while x < width:
        building_width = rng.randint(60, 170)
        building_height = rng.randint(int(height * 0.12), int(height * 0.42))
        top = ground_y - building_height
        draw.rectangle((x, top, x + building_width, height), fill=building)
        if rng.random() < 0.3:
            # A pitched roof or a spire now and then, so it reads as a town, not a chart.
            peak = top - rng.randint(30, 90)
            draw.polygon(
                [(x, top), (x + building_width / 2, peak), (x + building_width, top)],
                fill=building,
            )
        for window_y in range(int(top) + 20, int(ground_y) - 20, 34):
            for window_x in range(x + 14, x + building_width - 20, 28):
                if rng.random() < 0.45:
                    draw.rectangle((window_x, window_y, window_x + 10, window_y + 16), fill=window)
        x += building_width + rng.randint(0, 14)
    draw.rectangle((0, ground_y, width, height), fill=palette.ground)


def _draw_shapes(image, rng, palette, width, height):
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    colours = [palette.accent, palette.water, palette.sky_top, palette.ground, palette.sky_bottom]
    for _ in range(14):
        radius = rng.randint(height // 10, height // 3)
        x = rng.randint(-radius, width + radius)
        y = rng.randint(-radius, height + radius)
        colour = (*rng.choice(colours), rng.randint(70, 150))
        if rng.random() < 0.6:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
        else:
            draw.rectangle((x - radius, y - radius // 2, x + radius, y + radius // 2), fill=colour)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")


def hero_picture(seed, palette_index=None, motif=None, size=HERO_SIZE):
    """A landscape picture (JPEG bytes) for an article's hero or an inline image."""
    rng = _seeded(seed)
    palette = PALETTES[
        palette_index % len(PALETTES) if palette_index is not None else rng.randrange(len(PALETTES))
    ]
    motif = motif or rng.choice(MOTIFS)
    width, height = size
    image = _vertical_gradient(size, palette.sky_top, palette.sky_bottom)
    draw = ImageDraw.Draw(image)
    if motif == "shapes":
        image = _draw_shapes(image, rng, palette, width, height)
    else:
        _draw_sun(draw, rng, palette, width, height)
        if motif == "skyline":
            _draw_hills(draw, rng, palette, width, height, layers=1, horizon=0.5)
            _draw_skyline(draw, rng, palette, width, height)
        else:
            _draw_hills(draw, rng, palette, width, height)
            if motif == "river":
                _draw_river(draw, rng, palette, width, height)
    return _encode(image, "JPEG")


def initials_avatar(name, seed):
    """A square portrait stand-in (JPEG bytes): the person's initials on a soft gradient."""
    rng = _seeded(seed)
    palette = PALETTES[rng.randrange(len(PALETTES))]
    image = _vertical_gradient(AVATAR_SIZE, palette.sky_top, palette.sky_bottom)
    draw = ImageDraw.Draw(image)
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    font = ImageFont.load_default(size=170)
    draw.text(
        (AVATAR_SIZE[0] / 2, AVATAR_SIZE[1] / 2),
        initials,
        font=font,
        fill=(255, 255, 255),
        anchor="mm",
        stroke_width=3,
        stroke_fill=palette.ground,
    )
    return _encode(image, "JPEG")


def wordmark_logo(name):
    """The outlet's logo (PNG bytes): a river mark beside the name."""
    image = Image.new("RGB", LOGO_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    ink = (22, 48, 74)
    river = (60, 140, 190)
    draw.rounded_rectangle((16, 16, 144, 144), radius=24, fill=ink)
    for offset in (0, 28, 56):
        points = [(x, 62 + offset + math.sin(x / 14) * 8) for x in range(28, 134, 4)]
        draw.line(points, fill=river if offset == 28 else (255, 255, 255), width=8)
    font = ImageFont.load_default(size=54)
    draw.text((168, LOGO_SIZE[1] / 2), name, font=font, fill=ink, anchor="lm")
    return _encode(image, "PNG")


def _encode(image, image_format):
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.save(buffer, format="JPEG", quality=82, optimize=True, progressive=True)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
