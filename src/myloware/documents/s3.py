"""Blobs in S3-compatible object storage (AWS S3, MinIO, Ceph RGW, moto ...).

The same :class:`~myloware.documents.blobs.BlobStore` protocol and layout as the local store:
blob ``<hex>`` is the object ``<prefix><hex[0:2]>/<hex[2:4]>/<hex>`` in one bucket. S3 writes
are atomic (readers see the whole object or none) and the content decides the key, so
concurrent writers of the same bytes are harmless. Credentials come from boto3's standard
chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, instance or pod
roles ...); nothing here reads them.

Errors map to the local store's: a missing object is :class:`NotFoundError`; a store that
cannot be reached or answers with an error is :class:`DependencyError` (transient: the
activity that needed it is retried), as ``OSError`` is for the local folder.
"""

from __future__ import annotations

from typing import Any

from myloware.documents.blobs import blob_ref, parse_ref
from myloware.errors import DependencyError, NotFoundError

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore:
    """Blobs as objects in one S3 bucket, under an optional key prefix."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                config=Config(
                    connect_timeout=connect_timeout_s,
                    read_timeout=read_timeout_s,
                    retries={"max_attempts": max_attempts, "mode": "standard"},
                ),
            )
        self.client = client

    def __repr__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3BlobStore(s3://{self.bucket}/{self.prefix}{where})"

    def key_for(self, ref: str) -> str:
        """The object key of the blob for ``ref`` (whether or not it exists)."""
        digest = parse_ref(ref)
        return f"{self.prefix}{digest[:2]}/{digest[2:4]}/{digest}"

    def put(self, data: bytes) -> str:
        ref = blob_ref(data)
        if self.exists(ref):
            return ref
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key_for(ref),
                Body=data,
                ContentType="application/octet-stream",
            )
        except Exception as exc:
            raise self._unavailable("write to", exc) from exc
        return ref

    def get(self, ref: str) -> bytes:
        key = self.key_for(ref)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            data: bytes = response["Body"].read()
        except Exception as exc:
            if _is_missing(exc):
                raise NotFoundError(f"no stored file with reference {ref}") from None
            raise self._unavailable("read from", exc) from exc
        return data

    def exists(self, ref: str) -> bool:
        key = self.key_for(ref)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _is_missing(exc):
                return False
            raise self._unavailable("read from", exc) from exc
        return True

    def delete(self, ref: str) -> None:
        """Remove the blob for ``ref`` (no error when there is none)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key_for(ref))
        except Exception as exc:
            raise self._unavailable("delete from", exc) from exc

    def _unavailable(self, action: str, exc: Exception) -> DependencyError:
        return DependencyError(f"cannot {action} the blob store {self!r}: {exc}")


def _is_missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in _MISSING
