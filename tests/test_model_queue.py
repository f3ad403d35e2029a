"""The model's own task queue: ExtractorLLM reads with the rules and hands what needs a model
to ExtractorModel on the model queue, whose worker slots are its own — so a document the
rules settle never waits behind a model call."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from myloware.settings import Settings
from myloware.temporal_client import connect
from tests.auth_support import TokenFor
from tests.model_emulator import ModelEmulator, Reply, openai_settings
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

#: no total line: the rules are unsure of the total, a field the model is asked for
NEEDS_THE_MODEL = TEXT_INVOICE.replace("Total                                 EUR 60.00\n", "")

SETTLED_BY_RULES = (
    "ACME Office Supplies Ltd\n12 Mill Road, Leeds LS1 4AB\nInvoice INV-1\n"
    "Date: 2024-03-05\nTotal due: EUR 60.00\n"
)
TOTAL = {"total_amount": "60.00"}


@pytest.fixture
def queued(settings: Settings, emu: ModelEmulator) -> Settings:
    queue = unique_queue()
    return settings.model_copy(
        update={
            **openai_settings(emu),
            "task_queue": queue,
            "model_task_queue": f"{queue}-models",
            "model_worker_slots": 1,
            "extractor": "hybrid",
            "model_timeout_s": 600.0,
        }
    )


@pytest.fixture
async def api(
    queued: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(
        queued, database_url=database_url, redis_url=clean_redis, temporal_address=temporal_address
    ) as client:
        yield client


async def _submit(api: httpx.AsyncClient, text: str, headers: dict[str, str]) -> str:
    r = await api.post("/v1/work-orders", json={"work_items": [{"content": text}]}, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def _scheduled_on(settings: Settings, address: str, workflow_id: str) -> dict[str, str]:
    """Each regular activity the workflow scheduled, and the task queue it went to."""
    client = await connect(settings, address)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return {
        e.activity_task_scheduled_event_attributes.activity_type.name: (
            e.activity_task_scheduled_event_attributes.task_queue.name
        )
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    }


async def _until_asked(emu: ModelEmulator) -> None:
    for _ in range(6000):
        if emu.requests:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the model was never asked")


async def test_the_model_part_runs_on_the_model_queue(
    api: httpx.AsyncClient,
    queued: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
) -> None:
    emu.script(Reply(data=TOTAL, tokens_in=700, tokens_out=20))
    headers = token_for("acme")
    async with running_worker(queued, database_url, temporal_address):
        order = await wait_for_order(api, await _submit(api, NEEDS_THE_MODEL, headers), headers)
    [item] = await items_of(api, order["id"], headers)
    assert item["status"] == "COMPLETED"
    assert item["result"]["fields"]["total_amount"] == TOTAL["total_amount"]
    attempts = {a["agent_id"]: a for a in await attempts_of(api, item["id"], headers)}
    handed, asked = attempts["ExtractorLLM"], attempts["ExtractorModel"]
    assert handed["output"]["model_queue"] == queued.model_task_queue
    assert handed["tokens_in"] is None  # the rules' part asked no model
    assert (asked["tokens_in"], asked["tokens_out"]) == (700, 20)
    assert asked["output"]["record"]["extractor"] == "hybrid:openai"
    # the Run Trace shows the model call: what was sent, what came back
    page = await api.get(
        f"/ui/work-items/{item['id']}", headers=await sign_in(api, bearer(headers))
    )
    assert "model call 1: openai · gpt-4o-mini" in page.text
    assert "total_amount" in page.text and "[system]" in page.text
    scheduled = await _scheduled_on(queued, temporal_address, order["workflow_id"])
    assert scheduled["ExtractorModel"] == queued.model_task_queue
    assert len(emu.requests) == 1


async def test_a_model_backlog_does_not_hold_up_what_the_rules_settle(
    api: httpx.AsyncClient,
    queued: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
) -> None:
    """The model's only slot is busy with a slow call: a document the rules settle still
    goes all the way through meanwhile."""
    emu.script(Reply(data=TOTAL, delay_s=300))
    headers = token_for("acme")
    async with running_worker(queued, database_url, temporal_address):
        slow = await _submit(api, NEEDS_THE_MODEL, headers)
        await _until_asked(emu)  # the model call has begun, and holds the model slot
        fast = await wait_for_order(api, await _submit(api, SETTLED_BY_RULES, headers), headers)
        waiting: dict[str, Any] = (await api.get(f"/v1/work-orders/{slow}", headers=headers)).json()
    assert fast["status"] == "COMPLETED"
    assert waiting["data"]["status"] == "PROCESSING"  # still with the model
    [item] = await items_of(api, fast["id"], headers)
    attempts = {a["agent_id"]: a for a in await attempts_of(api, item["id"], headers)}
    assert "ExtractorModel" not in attempts
    assert attempts["ExtractorLLM"]["tokens_in"] is None  # no model asked: no model call counted
