"""Pages of an uploaded document as pictures, for the reviewer's document viewer.

Only PDFs and images have pages to show; other kinds (text, HTML, DOCX, e-mail, XML) are read
as text and have none. Page sizes are in the units the loaders record field boxes in, so a
box can be drawn on the picture as a fraction of its page:

* PDF: points, the page as displayed (crop box, rotation applied; see ``pdftext``),
* image: pixels of the frame after its EXIF orientation is applied (see ``image``).

A page is rendered at most :data:`RENDER_LONGEST_SIDE` pixels on its longest side (and never
above :data:`RENDER_MAX_SCALE`, 200 dpi for a PDF) and encoded as PNG: a reviewer can zoom in
twice on a laptop screen, yet one page stays a few hundred kilobytes. Images are re-encoded
rather than sent as uploaded, so the browser only ever gets a PNG we made.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps

from myloware.documents import mediatypes as kinds
from myloware.documents.image import _frame, _opened
from myloware.documents.pdf import _PDFIUM_LOCK
from myloware.documents.pdf import _opened as _opened_pdf
from myloware.errors import DocumentError, MylowareError, NotFoundError

RENDER_LONGEST_SIDE = 1600  # pixels
RENDER_MAX_SCALE = 200 / 72  # PDF points to pixels: at most 200 dpi
_SWAPPED = {5, 6, 7, 8}  # EXIF orientations that turn the picture a quarter


@dataclass(frozen=True, slots=True)
class PageSize:
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Pages:
    """How many pages a document has and the size of each, in ``unit``."""

    media_type: str
    unit: Literal["pt", "px"]
    sizes: tuple[PageSize, ...]


@dataclass(frozen=True, slots=True)
class PageImage:
    """One rendered page: PNG bytes and the picture's size in pixels."""

    png: bytes
    width: int
    height: int


def renderable(media_type: str) -> bool:
    """Whether documents of this (sniffed) kind have pages to show."""
    return media_type == kinds.PDF or media_type in kinds.IMAGE_TYPES


def page_sizes(data: bytes, media_type: str) -> Pages:
    """The pages of a PDF or image and their sizes; :class:`DocumentError` when unreadable."""
    with _translated("measure"):
        return _page_sizes(data, media_type)


def _page_sizes(data: bytes, media_type: str) -> Pages:
    if media_type == kinds.PDF:
        with _opened_pdf(data) as doc, _PDFIUM_LOCK:
            sizes = []
            for index in range(len(doc)):
                page = doc[index]
                try:
                    width, height = page.get_size()
                finally:
                    page.close()
                sizes.append(PageSize(round(width, 2), round(height, 2)))
        return Pages(media_type, "pt", tuple(sizes))
    if media_type in kinds.IMAGE_TYPES:
        with _opened(data) as image:
            sizes = []
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                width, height = image.size
                if image.getexif().get(0x0112) in _SWAPPED:
                    width, height = height, width
                sizes.append(PageSize(width, height))
        return Pages(media_type, "px", tuple(sizes))
    raise DocumentError(f"{kinds.describe(media_type)} has no pages to show")


def render_page(
    data: bytes, media_type: str, number: int, *, longest_side: int = RENDER_LONGEST_SIDE
) -> PageImage:
    """Page ``number`` (from 1) as a PNG; :class:`NotFoundError` for a page it does not have."""
    with _translated("render"):
        if media_type == kinds.PDF:
            picture = _render_pdf_page(data, number, longest_side)
        elif media_type in kinds.IMAGE_TYPES:
            picture = _image_frame(data, number, longest_side)
        else:
            raise DocumentError(f"{kinds.describe(media_type)} has no pages to show")
        out = io.BytesIO()
        picture.save(out, format="PNG", compress_level=6)
        return PageImage(out.getvalue(), picture.width, picture.height)


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Library failures we did not foresee become DocumentErrors (ours pass unchanged)."""
    try:
        yield
    except MylowareError:
        raise
    except Exception as exc:
        raise DocumentError(
            f"could not {what} the document's pages ({type(exc).__name__})"
        ) from exc


def _render_pdf_page(data: bytes, number: int, longest_side: int) -> Image.Image:
    with _opened_pdf(data) as doc, _PDFIUM_LOCK:
        if not 1 <= number <= len(doc):
            raise NotFoundError(f"the document has no page {number}")
        page = doc[number - 1]
        try:
            width, height = page.get_size()
            scale = min(longest_side / max(width, height, 1.0), RENDER_MAX_SCALE)
            bitmap = page.render(scale=scale)
            try:
                picture: Image.Image = bitmap.to_pil().convert("RGB")
                return picture
            finally:
                bitmap.close()
        finally:
            page.close()


def _image_frame(data: bytes, number: int, longest_side: int) -> Image.Image:
    with _opened(data) as image:
        if not 1 <= number <= getattr(image, "n_frames", 1):
            raise NotFoundError(f"the document has no page {number}")
        frame = _frame(image, number - 1)
    if max(frame.size) > longest_side:
        frame = ImageOps.contain(frame, (longest_side, longest_side))
    return frame
