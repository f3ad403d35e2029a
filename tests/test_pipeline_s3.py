"""End to end with uploaded files in S3-compatible storage: the API stores an upload in a
bucket of a real local S3 server (moto's) and the worker reads it from there; the local files
folder is never used."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from myloware.documents import LocalBlobStore, S3BlobStore, blob_store_for
from myloware.documents.blobs import blob_ref
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import (
    api_with_worker,
    app_client,
    attempts_of,
    items_of,
    running_worker,
    unique_queue,
    wait_for_order,
)
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


def with_data_dir(settings: Settings, data_dir: Path, **overrides: Any) -> Settings:
    """``settings`` with its own data folder (a new object: ``model_copy`` would keep the
    cached ``data_path`` of the original)."""
    values = {**settings.model_dump(), **overrides, "data_dir": data_dir}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]  # pydantic-settings'


async def test_two_workers_with_separate_data_folders_process_one_burst(
    server: S3Server,
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
    tmp_path: Path,
) -> None:
    """The API and two workers, each with a data folder of its own (no shared disk), take one
    burst of uploads from the bucket: every document completes, every file is in the bucket
    once, and no data folder holds a file. With the local store a worker would not find the
    API's files (its folder is empty), so the documents could not complete."""
    s3 = {
        "blob_store": "s3",
        "s3_bucket": server.new_bucket(),
        "s3_endpoint_url": server.endpoint_url,
        "s3_region": REGION,
        "task_queue": unique_queue(),
    }
    api_settings = with_data_dir(settings, tmp_path / "api", **s3)
    workers = [with_data_dir(settings, tmp_path / f"worker-{n}", **s3) for n in (1, 2)]
    assert len({s.files_path for s in (api_settings, *workers)}) == 3
    documents = [
        (TEXT_INVOICE + f"\nBatch line {n} {uuid.uuid4().hex}\n").encode() for n in range(8)
    ]
    headers = token_for("acme")
    async with (
        app_client(
            api_settings,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
        ) as api,
        running_worker(workers[0], database_url, temporal_address),
        running_worker(workers[1], database_url, temporal_address),
    ):
        order_ids = []
        for n, data in enumerate(documents):
            files = [("files", (f"invoice-{n}.txt", data, "text/plain"))]
            r = await api.post("/v1/work-orders/upload", files=files, headers=headers)
            assert r.status_code == 201, r.text
            order_ids.append(r.json()["data"]["id"])
        orders = [await wait_for_order(api, oid, headers, timeout_s=120) for oid in order_ids]
    assert [o["status"] for o in orders] == ["COMPLETED"] * len(documents)
    store = blob_store_for(api_settings)
    assert isinstance(store, S3BlobStore)
    for data in documents:
        assert store.get(blob_ref(data)) == data
    listed = store.client.list_objects_v2(Bucket=s3["s3_bucket"])["Contents"]
    assert len(listed) == len(documents)
    for one in (api_settings, *workers):
        assert not one.files_path.exists() or not any(one.files_path.rglob("*"))


async def test_control_with_the_local_store_separate_folders_lose_the_file(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
    tmp_path: Path,
) -> None:
    """The control for the test above: with the local store, a worker whose data folder is
    not the API's cannot find the upload, and the document fails saying so."""
    queue = {"task_queue": unique_queue()}
    api_settings = with_data_dir(settings, tmp_path / "api", **queue)
    worker = with_data_dir(settings, tmp_path / "worker", **queue)
    headers = token_for("acme")
    data = (TEXT_INVOICE + f"\nControl {uuid.uuid4().hex}\n").encode()
    async with (
        app_client(
            api_settings,
            database_url=database_url,
            redis_url=clean_redis,
            temporal_address=temporal_address,
        ) as api,
        running_worker(worker, database_url, temporal_address),
    ):
        files = [("files", ("invoice.txt", data, "text/plain"))]
        r = await api.post("/v1/work-orders/upload", files=files, headers=headers)
        assert r.status_code == 201, r.text
        order = await wait_for_order(api, r.json()["data"]["id"], headers)
        [item] = await items_of(api, order["id"], headers)
    assert order["status"] == "FAILED"
    assert "no stored file" in item["error"]
    assert LocalBlobStore(api_settings.files_path).exists(blob_ref(data))
    assert not LocalBlobStore(worker.files_path).exists(blob_ref(data))
