"""The pipeline with a model extractor: an OpenAI-protocol server answers, the attempt row
carries model, tokens and cost; when no model answers the offline extractor takes over."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, select

from myloware.db.engine import create_engine, session_factory
from myloware.db.models import DocumentSchema, MemDoc
from myloware.models.pricing import cost_usd
from myloware.records import DocumentType
from myloware.schemas import load_builtin_schema
from myloware.settings import Settings
from myloware.temporal_client import connect
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy
from tests.model_emulator import ModelEmulator, Reply
from tests.pipeline_support import (
    app_client,
    attempts_of,
    items_of,
    running_worker,
    unique_queue,
    wait_for_order,
)
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.ui_support import bearer, sign_in

ANSWER = {
    "vendor_name": "ACME Office Supplies Ltd",
    "invoice_number": "INV-2024-0042",
    "invoice_date": "2024-03-05",
    "subtotal": "50.00",
    "tax_amount": "10.00",
    "total_amount": 60,
    "currency": "EUR",
}


@pytest.fixture
def model_settings(settings: Settings, emu: ModelEmulator) -> Settings:
    return settings.model_copy(
        update={
            "task_queue": unique_queue(),
            "extractor": "model",
            "model_providers": ["openai"],
            "openai_api_key": SecretStr("sk-test"),
            "openai_base_url": emu.openai_url,
            "model_max_retries": 0,
        }
    )


@pytest.fixture
async def mapi(
    model_settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(
        model_settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as client:
        yield client


async def _run(
    mapi: httpx.AsyncClient,
    model_settings: Settings,
    database_url: str,
    temporal_address: str,
    headers: dict[str, str],
) -> dict[str, Any]:
    async with running_worker(model_settings, database_url, temporal_address):
        r = await mapi.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        order = await wait_for_order(mapi, r.json()["data"]["id"], headers)
    [item] = await items_of(mapi, order["id"], headers)
    return {**item, "workflow_id": order["workflow_id"]}


async def _regular_activities(
    settings: Settings, temporal_address: str, workflow_id: str
) -> list[str]:
    """The activity types the workflow scheduled as regular (not local) activities."""
    client = await connect(settings, temporal_address)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


async def test_model_extraction_is_traced_with_tokens_and_cost(
    mapi: httpx.AsyncClient,
    model_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
) -> None:
    emu.script(Reply(data=ANSWER, tokens_in=900, tokens_out=80))
    headers = token_for("acme")
    item = await _run(mapi, model_settings, database_url, temporal_address, headers)
    assert item["status"] == "COMPLETED"
    fields = item["result"]["fields"]
    assert fields["vendor_name"] == "ACME Office Supplies Ltd"
    assert fields["total_amount"] == "60.00"  # restyled from the model's number
    assert item["result"]["validation"]["valid"] is True
    [extractor] = [
        a for a in await attempts_of(mapi, item["id"], headers) if a["agent_id"] == "ExtractorLLM"
    ]
    assert extractor["model"] == "gpt-4o-mini"
    assert (extractor["tokens_in"], extractor["tokens_out"]) == (900, 80)
    assert Decimal(str(extractor["cost_usd"])) == pytest.approx(
        Decimal(str(cost_usd("gpt-4o-mini", 900, 80)))
    )
    assert extractor["output"]["record"]["extractor"] == "model:openai"
    assert len(emu.requests) == 1
    # inline text: RecordGen ran locally; the model call ran as a regular activity
    regular = await _regular_activities(model_settings, temporal_address, item["workflow_id"])
    assert regular == ["ExtractorLLM"]
    trace = await mapi.get(
        f"/ui/work-items/{item['id']}", headers=await sign_in(mapi, bearer(headers))
    )
    assert "gpt-4o-mini" in trace.text and "900 in / 80 out" in trace.text  # the Run Trace UI
    # which extractor read which field: the model, every one of them
    assert extractor["output"]["from_model"] == sorted(extractor["output"]["record"]["fields"])
    assert "model: openai (gpt-4o-mini) read every field" in trace.text


async def test_garbage_from_the_model_falls_back_to_the_offline_extractor(
    mapi: httpx.AsyncClient,
    model_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
) -> None:
    emu.script(Reply(text="I am sorry, I cannot read invoices."))
    headers = token_for("acme")
    item = await _run(mapi, model_settings, database_url, temporal_address, headers)
    assert item["status"] == "COMPLETED"
    assert item["result"]["fields"]["invoice_number"] == "INV-2024-0042"  # read by the rules
    [extractor] = [
        a for a in await attempts_of(mapi, item["id"], headers) if a["agent_id"] == "ExtractorLLM"
    ]
    assert extractor["output"]["record"]["extractor"].startswith("rules (fallback")
    assert extractor["tokens_in"] == 120  # the useless answer was still paid for


BUDGET_POLICY = """
name: budget-test
version: "1"
default_action: AUTO_APPROVE
rules:
  - id: model-budget-spent
    description: The model token budget ran out
    when: {type: token_budget_exhausted}
    then: {action: REJECT, reason: token budget exhausted}
