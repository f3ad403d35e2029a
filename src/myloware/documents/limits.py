"""How much of a document the loaders will read: size, pages, and whether OCR may run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from myloware.settings import Settings


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """Limits applied to one document and, one by one, to each of its attachments."""

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 50
    ocr_enabled: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentLimits:
        """The configured limits (``MYLOWARE_MAX_FILE_BYTES``, ``_MAX_PAGES``, ``_OCR_ENABLED``)."""
        return cls(
            max_bytes=settings.max_file_bytes,
            max_pages=settings.max_pages,
            ocr_enabled=settings.ocr_enabled,
        )
