"""Cheap whole-image cues (brightness, warmth, saturation, colour areas) -> mood/time tags.

ImageNet classes name objects; a night street, a sunset or a snowfield often shows up only as
light and colour. Thresholds are physical and generous; each cue's weight grows with how
clearly the image shows it (0..1), so a borderline image contributes little.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def _ramp(value: float, start: float, full: float) -> float:
    """0 below `start`, 1 at `full`, linear between (works for decreasing ramps too)."""
    if full == start:
        return float(value >= full)
    return float(np.clip((value - start) / (full - start), 0.0, 1.0))


def colour_stats(image: Image.Image) -> dict[str, float]:
    """Fractions of dark (overall and in the upper part), bright, warm (overall, top, bottom),
    blue, green and white pixels; mean value and saturation."""
    small = image.convert("RGB").resize((96, 96), Image.Resampling.BILINEAR)
    hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
    h, s, v = hsv[..., 0] * 360.0, hsv[..., 1], hsv[..., 2]
    coloured = (s > 0.3) & (v > 0.3)
    rows = v.shape[0]
    top = v[: rows * 2 // 5]  # the upper part: sky outdoors, ceiling/lights indoors
    warm = coloured & ((h < 50) | (h > 340))
    return {
        "value": float(v.mean()),
        "saturation": float(s.mean()),
        "dark": float((v < 0.22).mean()),
        "top_dark": float((top < 0.22).mean()),
        "bright_spots": float((v > 0.85).mean()),
        "warm": float(warm.mean()),
        "top_warm": float(warm[: rows * 2 // 5].mean()),
        "bottom_warm": float(warm[rows * 3 // 5 :].mean()),
        "blue": float(((s > 0.25) & (v > 0.35) & (h > 185) & (h < 250)).mean()),
        "green": float(((s > 0.25) & (v > 0.25) & (h > 70) & (h < 160)).mean()),
        "white": float(((v > 0.8) & (s < 0.12)).mean()),
    }


def colour_cues(image: Image.Image) -> list[tuple[str, float]]:
    """(tag key, weight) pairs suggested by the image's light and colour."""
    st = colour_stats(image)
    night = max(
        _ramp(st["dark"], 0.45, 0.75),
        _ramp(st["top_dark"], 0.4, 0.7),  # a flash-lit subject under a dark sky
        _ramp(st["value"], 0.32, 0.15),
    )
    lights = night * _ramp(st["bright_spots"], 0.005, 0.03)
    # a sunset is a warm sky above a less warm ground, not just a warm picture (coffee, drinks)
    sunset = (
        (1.0 - night)
        * _ramp(st["top_warm"], 0.35, 0.7)
        * _ramp(st["top_warm"] - st["bottom_warm"], 0.0, 0.3)
        * _ramp(st["value"], 0.2, 0.35)
    )
    snow = _ramp(st["white"], 0.25, 0.5) * (1.0 - night)
    sky = _ramp(st["blue"], 0.2, 0.45) * (1.0 - night)
    green = _ramp(st["green"], 0.25, 0.5) * (1.0 - night)
    return [
        ("밤", 0.9 * night),
        ("새벽", 0.5 * night),
        ("밤하늘", 0.3 * night),
        ("야경", 0.6 * lights),
        ("노을", 0.7 * sunset),
        ("저녁", 0.4 * sunset),
        ("따뜻한", 0.4 * sunset),
        ("겨울", 0.6 * snow),
        ("눈", 0.5 * snow),
        ("청량한", 0.5 * sky),
        ("하늘", 0.4 * sky),
        ("여름", 0.3 * sky),
        ("자연", 0.2 * green),  # lower than the others: green is in most outdoor photos
        ("싱그러운", 0.3 * green),
    ]
