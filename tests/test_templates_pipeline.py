"""A tenant's workflow template changes how its documents run, and the trace says which.

acme's template switches the extractor to a model (the platform runs the offline rules) and
raises the Verifier's pass threshold; globex has none and runs the built-in template, i.e.
today's pipeline. Both send the same invoice through one worker.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.worker import Replayer

from myloware.agents import AgentDeps
from myloware.agents.tools import Toolbox
from myloware.contracts import ItemRef
from myloware.db.engine import create_engine, session_factory
from myloware.records import DocumentType
from myloware.settings import Settings
from myloware.temporal_client import connect
from myloware.worker.build import WORKFLOWS
from myloware.workflows.converter import DATA_CONVERTER
from myloware.workflows.work_item import TEMPLATE_EXTRACTOR_PATCH, TEMPLATE_VERIFIER_PATCH
from tests.auth_support import TokenFor
from tests.model_emulator import ModelEmulator, Reply
from tests.pipeline_support import (
    app_client,
    attempts_of,
    items_of,
    running_worker,
    unique_queue,
    wait_for_order,
)
from tests.test_pipeline_durability import HISTORIES
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.test_pipeline_models import ANSWER
from tests.ui_support import bearer, sign_in


@pytest.fixture
def rules_settings(settings: Settings, emu: ModelEmulator) -> Settings:
    """The platform runs the offline rules; a model is configured but not used by default."""
    return settings.model_copy(
        update={
            "task_queue": unique_queue(),
            "extractor": "rules",
            "model_providers": ["openai"],
            "openai_api_key": SecretStr("sk-test"),
            "openai_base_url": emu.openai_url,
            "model_max_retries": 0,
        }
    )


@pytest.fixture
async def tapi(
    rules_settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(
        rules_settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as client:
        yield client


async def _submit(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.post(
        "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
    )
    assert r.status_code in (200, 201, 202), r.text
    order = await wait_for_order(api, r.json()["data"]["id"], headers)
    [item] = await items_of(api, order["id"], headers)
    return {**item, "workflow_id": order["workflow_id"]}


async def _history(settings: Settings, temporal_address: str, workflow_id: str) -> Any:
    client = await connect(settings, temporal_address)
    return await client.get_workflow_handle(workflow_id).fetch_history()


def _regular(history: Any) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


def _patched(history: Any, patch_id: str = TEMPLATE_EXTRACTOR_PATCH) -> bool:
    return any(
        patch_id.encode() in e.marker_recorded_event_attributes.SerializeToString()
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    )


async def test_a_tenants_template_switches_extractor_and_threshold_and_is_traced(
    tapi: httpx.AsyncClient,
    rules_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    emu: ModelEmulator,
) -> None:
    emu.script(Reply(data=ANSWER, tokens_in=500, tokens_out=60))
    acme = token_for("acme", "work_orders:read", "work_orders:write", "admin")
    globex = token_for("globex")
    published = await tapi.post(
        "/v1/workflow-templates",
        json={
            "name": "acme-invoices",
            "version": "3",
            "document_type": "INVOICE",
            "settings": {
                "extractor": {"mode": "model", "model": "gpt-4o", "tools": ["check.arithmetic"]},
                "verifier": {"pass_threshold": 0.95},
            },
        },
        headers=acme,
    )
    assert published.status_code == 201, published.text
    template_id = published.json()["data"]["id"]

    async with running_worker(rules_settings, database_url, temporal_address):
        mine = await _submit(tapi, acme)
        theirs = await _submit(tapi, globex)
        # v4 switches the Verifier off: the next acme document runs one stage fewer
        v4 = await tapi.post(
            "/v1/workflow-templates",
            json={
                "name": "acme-invoices",
                "version": "4",
                "document_type": "INVOICE",
                "settings": {"verifier": {"enabled": False}},
            },
            headers=acme,
        )
        assert v4.status_code == 201, v4.text
        unverified = await _submit(tapi, acme)

    # acme: the model its template names extracted; the threshold is the template's
    assert mine["status"] == "COMPLETED", mine.get("error")
    assert mine["result"]["template"] == {
        "id": template_id,
        "name": "acme-invoices",
        "version": "3",
        "scope": "tenant",
    }
    attempts = {a["agent_id"]: a for a in await attempts_of(tapi, mine["id"], acme)}
    extractor = attempts["ExtractorLLM"]
    assert extractor["output"]["record"]["extractor"] == "model:openai"
    assert extractor["model"] == "gpt-4o" and extractor["tokens_in"] == 500
    assert extractor["output"]["tools"] == ["check.arithmetic"]
    assert [r.body["model"] for r in emu.requests] == ["gpt-4o"]
    assert attempts["RecordGen"]["output"]["template"]["version"] == "3"
    verified = attempts["Verifier"]["output"]
    assert verified["metrics"]["threshold"] == 0.95
    assert verified["passed"] == (verified["score"] >= 0.95 and verified["metrics"]["valid"])
    # the platform runs rules inline, so the model call moved to a regular activity (patched)
    history = await _history(rules_settings, temporal_address, mine["workflow_id"])
    assert _regular(history) == ["ExtractorLLM"] and _patched(history)
    replayed = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(
        history
    )
    assert replayed.replay_failure is None, replayed.replay_failure
    stored = HISTORIES / "work_order_inline_template_v4.json"  # replayed by the durability test
    if os.environ.get("MYLOWARE_RECORD_HISTORIES") and not stored.exists():
        stored.write_text(json.dumps(json.loads(history.to_json()), indent=2) + "\n")

    # globex: the built-in template, i.e. today's pipeline: rules, local activities, 0.7
    assert theirs["status"] == "COMPLETED", theirs.get("error")
    assert theirs["result"]["template"]["name"] == "builtin"
    assert theirs["result"]["template"]["id"] is None
    their_attempts = {a["agent_id"]: a for a in await attempts_of(tapi, theirs["id"], globex)}
    assert not their_attempts["ExtractorLLM"]["output"]["record"]["extractor"].startswith("model")
    assert their_attempts["Verifier"]["output"]["metrics"]["threshold"] == 0.7
    assert len(emu.requests) == 1  # no model call for globex
    history = await _history(rules_settings, temporal_address, theirs["workflow_id"])
    assert _regular(history) == [] and not _patched(history)

    # v4: no Verifier attempt, no verification; the extractor is the platform's again
    assert unverified["status"] == "COMPLETED", unverified.get("error")
    assert unverified["result"]["template"]["version"] == "4"
    assert unverified["result"]["verification"] is None
    later = {a["agent_id"] for a in await attempts_of(tapi, unverified["id"], acme)}
    assert "Verifier" not in later and {"RecordGen", "ExtractorLLM", "Persister"} <= later
    history = await _history(rules_settings, temporal_address, unverified["workflow_id"])
    assert _patched(history, TEMPLATE_VERIFIER_PATCH)
    replayed = await Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(
        history
    )
    assert replayed.replay_failure is None, replayed.replay_failure
    assert len(emu.requests) == 1

    # the memory tool finds the sender's completed record, the tenant's own only
    engine = create_engine(database_url, pool_size=1)
    try:
        deps = AgentDeps(session_factory(engine), rules_settings, blobs=None)
        for tenant, items in (("acme", [unverified, mine]), ("globex", [theirs])):
            ref = ItemRef(
                work_item_id=uuid.uuid4(),
                work_order_id=uuid.uuid4(),
                tenant_id=tenants[tenant],
            )
            box = Toolbox.for_item(deps, ref, DocumentType.INVOICE, ["memory.sender_lookup"])
            found = await box.call("memory.sender_lookup", sender="acme office supplies ltd")
            assert found["known"] and found["records"] == len(items), tenant
            assert [r["work_item_id"] for r in found["recent"]] == [i["id"] for i in items]
    finally:
        await engine.dispose()

    # the Run Trace names the template version
    page = await tapi.get(f"/ui/work-items/{mine['id']}", headers=await sign_in(tapi, bearer(acme)))
    assert "Workflow template acme-invoices v3 (tenant)" in page.text
    assert "check.arithmetic" in page.text
