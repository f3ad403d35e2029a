"""OCR with RapidOCR (PP-OCR models on onnxruntime, shipped inside the ``rapidocr`` wheel).

The engine is created once per process, on first use, and shared. ``RapidOCR.__call__`` keeps
per-call parameters on the engine, so calls are serialised by a lock; onnxruntime already
uses every core for one image, so nothing is lost. With the default configuration RapidOCR
loads the models packaged in the wheel and verifies their checksums; it would only go to the
network if those files were missing, and then fails with a :class:`DependencyError` here.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from PIL import Image

from myloware.documents.layout import Box, Segment, group_lines, scale_box
from myloware.errors import DependencyError, DocumentError

log = structlog.get_logger(__name__)

MAX_SIDE = 2000  # RapidOCR's own working size (Global.max_side_len); larger is shrunk first

_engine: Any = None
_init_lock = threading.Lock()
_run_lock = threading.Lock()


def engine() -> Any:
    """The process-wide OCR engine, created on first use (about 0.7 s)."""
    global _engine
    if _engine is None:
        with _init_lock:
            if _engine is None:
                _engine = _create_engine()
    return _engine


def _create_engine() -> Any:
    try:
        from rapidocr import RapidOCR

        created = RapidOCR(params={"Global.log_level": "error"})
    except Exception as exc:  # any failure here means OCR is unusable on this machine
        raise DependencyError(f"the OCR engine could not be started: {exc}") from exc
    log.info("ocr_engine_ready")
    return created


def recognize(image: Image.Image) -> list[Segment]:
    """Visual lines of an image: OCR boxes grouped by row, TAB between boxes, pixel boxes."""
    return group_lines(read_boxes(image))


def read_boxes(image: Image.Image) -> list[Segment]:
    """Raw OCR boxes of an image as segments (coordinates in the image's pixels)."""
    rgb = image.convert("RGB")
    factor = 1.0
    if max(rgb.size) > MAX_SIDE:
        factor = MAX_SIDE / max(rgb.size)
        size = (max(1, round(rgb.width * factor)), max(1, round(rgb.height * factor)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    ocr = engine()
    with _run_lock:
        try:
            result = ocr(rgb)
        except Exception as exc:  # onnxruntime/OpenCV failures on odd images
            raise DocumentError("OCR could not read the image") from exc
    boxes = getattr(result, "boxes", None)
    texts = getattr(result, "txts", None)
    if boxes is None or texts is None:
        return []
    return [
        Segment(str(text), scale_box(_bounds(quad), factor))
        for quad, text in zip(boxes, texts, strict=False)
    ]


def _bounds(quad: Any) -> Box:
    """Axis-aligned bounds of a detection quadrilateral ``[[x, y] * 4]``."""
    xs = [float(point[0]) for point in quad]
    ys = [float(point[1]) for point in quad]
    return (min(xs), min(ys), max(xs), max(ys))
