"""Images (PNG, JPEG, TIFF, and what else Pillow decodes) read by OCR, one page per frame.

Boxes are in the image's pixels after EXIF orientation is applied, so they match the picture
as a viewer shows it. A page that OCR finds upside down is read turned the right way round
(see :mod:`myloware.documents.ocr`); its boxes then refer to the turned page.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from PIL import Image, ImageOps, UnidentifiedImageError

from myloware.documents.layout import Segment, build_document, has_text
from myloware.documents.limits import DocumentLimits
from myloware.documents.model import LoadedDocument
from myloware.documents.ocr import recognize
from myloware.errors import DocumentError

MAX_PIXELS = 100_000_000  # per frame; an A4 scan at 600 dpi has 35 million
_TOO_LARGE = "the image is too large to read (too many pixels)"
_UNREADABLE = "the image could not be read: it is truncated or corrupt"


def load_image(
    data: bytes, *, media_type: str, limits: DocumentLimits, name: str | None = None
) -> LoadedDocument:
    """OCR every frame of an image (a multi-page TIFF has several) into lines with boxes.

    Frames are decoded one at a time, so a long TIFF never sits in memory all at once.
    """
    if not limits.ocr_enabled:
        raise DocumentError("the document is an image and needs OCR, which is disabled")
    pages: list[list[Segment]] = []
    with _opened(data) as image:
        count = getattr(image, "n_frames", 1)
        if count > limits.max_pages:
            raise DocumentError(f"the image has {count} pages; at most {limits.max_pages} allowed")
        for index in range(count):
            pages.append(recognize(_frame(image, index)))
    if not has_text(pages):
        raise DocumentError("no text found in the image")
    loaded = build_document(pages, media_type=media_type, name=name)
    return replace(loaded, ocr_pages=tuple(range(1, len(pages) + 1)))


@contextmanager
def _opened(data: bytes) -> Iterator[Image.Image]:
    """The opened image; unreadable or oversized images become DocumentErrors."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise DocumentError(_TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise DocumentError(_UNREADABLE) from None
    with image:
        if image.width * image.height > MAX_PIXELS:
            raise DocumentError(_TOO_LARGE)
        yield image


def _frame(image: Image.Image, index: int) -> Image.Image:
    """Frame ``index`` decoded, turned upright by its EXIF orientation, in RGB."""
    try:
        image.seek(index)
        turned = ImageOps.exif_transpose(image)
        return (image if turned is None else turned).convert("RGB")
    except Image.DecompressionBombError:
        raise DocumentError(_TOO_LARGE) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise DocumentError(_UNREADABLE) from None
