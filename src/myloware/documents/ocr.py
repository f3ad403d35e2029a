"""OCR with RapidOCR (PP-OCR models on onnxruntime, shipped inside the ``rapidocr`` wheel).

A page is read in four steps, each sized to what it needs (figures in ``docs/accuracy.md``):

1. **Prepare** (:mod:`myloware.documents.scan`): grayscale, at most :data:`MAX_SIDE` pixels,
   a faint scan's contrast stretched.
2. **Detect** text boxes on :func:`~myloware.documents.scan.detection_copy` of the page: a
   page narrower than :attr:`OcrTuning.detect_short_side` is enlarged (small print on a
   narrow receipt is then boxed precisely), and no copy exceeds
   :attr:`OcrTuning.detect_pixels` (the detector costs about a microsecond of CPU per
   pixel, and RapidOCR's default fed a 2000 px scan whole).
3. **Recognise** the boxes cut from the full-resolution page, in RapidOCR's batches of
   similar width padded to at least :data:`REC_MIN_WIDTH` px (each box alone at its own
   width is cheaper but misreads commas and spaces; RapidOCR's default of 320 px, the
   model's training width, costs a third more and read the same fields). Boxes can be
   grown before they are cut (:attr:`OcrTuning.margin_across`,
   :attr:`OcrTuning.margin_down`; off by default).
   Boxes read below :attr:`OcrTuning.min_score` are dropped, and the text is
   NFKC-normalised (full-width punctuation becomes ASCII).
4. **Orient**: when the widest few boxes read poorly, they are read again turned by 180
   degrees; if that reads clearly better, the page was fed in upside down and every box is
   turned and read again (the cost of a second reading falls only on such pages).

The engine is created once per process, on first use, and shared. ``RapidOCR.__call__`` keeps
per-call parameters on the engine, so calls are serialised by a lock. onnxruntime runs one
intra-op thread: on a shared machine a second thread mostly spins, and pages are read in
parallel by worker processes, not threads. With the default configuration RapidOCR loads
the models packaged in the wheel and verifies their checksums; it would only go to the
network if those files were missing, and then fails with a :class:`DependencyError` here.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import structlog
from PIL import Image

from myloware.documents.layout import Box, Segment, group_lines, scale_box
from myloware.documents.scan import MAX_SIDE, crop_quad, detection_copy, prepare, widen
from myloware.errors import DependencyError, DocumentError

log = structlog.get_logger(__name__)

__all__ = ["MAX_SIDE", "REC_MIN_WIDTH", "OcrTuning", "engine", "read_boxes", "recognize"]


@dataclass(frozen=True, slots=True)
class OcrTuning:
    """The speed/accuracy knobs of :func:`read_boxes` (defaults measured on SROIE dev)."""

    detect_short_side: int = 736  # a page narrower than this is enlarged for the detector
    detect_pixels: int = 800_000  # ... and no detector input is larger than this
    min_score: float = 0.5  # recognition confidence below which a box is dropped
    orient_sample: int = 5  # widest boxes read both ways on a poor page (0: never turn)
    margin_across: float = 0.0  # each box grown by this share of its height at both ends
    margin_down: float = 0.0  # ... and by this share above and below


DEFAULT_TUNING = OcrTuning()
#: the narrowest a batch of boxes is padded to for the recogniser (at its 48 px height)
REC_MIN_WIDTH = 160
_ENGINE_PARAMS = {
    "Global.log_level": "error",
    "Global.use_cls": False,  # per-box angle classifier: see _upside_down
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    # the detector gets an image already at its working size: no resizing inside
    "Det.limit_type": "max",
    "Det.limit_side_len": 4 * MAX_SIDE,
    "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
}

_UPRIGHT_SCORE = 0.9  # mean confidence of the widest boxes above which a page is not turned
_TURN_MARGIN = 0.1  # how much better the turned page must read to be taken

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

        created = RapidOCR(params=_ENGINE_PARAMS)
    except Exception as exc:  # any failure here means OCR is unusable on this machine
        raise DependencyError(f"the OCR engine could not be started: {exc}") from exc
    log.info("ocr_engine_ready")
    return created


def recognize(image: Image.Image, tuning: OcrTuning = DEFAULT_TUNING) -> list[Segment]:
    """Visual lines of an image: OCR boxes grouped by row, TAB between boxes, pixel boxes."""
    return group_lines(read_boxes(image, tuning))


def read_boxes(image: Image.Image, tuning: OcrTuning = DEFAULT_TUNING) -> list[Segment]:
    """Raw OCR boxes of an image as segments (coordinates in the image's pixels).

    An upside-down page is read turned the right way up, and its boxes refer to the turned
    page (as for an EXIF rotation), so that lines come out in reading order.
    """
    page, factor = prepare(image)
    ocr = engine()
    with _run_lock:
        try:
            quads = _detect(ocr, page, tuning)
            crops = [
                crop_quad(page, widen(quad, tuning.margin_across, tuning.margin_down, page))
                for quad in quads
            ]
            read = _recognise(ocr, crops)
            if _upside_down(ocr, crops, read, tuning):
                crops = [np.ascontiguousarray(np.rot90(crop, 2)) for crop in crops]
                height, width = page.shape[:2]
                quads = [np.array([width, height]) - quad for quad in quads]
                read = _recognise(ocr, crops)
        except DocumentError:
            raise
        except Exception as exc:  # onnxruntime/OpenCV failures on odd images
            raise DocumentError("OCR could not read the image") from exc
    return [
        Segment(text, scale_box(_bounds(quad), factor))
        for quad, (text, score) in zip(quads, read, strict=True)
        if score >= tuning.min_score and text.strip()
    ]


def _detect(ocr: Any, page: np.ndarray, tuning: OcrTuning) -> list[np.ndarray]:
    """Text quadrilaterals in ``page`` pixels, found on :func:`detection_copy` of the page."""
    small, scale = detection_copy(page, tuning.detect_short_side, tuning.detect_pixels)
    found = ocr(_rgb(small), use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(found, "boxes", None)
    if boxes is None or len(boxes) == 0:
        return []
    return [np.asarray(quad, dtype=np.float32) / scale for quad in boxes]


def _upside_down(
    ocr: Any, crops: list[np.ndarray], read: list[tuple[str, float]], tuning: OcrTuning
) -> bool:
    """Whether the page reads clearly better turned by 180 degrees.

    Judged on the widest few boxes, and only when they read poorly as they are: turned text
    comes out as low-confidence gibberish, upright text of a fair scan does not. (The wheel's
    angle classifier was tried first; it calls upright receipt lines upside down too often.)
    """
    if tuning.orient_sample <= 0 or not crops:
        return False
    order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(crops[i].shape[0], 1))
    widest = order[-tuning.orient_sample :]
    as_is = sum(read[i][1] for i in widest) / len(widest)
    if as_is >= _UPRIGHT_SCORE:
        return False
    turned = _recognise(ocr, [np.ascontiguousarray(np.rot90(crops[i], 2)) for i in widest])
    return sum(score for _, score in turned) / len(widest) > as_is + _TURN_MARGIN


def _recognise(ocr: Any, crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Text and confidence of each box image, read in batches of similar width.

    RapidOCR's recogniser sorts the boxes by width and pads each batch to its widest box and
    to at least :data:`REC_MIN_WIDTH` px (at 48 px height): reading each box alone at its own
    width is cheaper but misreads punctuation and spaces (``6,`` as ``6.``, ``80.91`` as
    ``80 91``), while 160 px reads the fields as the model's 320 px training width does for
    a quarter less CPU: see ``docs/accuracy.md``.
    """
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput

    recogniser = ocr._load_rec_model()  # the engine's own, created once
    result = recogniser(TextRecInput(img=[_rgb(crop) for crop in crops]))
    texts = result.txts or ()
    scores = result.scores or ()
    return [
        (unicodedata.normalize("NFKC", str(text)), float(score))
        for text, score in zip(texts, scores, strict=True)
    ]


def _rgb(gray: np.ndarray) -> np.ndarray:
    """The three-channel image the models take, from a grayscale array."""
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))


def _bounds(quad: Any) -> Box:
    """Axis-aligned bounds of a detection quadrilateral ``[[x, y] * 4]``."""
    xs = [float(point[0]) for point in quad]
    ys = [float(point[1]) for point in quad]
    return (min(xs), min(ys), max(xs), max(ys))
