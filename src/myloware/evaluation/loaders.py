"""Document loaders for ``run_eval(..., input_mode="document")``.

:class:`FileLoader` reads a file through the project's loaders
(:func:`myloware.documents.load_document`: PDF, images with OCR, e-mail, HTML, DOCX, text).
It is a small picklable object so worker processes can use it.

Reading a scan costs seconds of CPU; an evaluation run over hundreds of them costs many
minutes, and a rerun that changes only the extraction repeats them all. With ``cache_dir``
the loader keeps each loaded document there, keyed by the file's content, the limits and
the loading code itself (the source of :mod:`myloware.documents`): a change to the OCR or the
PDF reader reads every file afresh, a change to the extraction reads none. A cache entry
that cannot be read is read afresh and replaced; a folder that cannot be written is logged
and the documents are still read. Never use a cache to measure the loaders'
own cost.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from functools import cache
from pathlib import Path

import structlog

import myloware.documents as documents_package
from myloware.documents.limits import DocumentLimits
from myloware.documents.model import LoadedDocument

log = structlog.get_logger(__name__)


@cache
def loader_fingerprint() -> str:
    """A digest of the source of :mod:`myloware.documents` (every ``.py`` file in it)."""
    digest = hashlib.sha256()
    root = Path(documents_package.__file__).parent
    for source in sorted(root.rglob("*.py")):
        digest.update(source.relative_to(root).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


class FileLoader:
    """``path → LoadedDocument`` with the given limits (e.g. OCR switched off), optionally
    kept in ``cache_dir`` (see the module docstring)."""

    def __init__(self, limits: DocumentLimits | None = None, cache_dir: Path | None = None) -> None:
        self.limits = limits or DocumentLimits()
        self.cache_dir = cache_dir

    def __call__(self, path: Path) -> LoadedDocument:
        from myloware.documents.load import load_document

        data = path.read_bytes()
        if self.cache_dir is None:
            return load_document(data, filename=path.name, limits=self.limits)
        entry = self.cache_dir / f"{self._key(path.name, data)}.pickle"
        try:
            cached = pickle.loads(entry.read_bytes())  # our own folder, written below
            if isinstance(cached, LoadedDocument):
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
            pass  # absent or unreadable: read the file afresh
        loaded = load_document(data, filename=path.name, limits=self.limits)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = entry.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL))
            partial.replace(entry)  # atomic: a parallel worker never reads half an entry
        except OSError as exc:  # a cache that cannot be written costs time, not the run
            log.warning("eval_cache_not_written", folder=str(self.cache_dir), reason=str(exc))
        return loaded

    def _key(self, name: str, data: bytes) -> str:
        digest = hashlib.sha256()
        for part in (loader_fingerprint(), repr(self.limits), name):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()
