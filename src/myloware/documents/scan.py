"""Scan pre-processing for OCR: the grayscale page, its detection copy and box cut-outs.

Pure image functions (Pillow and NumPy); :mod:`myloware.documents.ocr` runs the models.
Grayscale loses nothing the models use (they read ink, and every SROIE scan is gray) and
makes every later step a third of the work.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageOps

MAX_SIDE = 2000  # longest side of the page that boxes are cut from; larger scans are shrunk
FAINT_RANGE = 64  # gray levels from the darkest ink to the paper below which a scan is stretched
INK_SHARE = 0.1  # percent of pixels taken as the darkest ink (a receipt is mostly paper)
PAPER_SHARE = 1.0  # percent of pixels taken as the brightest paper
UPRIGHT_RATIO = 1.5  # a box this much taller than wide holds vertical text: turned to read


def prepare(image: Image.Image) -> tuple[np.ndarray, float]:
    """The grayscale page (longest side at most :data:`MAX_SIDE`) and its scale to ``image``.

    A faint scan (little range between paper and ink) is stretched to the full range, so
    that a page printed at a few percent contrast still reads.
    """
    gray = image.convert("L")
    factor = 1.0
    if max(gray.size) > MAX_SIDE:
        factor = MAX_SIDE / max(gray.size)
        size = (max(1, round(gray.width * factor)), max(1, round(gray.height * factor)))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(stretch_faint(gray)), factor


def stretch_faint(gray: Image.Image) -> Image.Image:
    """``gray`` stretched to 0..255 when its darkest ink is close to its paper.

    Ink is the darkest :data:`INK_SHARE` percent, not the 1st percentile: on a receipt that is
    mostly blank paper, the 1st percentile is paper, and stretching it to black would thicken
    every stroke of a perfectly good scan.
    """
    histogram = gray.histogram()
    total = sum(histogram)
    if total == 0:
        return gray
    low = _percentile(histogram, total, INK_SHARE / 100)
    high = _percentile(histogram, total, 1 - PAPER_SHARE / 100)
    if high - low >= FAINT_RANGE or high <= low:
        return gray
    return ImageOps.autocontrast(gray, cutoff=(INK_SHARE, PAPER_SHARE))


def _percentile(histogram: list[int], total: int, fraction: float) -> int:
    seen = 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= fraction * total:
            return level
    return len(histogram) - 1


def shrink(page: np.ndarray, pixels: int) -> tuple[np.ndarray, float]:
    """``page`` scaled down to at most ``pixels`` pixels (never up), and the scale used."""
    height, width = page.shape[:2]
    scale = min(1.0, math.sqrt(pixels / max(width * height, 1)))
    if scale >= 1.0:
        return page, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = Image.fromarray(page).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(small), size[0] / width


def crop_quad(page: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The box ``quad`` (corners clockwise from top-left) cut out and straightened.

    A box much taller than wide holds vertical text and is turned a quarter to the left,
    as the recogniser reads rows.
    """
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = (tuple(map(float, point)) for point in quad)
    width = max(1, int(max(math.dist((x0, y0), (x1, y1)), math.dist((x3, y3), (x2, y2)))))
    height = max(1, int(max(math.dist((x0, y0), (x3, y3)), math.dist((x1, y1), (x2, y2)))))
    cut = Image.fromarray(page).transform(
        (width, height),
        Image.Transform.QUAD,
        (x0, y0, x3, y3, x2, y2, x1, y1),  # Pillow's order: UL, LL, LR, UR
        Image.Resampling.BICUBIC,
    )
    crop = np.asarray(cut)
    return np.ascontiguousarray(np.rot90(crop)) if height >= UPRIGHT_RATIO * width else crop
