"""Document loaders for ``run_eval(..., input_mode="document")``.

:class:`FileLoader` reads a file through the project's loaders
(:func:`myloware.documents.load_document`: PDF, images with OCR, e-mail, HTML, DOCX, text).
It is a small picklable object so worker processes can use it.
"""

from __future__ import annotations

from pathlib import Path

from myloware.documents.limits import DocumentLimits
from myloware.documents.model import LoadedDocument


class FileLoader:
    """``path → LoadedDocument`` with the given limits (e.g. OCR switched off)."""

    def __init__(self, limits: DocumentLimits | None = None) -> None:
        self.limits = limits or DocumentLimits()

    def __call__(self, path: Path) -> LoadedDocument:
        from myloware.documents.load import load_document

        return load_document(path.read_bytes(), filename=path.name, limits=self.limits)
