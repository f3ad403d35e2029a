"""End to end through the real Temporal server: documents in, validated records out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from temporalio import activity

from myloware.agents import AgentDeps, Persister
from myloware.contracts import PersistInput, PersistOutput
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import EvalResult, OutboxEvent, RecordVersion
from myloware.documents import LocalBlobStore
from myloware.settings import Settings
from myloware.worker.build import activities_for
from tests.auth_support import TokenFor
from tests.pipeline_support import (
    AGENTS,
    app_client,
    attempts_of,
    items_of,
    running_worker,
    unique_queue,
    wait_for_order,
)
from tests.rows import count_rows

TEXT_INVOICE = """ACME Office Supplies Ltd
12 Market Street, Springfield
VAT ID: GB123456789

INVOICE
Invoice No: INV-2024-0042
Invoice Date: 05/03/2024
Due Date: 04/04/2024

Description            Qty   Unit Price   Amount
Paper A4 (box)           2        10.00    20.00
Toner cartridge          1        30.00    30.00

Subtotal                                  50.00
VAT 20%                                   10.00
Total                                 EUR 60.00
"""


@pytest.fixture
def pipeline_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"task_queue": unique_queue()})


@pytest.fixture
async def papi(
    pipeline_settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(
        pipeline_settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as client:
        yield client


async def test_text_invoice_completes_with_fields_and_one_attempt_per_agent(
    papi: httpx.AsyncClient,
    pipeline_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """An inline text invoice flows through all agents and is stored, verified and traced."""
    headers = token_for("acme")
    async with running_worker(pipeline_settings, database_url, temporal_address):
        r = await papi.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        order = await wait_for_order(papi, r.json()["data"]["id"], headers)
    assert order["status"] == "COMPLETED"
    assert order["metadata"]["summary"] == {"completed": 1, "failed": 0, "rejected": 0}
    [item] = await items_of(papi, order["id"], headers)
    assert item["status"] == "COMPLETED" and item["type"] == "INVOICE"
    assert item["started_at"] and item["processed_at"]
    fields = item["result"]["fields"]
    assert fields["invoice_number"] == "INV-2024-0042"
    assert fields["invoice_date"] == "2024-03-05"
    assert fields["total_amount"] == "60.00"
    assert fields["currency"] == "EUR"
    assert item["result"]["validation"]["valid"] is True
    attempts = await attempts_of(papi, item["id"], headers)
    assert [a["agent_id"] for a in attempts] == AGENTS
    assert all(a["status"] == "COMPLETED" and a["duration_ms"] is not None for a in attempts)
    assert await count_rows(database_url, RecordVersion) == 1
    assert await count_rows(database_url, EvalResult, work_item_id=_uuid(item["id"])) == 1
    events = await count_rows(database_url, OutboxEvent, event_type="work_item.completed")
    assert events == 1


async def test_transient_failure_is_retried_and_traced(
    papi: httpx.AsyncClient,
    pipeline_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    data_dir: Path,
) -> None:
    """A Persister that fails once leaves a FAILED then a COMPLETED attempt, and one version."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    deps = AgentDeps(sessions, pipeline_settings, LocalBlobStore(pipeline_settings.files_path))
    real = Persister(deps)
    calls: list[int] = []

    @activity.defn(name="Persister")
    async def flaky_persist(inp: PersistInput) -> PersistOutput:
        calls.append(activity.info().attempt)
        if activity.info().attempt == 1:
            raise ConnectionError("database connection reset (injected)")
        return await real.run(inp)

    acts: list[Any] = [
        a
        for a in activities_for(sessions, pipeline_settings, deps.blobs)
        if getattr(a, "__temporal_activity_definition").name != "Persister"
    ] + [flaky_persist]
    headers = token_for("acme")
    async with running_worker(pipeline_settings, database_url, temporal_address, activities=acts):
        r = await papi.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        order = await wait_for_order(papi, r.json()["data"]["id"], headers)
    await engine.dispose()
    assert order["status"] == "COMPLETED"
    assert calls == [1, 2]
    [item] = await items_of(papi, order["id"], headers)
    persists = [
        a for a in await attempts_of(papi, item["id"], headers) if a["agent_id"] == "Persister"
    ]
    assert [(a["attempt_number"], a["status"]) for a in persists] == [
        (1, "FAILED"),
        (2, "COMPLETED"),
    ]
    assert "injected" in persists[0]["error"]
    assert await count_rows(database_url, RecordVersion) == 1


