"""Colour arithmetic for tests: CIE76 ΔE as readers with each kind of colour vision see it,
and the WCAG contrast ratio.

Machado, Oliveira & Fernandes (2009), severity 1.0, in linear RGB: the same matrices as
``../shared/tools/cvd.py``, which a person uses to look at a screenshot.
"""

from __future__ import annotations

import re

import numpy as np

MATRICES = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
VISIONS = ("normal", *MATRICES)


def srgb(color: str) -> np.ndarray:
    """``#rrggbb`` as sRGB in 0..1."""
    text = color.lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{6}", text), f"{color!r} is not #rrggbb"
    return np.array([int(text[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB (0..1) → linear RGB."""
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def to_srgb(lin: np.ndarray) -> np.ndarray:
    """Linear RGB → sRGB (0..1), clipped to the gamut."""
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)


def seen(color: str, vision: str) -> np.ndarray:
    """`color` (sRGB) as a reader with `vision` sees it."""
    rgb = srgb(color)
    if vision == "normal":
        return rgb
    return to_srgb(to_linear(rgb) @ MATRICES[vision].T)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (0..1) → CIELAB (D65)."""
    xyz = (
        to_linear(rgb)
        @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    )
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str = "normal") -> float:
    """CIE76 distance between `a` and `b` as seen with `vision`."""
    return float(np.linalg.norm(to_lab(seen(a, vision)) - to_lab(seen(b, vision))))


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of `a` against `b` (1..21)."""
    lum = [float(to_linear(srgb(c)) @ np.array([0.2126, 0.7152, 0.0722])) for c in (a, b)]
    hi, lo = max(lum), min(lum)
    return (hi + 0.05) / (lo + 0.05)


def least_delta_e(a: str, b: str) -> float:
    """The smallest ΔE between `a` and `b` over every vision."""
    return min(delta_e(a, b, vision) for vision in VISIONS)
