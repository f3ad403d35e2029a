"""The offline ``rules`` extractor (the ExtractorLLM agent's no-model provider).

Public API::

    extract(doc, document_type=None) -> CanonicalRecord
    detect_type(doc) -> tuple[DocumentType, float]
    detect_language(text) -> str   # ISO 639-1
"""

from myloware.extraction.detect import detect_type
from myloware.extraction.extractor import EXTRACTOR_NAME, extract
from myloware.extraction.language import detect_language

__all__ = ["EXTRACTOR_NAME", "detect_language", "detect_type", "extract"]