async def test_the_api_request_id_follows_the_order_into_every_stage_log_context(
    papi: httpx.AsyncClient,
    pipeline_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    data_dir: Path,
) -> None:
    """A stage runs with the submitting request's id, tenant, order, item, agent and attempt
    bound into its structlog context, so its log lines can be traced to the request."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    real = Persister(AgentDeps(sessions, pipeline_settings, None))
    seen: list[dict[str, Any]] = []

    @activity.defn(name="Persister")
    async def persist(inp: PersistInput) -> PersistOutput:
        seen.append(structlog.contextvars.get_contextvars())
        return await real.run(inp)

    acts: list[Any] = [
        a
        for a in activities_for(sessions, pipeline_settings, None)
        if getattr(a, "__temporal_activity_definition").name != "Persister"
    ] + [persist]
    headers = {**token_for("acme"), "X-Request-ID": "trace-me-0042"}
    async with running_worker(pipeline_settings, database_url, temporal_address, activities=acts):
        r = await papi.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        order = await wait_for_order(papi, r.json()["data"]["id"], headers)
    await engine.dispose()
    [item] = await items_of(papi, order["id"], headers)
    assert seen == [
        {
            "request_id": "trace-me-0042",
            "agent": "Persister",
            "attempt": 1,
            "tenant_id": order["tenant_id"],
            "work_order_id": order["id"],
            "work_item_id": item["id"],
        }
    ]


class FlakyBlobStore(LocalBlobStore):
    """A blob store whose first read meets an I/O error (a disk or network share hiccup)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads = 0

    def path_for(self, ref: str) -> Path:
        self.reads += 1
        # reading a directory raises IsADirectoryError, an OSError, inside the real get()
        return self.root if self.reads == 1 else super().path_for(ref)


async def test_a_blob_read_failing_once_is_retried_and_the_item_completes(
    papi: httpx.AsyncClient,
    pipeline_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """An OSError while reading the blob store is transient: RecordGen runs again, the item
    completes, and the trace keeps the failed attempt with its reason."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    blobs = FlakyBlobStore(pipeline_settings.files_path)
    headers = token_for("acme")
    files = [("files", ("invoice.txt", TEXT_INVOICE.encode(), "text/plain"))]
    acts = activities_for(sessions, pipeline_settings, blobs)
    async with running_worker(pipeline_settings, database_url, temporal_address, activities=acts):
        r = await papi.post("/v1/work-orders/upload", files=files, headers=headers)
        assert r.status_code == 201, r.text
        order = await wait_for_order(papi, r.json()["data"]["id"], headers)
    await engine.dispose()
    assert order["status"] == "COMPLETED"
    [item] = await items_of(papi, order["id"], headers)
    gen = [a for a in await attempts_of(papi, item["id"], headers) if a["agent_id"] == "RecordGen"]
    assert [(a["attempt_number"], a["status"]) for a in gen] == [(1, "FAILED"), (2, "COMPLETED")]
    assert "DependencyError: cannot read from the blob store" in gen[0]["error"]
    assert item["result"]["fields"]["total_amount"] == "60.00"


async def test_broken_pdf_fails_only_its_item_with_a_reason(
    papi: httpx.AsyncClient,
    pipeline_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """In a two-file upload, a corrupt PDF fails with a clear reason; the other completes."""
    headers = token_for("acme")
    files = [
        (
            "files",
            ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", "application/pdf"),
        ),
        ("files", ("invoice.txt", TEXT_INVOICE.encode(), "text/plain")),
    ]
    async with running_worker(pipeline_settings, database_url, temporal_address):
        r = await papi.post("/v1/work-orders/upload", files=files, headers=headers)
        assert r.status_code == 201, r.text
        order = await wait_for_order(papi, r.json()["data"]["id"], headers)
    assert order["status"] == "FAILED"
    assert order["metadata"]["summary"] == {"completed": 1, "failed": 1, "rejected": 0}
    broken, good = await items_of(papi, order["id"], headers)
    assert broken["status"] == "FAILED"
    assert "pdf" in broken["error"].lower()
    assert good["status"] == "COMPLETED"
    assert good["result"]["fields"]["total_amount"] == "60.00"
    gen = [
        a for a in await attempts_of(papi, broken["id"], headers) if a["agent_id"] == "RecordGen"
    ]
    assert len(gen) == 1 and gen[0]["status"] == "FAILED"  # non-retryable: tried once


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)
