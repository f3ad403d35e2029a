"""Blobs in S3-compatible object storage, against a real local S3 server (moto's)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from myloware.documents import BlobStore, LocalBlobStore, S3BlobStore, blob_store_for
from myloware.errors import DependencyError, NotFoundError, ValidationFailed
from myloware.settings import Settings
from tests.s3_support import REGION, S3Server, free_port, s3_server, use_test_credentials


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    use_test_credentials(monkeypatch)
    with s3_server() as running:
        yield running


def s3_settings(tmp_path: Path, endpoint_url: str, bucket: str, prefix: str = "") -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' _env_file
        data_dir=tmp_path,
        blob_store="s3",
        s3_bucket=bucket,
        s3_endpoint_url=endpoint_url,
        s3_region=REGION,
        s3_prefix=prefix,
    )


def test_the_factory_picks_the_store_from_the_settings(tmp_path: Path) -> None:
    """Local folder by default, S3 by MYLOWARE_BLOB_STORE=s3; s3 without a bucket is refused."""
    local = blob_store_for(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path.resolve() / "files"
    s3 = blob_store_for(s3_settings(tmp_path, "http://127.0.0.1:1", "docs", "tenant-files/"))
    assert isinstance(s3, S3BlobStore) and isinstance(s3, BlobStore)
    assert (s3.bucket, s3.prefix, s3.endpoint_url) == (
        "docs",
        "tenant-files/",
        "http://127.0.0.1:1",
    )
    with pytest.raises(ValueError, match="MYLOWARE_S3_BUCKET"):
        Settings(_env_file=None, blob_store="s3")  # type: ignore[call-arg]


def test_put_get_exists_delete_round_trip(server: S3Server, tmp_path: Path) -> None:
    """put stores under 'sha256:<hex>' at <prefix><hex[:2]>/<hex[2:4]>/<hex>; get returns the
    bytes; put again is idempotent; delete removes the object."""
    bucket = server.new_bucket()
    store = blob_store_for(s3_settings(tmp_path, server.endpoint_url, bucket, "files/"))
    assert isinstance(store, S3BlobStore)
    data = b"%PDF-1.7 invoice bytes \x00\xff"
    ref = store.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert ref == f"sha256:{digest}"
    assert store.exists(ref)
    assert store.get(ref) == data
    assert store.put(data) == ref
    listed = store.client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"files/{digest[:2]}/{digest[2:4]}/{digest}"]
    store.delete(ref)
    assert not store.exists(ref)
    assert "Contents" not in store.client.list_objects_v2(Bucket=bucket)
    store.delete(ref)  # deleting what is gone is no error


def test_a_missing_key_is_not_found_as_for_a_missing_local_file(
    server: S3Server, tmp_path: Path
) -> None:
    """A reference with no object: exists is False and get raises NotFoundError, like the
    local store; a malformed reference is refused before any request."""
    store = blob_store_for(s3_settings(tmp_path, server.endpoint_url, server.new_bucket()))
    ref = "sha256:" + "ab" * 32
    assert not store.exists(ref)
    with pytest.raises(NotFoundError, match=ref):
        store.get(ref)
    with pytest.raises(NotFoundError):
        LocalBlobStore(tmp_path).get(ref)  # the same error as the local store's
    with pytest.raises(ValidationFailed):
        store.get("sha256:../../etc/passwd")


def test_an_unreachable_server_is_a_transient_dependency_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing listening at the endpoint: put, get and exists raise DependencyError, which the
    worker retries (transient), as for an OSError of the local folder."""
    use_test_credentials(monkeypatch)
    store = blob_store_for(s3_settings(tmp_path, f"http://127.0.0.1:{free_port()}", "docs"))
    ref = "sha256:" + "cd" * 32
    for call in (lambda: store.put(b"x"), lambda: store.get(ref), lambda: store.exists(ref)):
        with pytest.raises(DependencyError, match=r"cannot .* the blob store") as caught:
            call()
        assert caught.value.transient


def test_a_server_that_goes_down_turns_reads_into_dependency_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A blob stored while the server ran cannot be read once it stopped: DependencyError
    (retry later), never NotFoundError (which would fail the document for good)."""
    use_test_credentials(monkeypatch)
    with s3_server() as running:
        settings = s3_settings(tmp_path, running.endpoint_url, running.new_bucket())
        store = blob_store_for(settings)
        ref = store.put(b"stored before the outage")
        assert store.get(ref) == b"stored before the outage"
    with pytest.raises(DependencyError):
        store.get(ref)


def test_a_missing_bucket_is_a_dependency_error(server: S3Server, tmp_path: Path) -> None:
    """A bucket that does not exist (misconfigured or not created yet) is not 'no such file'."""
    store = blob_store_for(s3_settings(tmp_path, server.endpoint_url, "no-such-bucket-here"))
    with pytest.raises(DependencyError):
        store.put(b"data")
    with pytest.raises(DependencyError):
        store.get("sha256:" + "ef" * 32)
