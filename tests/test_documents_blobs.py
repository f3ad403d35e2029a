"""Content-addressed blob storage on the local file system."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from myloware.documents import BlobStore, LocalBlobStore
from myloware.errors import NotFoundError, ValidationFailed


def test_put_returns_the_sha256_reference_and_get_returns_the_bytes(tmp_path: Path) -> None:
    """put stores under 'sha256:<hex>' and get gives back the same bytes."""
    store = LocalBlobStore(tmp_path)
    ref = store.put(b"invoice bytes")
    assert ref == "sha256:" + hashlib.sha256(b"invoice bytes").hexdigest()
    assert store.get(ref) == b"invoice bytes"
    assert store.exists(ref)


def test_blobs_live_in_a_two_level_fan_out(tmp_path: Path) -> None:
    """The file for <hex> is root/<hex[:2]>/<hex[2:4]>/<hex> and no temp files remain."""
    store = LocalBlobStore(tmp_path)
    digest = store.put(b"abc").removeprefix("sha256:")
    assert (tmp_path / digest[:2] / digest[2:4] / digest).read_bytes() == b"abc"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]


def test_put_is_idempotent_also_under_concurrency(tmp_path: Path) -> None:
    """Storing the same content many times, even at once, yields one file and one ref."""
    store = LocalBlobStore(tmp_path)
    with ThreadPoolExecutor(4) as pool:
        refs = set(pool.map(lambda _: store.put(b"same" * 1000), range(16)))
    assert len(refs) == 1
    assert sum(1 for p in tmp_path.rglob("*") if p.is_file()) == 1


def test_missing_blob_is_not_found(tmp_path: Path) -> None:
    """A well-formed reference that was never stored raises NotFoundError."""
    store = LocalBlobStore(tmp_path)
    ref = "sha256:" + "0" * 64
    assert not store.exists(ref)
    with pytest.raises(NotFoundError):
        store.get(ref)


@pytest.mark.parametrize(
    "ref",
    [
        "sha256:../../../etc/passwd",
        "sha256:" + "A" * 64,
        "sha256:" + "0" * 63,
        "md5:" + "0" * 32,
        "sha256:" + "0" * 64 + "/..",
        "/etc/passwd",
        "",
    ],
)
def test_crafted_references_are_rejected_before_touching_disk(tmp_path: Path, ref: str) -> None:
    """Anything but 'sha256:' plus 64 lower-case hex digits is refused, so paths cannot escape."""
    store = LocalBlobStore(tmp_path)
    with pytest.raises(ValidationFailed):
        store.get(ref)
    with pytest.raises(ValidationFailed):
        store.exists(ref)


def test_local_store_satisfies_the_blob_store_protocol(tmp_path: Path) -> None:
    """LocalBlobStore is usable wherever a BlobStore is expected."""
    assert isinstance(LocalBlobStore(tmp_path), BlobStore)
