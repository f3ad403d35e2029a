"""Content-addressed storage for uploaded documents: the same bytes are stored once.

A reference is ``"sha256:<64 hex digits>"``. :class:`LocalBlobStore` keeps blob ``<hex>`` at
``root/<hex[0:2]>/<hex[2:4]>/<hex>``, written to a temporary file in the same directory and
moved into place with ``os.replace``, so readers never see half a file and concurrent writers
of the same content are harmless. References are validated before any path is built, so a
crafted reference cannot reach outside ``root``. :class:`~myloware.documents.s3.S3BlobStore`
keeps the same layout in an S3-compatible bucket; :func:`blob_store_for` picks one from the
settings (``MYLOWARE_BLOB_STORE``), and every role builds its store through it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from myloware.errors import DependencyError, NotFoundError, ValidationFailed

if TYPE_CHECKING:
    from myloware.settings import Settings

PREFIX = "sha256:"
_REF_RE = re.compile(r"sha256:([0-9a-f]{64})")


@runtime_checkable
class BlobStore(Protocol):
    """Where document bytes live, addressed by their SHA-256."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent) and return its reference ``sha256:<hex>``."""
        ...

    def get(self, ref: str) -> bytes:
        """The bytes stored under ``ref``; :class:`NotFoundError` if there are none."""
        ...

    def exists(self, ref: str) -> bool:
        """Whether ``ref`` is stored."""
        ...


def blob_ref(data: bytes) -> str:
    """The reference that ``data`` is stored under."""
    return PREFIX + hashlib.sha256(data).hexdigest()


def parse_ref(ref: str) -> str:
    """The hex digest of a well-formed reference; :class:`ValidationFailed` otherwise."""
    match = _REF_RE.fullmatch(ref) if isinstance(ref, str) else None
    if match is None:
        raise ValidationFailed("invalid blob reference: expected 'sha256:' and 64 hex digits")
    return match.group(1)


class LocalBlobStore:
    """Blobs as files under one directory (the embedded default: ``<data_dir>/files``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, ref: str) -> Path:
        """Where the blob for ``ref`` lives (whether or not it exists)."""
        digest = parse_ref(ref)
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        ref = blob_ref(data)
        path = self.path_for(ref)
        if path.is_file():
            return ref
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomically(path, data)
        except OSError as exc:
            raise DependencyError(f"cannot write to the blob store at {self.root}: {exc}") from exc
        return ref

    def get(self, ref: str) -> bytes:
        path = self.path_for(ref)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no stored file with reference {ref}") from None
        except OSError as exc:
            raise DependencyError(f"cannot read from the blob store at {self.root}: {exc}") from exc

    def exists(self, ref: str) -> bool:
        return self.path_for(ref).is_file()

    def delete(self, ref: str) -> None:
        """Remove the blob for ``ref`` (no error when there is none)."""
        try:
            self.path_for(ref).unlink(missing_ok=True)
        except OSError as exc:
            raise DependencyError(
                f"cannot delete from the blob store at {self.root}: {exc}"
            ) from exc

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def blob_store_for(settings: Settings) -> BlobStore:
    """The blob store the settings choose: the local folder ``<data_dir>/files`` (the embedded
    default) or an S3-compatible bucket (``MYLOWARE_BLOB_STORE=s3``)."""
    if settings.blob_store == "s3":
        from myloware.documents.s3 import S3BlobStore

        assert settings.s3_bucket is not None  # the settings refuse s3 without a bucket
        return S3BlobStore(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
    return LocalBlobStore(settings.files_path)
