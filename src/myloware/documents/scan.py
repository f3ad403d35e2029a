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


def detection_copy(page: np.ndarray, short_side: int, pixels: int) -> tuple[np.ndarray, float]:
    """``page`` scaled for the detector, and the scale used.

    A page whose short side is under ``short_side`` is enlarged to it (a narrow receipt's
    small print is then big enough to box precisely, as RapidOCR's own default does); no
    copy has more than ``pixels`` pixels, the detector's cost being about a microsecond of
    CPU per pixel.
    """
    height, width = page.shape[:2]
    scale = max(1.0, short_side / max(min(width, height), 1))
    scale = min(scale, math.sqrt(pixels / max(width * height, 1)))
    if abs(scale - 1.0) < 1e-3:
        return page, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    method = Image.Resampling.BILINEAR if scale < 1 else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(page).resize(size, method)), size[0] / width


def widen(quad: np.ndarray, across: float, down: float, page: np.ndarray) -> np.ndarray:
    """``quad`` grown by ``across`` of its height at each end and ``down`` of it above and below.

    The detector's boxes are tight around the strokes it saw at its own (smaller) scale: a
    comma's tail or a full stop at the end of a line falls just outside. The grown box stays
    on the page (Pillow would fill the outside with black).
    """
    corners = np.asarray(quad, dtype=np.float32)
    if across <= 0 and down <= 0:
        return corners
    top_left, top_right, bottom_right, bottom_left = corners
    along = top_right - top_left
    length = float(np.hypot(*along))
    height = (
        float(np.hypot(*(bottom_left - top_left))) + float(np.hypot(*(bottom_right - top_right)))
    ) / 2
    if length < 1 or height < 1:
        return corners
    unit = along / length
    normal = np.array([-unit[1], unit[0]], dtype=np.float32)  # points down the page
    ends = unit * across * height
    sides = normal * down * height
    grown = np.stack(
        [
            top_left - ends - sides,
            top_right + ends - sides,
            bottom_right + ends + sides,
            bottom_left - ends + sides,
        ]
    )
    limit = np.array([page.shape[1] - 1, page.shape[0] - 1], dtype=np.float32)
    clipped: np.ndarray = np.clip(grown, 0, limit)
    return clipped


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