"""


async def test_a_spent_daily_token_budget_asks_no_model_and_tells_the_policy(
    mapi: httpx.AsyncClient,
    model_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
    tenants: dict[str, uuid.UUID],
) -> None:
    """Once the tenant's tokens for the day are spent, the next document asks no model: the
    rules read it and the policy's ``token_budget_exhausted`` rule decides (here: reject)."""
    await publish_policy(database_url, tenants["acme"], BUDGET_POLICY)
    budgeted = model_settings.model_copy(update={"model_budget_tokens_per_tenant_day": 100})
    headers = token_for("acme")
    first = await _run(mapi, budgeted, database_url, temporal_address, headers)
    assert first["status"] == "COMPLETED" and len(emu.requests) == 1  # 160 tokens spent
    second = await _run(mapi, budgeted, database_url, temporal_address, headers)
    assert len(emu.requests) == 1  # no second call
    assert second["status"] == "REJECTED"  # by the policy
    assert "token budget exhausted" in second["error"]
    [extractor] = [
        a for a in await attempts_of(mapi, second["id"], headers) if a["agent_id"] == "ExtractorLLM"
    ]
    assert extractor["output"]["budget_exhausted"] is True
    assert "daily token budget spent" in extractor["output"]["record"]["extractor"]
    assert extractor["tokens_in"] is None  # nothing was paid for


async def test_the_model_is_asked_for_the_active_schema_version(
    mapi: httpx.AsyncClient,
    model_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
) -> None:
    """A newer INVOICE schema activated in ``schemas`` (here with a purchase-order number) is
    what the model is asked for and what its answer is read against."""
    schema = load_builtin_schema(DocumentType.INVOICE)
    schema["properties"]["po_number"] = {"type": ["string", "null"], "description": "PO number"}
    engine = create_engine(database_url, pool_size=1)
    row = DocumentSchema(
        name="invoice-with-po",
        version="test-2",
        document_type="INVOICE",
        schema_definition=schema,
        is_active=True,
    )
    async with session_factory(engine)() as session, session.begin():
        session.add(row)
    try:
        emu.script(Reply(data={**ANSWER, "po_number": "PO-7788"}))
        item = await _run(mapi, model_settings, database_url, temporal_address, token_for("acme"))
    finally:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(delete(DocumentSchema).where(DocumentSchema.id == row.id))
        await engine.dispose()
    [request] = emu.requests
    asked = request.body["response_format"]["json_schema"]["schema"]
    assert "po_number" in asked["properties"]
    assert item["result"]["fields"]["po_number"] == "PO-7788"
    assert item["result"]["validation"]["schema_version"] == "test-2"


async def test_the_model_is_shown_the_approved_records_of_similar_documents(
    mapi: httpx.AsyncClient,
    model_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
) -> None:
    """Related memory: once an earlier invoice like this one is approved and indexed, its
    record goes into the prompt as a guide, and the attempt says which one and how alike."""
    from myloware.memory import Embedder
    from myloware.memory.indexer import MemoryIndexer

    emu.script(Reply(data=ANSWER))
    headers = token_for("acme")
    first = await _run(mapi, model_settings, database_url, temporal_address, headers)
    first_prompt = emu.requests[0].body["messages"][-1]["content"]
    assert "<record>" not in first_prompt  # nothing approved before it
    engine = create_engine(database_url, pool_size=1)
    try:  # the worker embedded it while looking for examples: nothing left for the indexer
        assert await MemoryIndexer(engine, Embedder(), quiet_s=0).index_once() == 0
        async with session_factory(engine)() as session:
            stored = await session.scalar(
                select(MemDoc.metadata_["embedding_model"].astext).where(
                    MemDoc.work_item_id == first["id"]
                )
            )
        assert stored == "all-MiniLM-L6-v2-onnx-int8"
    finally:
        await engine.dispose()

    second = await _run(mapi, model_settings, database_url, temporal_address, headers)
    prompt = emu.requests[1].body["messages"][-1]["content"]
    assert "Records approved earlier for similar documents" in prompt
    guide = prompt[: prompt.index("<document>")]
    assert guide.count("<record>") == 1
    assert '"vendor_name": "ACME Office Supplies Ltd"' in guide
    [extractor] = [
        a for a in await attempts_of(mapi, second["id"], headers) if a["agent_id"] == "ExtractorLLM"
    ]
    [used] = extractor["output"]["related"]
    assert used["work_item_id"] == first["id"] and used["similarity"] > 0.99

    # the same document at another tenant: acme's records are not its memory
    await _run(mapi, model_settings, database_url, temporal_address, token_for("globex"))
    assert "<record>" not in emu.requests[2].body["messages"][-1]["content"]
