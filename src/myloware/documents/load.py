"""The one entry point: bytes in, :class:`LoadedDocument` out, or a :class:`DocumentError`.

:func:`load_document` checks the limits, sniffs the format (magic bytes first, then name and
declared type) and hands the bytes to the loader for that format. Errors from the libraries
underneath are translated into :class:`DocumentError` here at the latest, so callers only
ever see MyloWare's exceptions with a reason a user can act on.
"""

from __future__ import annotations

from functools import partial
from pathlib import PurePath

import structlog

from myloware.documents import mediatypes as kinds
from myloware.documents.image import load_image
from myloware.documents.limits import DocumentLimits
from myloware.documents.mail import load_email
from myloware.documents.markup import load_html
from myloware.documents.model import LoadedDocument
from myloware.documents.office import load_docx
from myloware.documents.pdf import load_pdf
from myloware.documents.plain import load_text
from myloware.documents.xml import load_xml
from myloware.errors import DocumentError, MylowareError, UnsupportedDocument

log = structlog.get_logger(__name__)

MAX_NESTING = 3  # at most this many e-mails nested inside the outermost one


def load_document(
    data: bytes,
    *,
    filename: str | None = None,
    media_type: str | None = None,
    limits: DocumentLimits,
) -> LoadedDocument:
    """Read a document of any supported kind into text with its line layout.

    ``filename`` and ``media_type`` are hints; the content decides where it can. Raises
    :class:`UnsupportedDocument` for kinds we cannot read (the message says what was found)
    and :class:`DocumentError` for empty, oversized, corrupt, encrypted or textless files.
    """
    return _load(data, filename, media_type, limits, depth=0)


def _load(
    data: bytes,
    filename: str | None,
    declared: str | None,
    limits: DocumentLimits,
    *,
    depth: int,
) -> LoadedDocument:
    _check_size(data, limits)
    kind = kinds.OCTET
    try:
        kind = kinds.sniff(data, filename, declared)
        if not kinds.is_supported(kind):
            raise UnsupportedDocument(
                _unsupported(kind, filename), details={"media_type": kind, "filename": filename}
            )
        return _dispatch(data, kind, filename, limits, depth)
    except MylowareError:
        raise
    except RecursionError:
        raise DocumentError(f"could not read {kinds.describe(kind)}: nested too deeply") from None
    except Exception as exc:  # a library failure we did not foresee: never let it escape
        log.warning("document_load_failed", media_type=kind, error=type(exc).__name__)
        raise DocumentError(
            f"could not read {kinds.describe(kind)} ({type(exc).__name__})"
        ) from exc


def _dispatch(
    data: bytes, kind: str, filename: str | None, limits: DocumentLimits, depth: int
) -> LoadedDocument:
    if kind == kinds.PDF:
        return load_pdf(data, limits=limits, name=filename)
    if kind in kinds.IMAGE_TYPES:
        return load_image(data, media_type=kind, limits=limits, name=filename)
    if kind == kinds.EMAIL:
        if depth > MAX_NESTING:
            raise DocumentError(f"e-mail messages are nested more than {MAX_NESTING} deep")
        load_part = partial(_load_part, limits=limits, depth=depth + 1)
        return load_email(data, load_part=load_part, name=filename)
    if kind == kinds.HTML:
        return load_html(data, name=filename)
    if kind == kinds.DOCX:
        return load_docx(data, limits=limits, name=filename)
    if kind == kinds.XML:
        return load_xml(data, name=filename)
    return load_text(data, media_type=kind, name=filename)


def _load_part(
    data: bytes,
    filename: str | None,
    declared: str | None,
    *,
    limits: DocumentLimits,
    depth: int,
) -> LoadedDocument:
    return _load(data, filename, declared, limits, depth=depth)


def _check_size(data: bytes, limits: DocumentLimits) -> None:
    if not data:
        raise DocumentError("the file is empty")
    if len(data) > limits.max_bytes:
        raise DocumentError(
            f"the file is too big: {_size(len(data))}; at most {_size(limits.max_bytes)} allowed",
            details={"size": len(data), "max_bytes": limits.max_bytes},
        )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count} bytes"


def _unsupported(kind: str, filename: str | None) -> str:
    found = kinds.describe(kind)
    message = f"unsupported file type: the content is {found}"
    if found != kind:
        message += f" ({kind})"
    suffix = PurePath(filename).suffix if filename else ""
    if suffix:
        message += f"; the name ends in {suffix}"
    return message
