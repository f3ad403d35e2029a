"""Document loading: bytes of any supported kind to text with line layout, and blob storage.

Public API (the modules behind it are implementation detail)::

    load_document(data, filename=..., media_type=..., limits=DocumentLimits(...))
    sniff(data, filename) -> media type;  is_supported(media_type);  SUPPORTED_TYPES
    BlobStore (protocol), LocalBlobStore(root), S3BlobStore(bucket, ...), blob_store_for(settings)

Names are imported on first use, so ``import myloware.documents.model`` (done by code that
only needs the data classes, workflow code included) does not pull in PDFium, Pillow,
BeautifulSoup or python-docx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from myloware.lazy import lazy_exports

if TYPE_CHECKING:
    from myloware.documents.blobs import BlobStore, LocalBlobStore, blob_store_for
    from myloware.documents.limits import DocumentLimits
    from myloware.documents.load import load_document
    from myloware.documents.mediatypes import SUPPORTED_TYPES, describe, is_supported, sniff
    from myloware.documents.model import LoadedDocument, TextLine
    from myloware.documents.s3 import S3BlobStore

_EXPORTS = {
    "BlobStore": "blobs",
    "LocalBlobStore": "blobs",
    "blob_store_for": "blobs",
    "S3BlobStore": "s3",
    "DocumentLimits": "limits",
    "load_document": "load",
    "LoadedDocument": "model",
    "TextLine": "model",
    "SUPPORTED_TYPES": "mediatypes",
    "describe": "mediatypes",
    "is_supported": "mediatypes",
    "sniff": "mediatypes",
}

__all__ = [
    "SUPPORTED_TYPES",
    "BlobStore",
    "DocumentLimits",
    "LoadedDocument",
    "LocalBlobStore",
    "S3BlobStore",
    "TextLine",
    "blob_store_for",
    "describe",
    "is_supported",
    "load_document",
    "sniff",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
