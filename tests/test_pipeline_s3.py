"""End to end with uploaded files in S3-compatible storage: the API stores an upload in a
bucket of a real local S3 server (moto's) and the worker reads it from there; the local files
folder is never used."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from myloware.documents import LocalBlobStore, S3BlobStore, blob_store_for
from myloware.documents.blobs import blob_ref
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import api_with_worker, attempts_of, items_of, wait_for_order
from tests.s3_support import REGION, S3Server, s3_server, use_test_credentials
from tests.test_pipeline_e2e import TEXT_INVOICE


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    use_test_credentials(monkeypatch)
    with s3_server() as running:
        yield running


async def test_an_upload_completes_with_api_and_worker_on_the_s3_store(
    server: S3Server,
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
) -> None:
    """The uploaded bytes land in the bucket under the prefix, not in <data_dir>/files, and the
    worker (its own S3 client, no shared folder) reads them and completes the document."""
    bucket = server.new_bucket()
    data = (TEXT_INVOICE + f"\nReference note {uuid.uuid4().hex}\n").encode()
    ref = blob_ref(data)
    headers = token_for("acme")
    async with api_with_worker(
        settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
        blob_store="s3",
        s3_bucket=bucket,
        s3_endpoint_url=server.endpoint_url,
        s3_region=REGION,
        s3_prefix="uploads/",
    ) as api:
        assert isinstance(api.app.state.myloware.blobs, S3BlobStore)
        files = [("files", ("invoice.txt", data, "text/plain"))]
        r = await api.post("/v1/work-orders/upload", files=files, headers=headers)
        assert r.status_code == 201, r.text
        order = await wait_for_order(api, r.json()["data"]["id"], headers)
        store = blob_store_for(api.settings)
        [item] = await items_of(api, order["id"], headers)
        attempts = await attempts_of(api, item["id"], headers)
    assert order["status"] == "COMPLETED"
    assert item["status"] == "COMPLETED"
    assert item["result"]["fields"]["total_amount"] == "60.00"
    assert all(a["status"] == "COMPLETED" for a in attempts)
    assert isinstance(store, S3BlobStore)
    assert store.get(ref) == data
    digest = ref.removeprefix("sha256:")
    keys = [o["Key"] for o in store.client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"uploads/{digest[:2]}/{digest[2:4]}/{digest}"]
    assert not LocalBlobStore(api.settings.files_path).exists(ref)  # the folder is unused
