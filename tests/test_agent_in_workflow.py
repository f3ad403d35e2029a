"""The extractor agent run in the workflow through Temporal's OpenAI Agents integration: each
model call and each tool call is an activity in the history, a failed model call is retried by
Temporal, every call is accounted on its own attempt, and the history replays."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import httpx
import pytest
from openai.types.responses import ResponseFunctionToolCall
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.openai_agents import OpenAIAgentsPlugin, OpenAIPayloadConverter
from temporalio.worker import Replayer

from myloware.agents.turns import MODEL_ACTIVITY, chain_name, stage_of
from myloware.contracts import ExtractOutput, ItemRef
from myloware.pipeline_template import ExtractorStage
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.settings import Settings
from myloware.temporal_client import connect
from myloware.worker.build import WORKFLOWS
from myloware.workflows.agent_step import AGENT_IN_WORKFLOW_PATCH
from myloware.workflows.converter import DATA_CONVERTER
from tests.auth_support import TokenFor
from tests.model_emulator import ModelEmulator, Reply
from tests.pipeline_support import (
    attempts_of,
    items_of,
    running_worker,
    wait_for_order,
)
from tests.test_pipeline_durability import HISTORIES
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.test_pipeline_models import ANSWER
from tests.ui_support import bearer, sign_in

# histories with the agent in the workflow: replayed with the plugin only (not by
# tests/test_pipeline_durability, whose replayer has none)
AGENT_HISTORIES = HISTORIES / "agent"
ARITHMETIC = {"subtotal": 50, "tax_amount": 10, "total_amount": 60}


def test_our_values_are_written_as_before_and_the_sdks_without_unset_fields() -> None:
    """MyloWare's payloads are byte for byte ``pydantic_data_converter``'s; an SDK item leaves
    out the fields nobody set (a ``null`` there does not read back as a model input)."""
    ref = ItemRef(work_item_id=uuid.uuid4(), work_order_id=uuid.uuid4(), tenant_id=uuid.uuid4())
    record = CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={"total_amount": FieldValue(value="60.00", confidence=0.9)},
    )
    ours, theirs = DATA_CONVERTER.payload_converter, pydantic_data_converter.payload_converter
    values: list[Any] = [ref, ExtractOutput(record=record), {"a": [1, 2.5, "x"]}, "t", None]
    for value in values:
        [mine], [other] = ours.to_payloads([value]), theirs.to_payloads([value])
        assert mine == other, value
        hint = [type(value)] if value is not None else None
        assert ours.from_payloads([other], hint) == [value]
    # our models inside a list or a dict keep their unset fields too ("findings": [] here)
    for box in ([ExtractOutput(record=record)], {"out": ExtractOutput(record=record)}):
        assert ours.to_payloads([box]) == theirs.to_payloads([box])
    call = ResponseFunctionToolCall(
        type="function_call", call_id="c1", name="check_arithmetic", arguments="{}"
    )
    [payload] = ours.to_payloads([call])
    assert json.loads(payload.data) == {
        "type": "function_call",
        "call_id": "c1",
        "name": "check_arithmetic",
        "arguments": "{}",
    }
    assert "namespace" in json.loads(theirs.to_payloads([call])[0].data)  # the old way: null


def test_the_plugin_refuses_every_client_converter_so_it_goes_on_workers_only() -> None:
    """On a client the plugin takes no converter of ours, not even its own class (temporalio
    1.35 wraps every payload converter): it goes on the workers, which keep ours."""
    plugin = OpenAIAgentsPlugin()
    for converter in (
        DATA_CONVERTER,
        pydantic_data_converter,
        DataConverter(payload_converter_class=OpenAIPayloadConverter),
    ):
        with pytest.raises(ValueError, match="must be of type OpenAIPayloadConverter"):
            plugin.configure_client({"data_converter": converter})  # type: ignore[typeddict-item]  # only the key it reads


async def test_stored_histories_replay_under_the_plugin_and_its_converter() -> None:
    """Every stored history (older code, ``pydantic_data_converter``) also decodes and
    replays with the plugin and its own converter (tests/test_pipeline_durability: ours), and
    so does a recorded agent run in the workflow (it needs the plugin's runner)."""
    stored = sorted(HISTORIES.glob("*.json")) + sorted(AGENT_HISTORIES.glob("*.json"))
    assert len(stored) >= 5 and (AGENT_HISTORIES / "work_order_inline_agent_v1.json") in stored
    replayer = Replayer(workflows=WORKFLOWS, plugins=[OpenAIAgentsPlugin()])
    converter = replayer.config(active_config=True)["data_converter"]
    assert converter.payload_converter_class is OpenAIPayloadConverter
    for path in stored:
        history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
        result = await replayer.replay_workflow(history)
        assert result.replay_failure is None, (path.stem, result.replay_failure)


def test_the_model_name_carries_the_templates_chain() -> None:
    """The chain a template names goes to the model activity as its model name and back."""
    stage = ExtractorStage(providers=["anthropic", "openai"], model="claude-x")
    assert stage_of(chain_name(stage)) == ExtractorStage(
        providers=["anthropic", "openai"], model="claude-x"
    )
    assert stage_of("gpt-4o") == stage_of(None) == ExtractorStage()


@pytest.fixture
def durable_settings(agent_settings: Settings) -> Settings:
    """``MYLOWARE_EXTRACTOR=agent`` with ``agent_in_workflow`` unset: in the workflow."""
    return agent_settings.model_copy(update={"agent_in_workflow": None})


async def _one_document(
    api: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    temporal_address: str,
    headers: dict[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order of one text invoice and its item, once a worker with ``settings`` settled it."""
    async with running_worker(settings, database_url, temporal_address):
        r = await api.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        order = await wait_for_order(api, r.json()["data"]["id"], headers)
    [item] = await items_of(api, order["id"], headers)
    assert item["status"] == "COMPLETED", item.get("error")
    return order, item


def _scheduled(history: WorkflowHistory) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


def _started_attempts(history: WorkflowHistory) -> list[int]:
    return [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    ]


@pytest.mark.parametrize("model_queue", [False, True], ids=["one-queue", "model-queue"])
async def test_each_model_and_tool_call_is_an_activity_retried_and_accounted(
    aapi: httpx.AsyncClient,
    durable_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
    model_queue: bool,
) -> None:
    """A document in agent mode: the first model call fails and Temporal runs it again, the
    model checks the arithmetic (a tool activity), then answers; the history has one activity
    per call (on the model task queue where there is one), each call has its attempt row
    (tokens, cost, transcript), the record is the agent's, and the history replays."""
    queue = f"{durable_settings.task_queue}-models" if model_queue else None
    durable_settings = durable_settings.model_copy(update={"model_task_queue": queue})
    emu.script(
        Reply(status=500),  # the first model activity's first attempt
        Reply(tool_calls=[("check_arithmetic", ARITHMETIC)], tokens_in=700, tokens_out=30),
        Reply(data=ANSWER, tokens_in=800, tokens_out=90),
    )
    headers = token_for("acme")
    order, item = await _one_document(
        aapi, durable_settings, database_url, temporal_address, headers
    )
    assert item["result"]["fields"]["total_amount"] == "60.00"

    client = await connect(durable_settings, temporal_address)
    history = await client.get_workflow_handle(order["workflow_id"]).fetch_history()
    scheduled = _scheduled(history)
    agent_part = scheduled[scheduled.index(MODEL_ACTIVITY) :]
    assert agent_part[:4] == [MODEL_ACTIVITY, "ExtractorTool", MODEL_ACTIVITY, "ExtractorAgent"]
    assert 2 in _started_attempts(history)  # the failed model call, run again by Temporal
    assert {
        e.activity_task_scheduled_event_attributes.task_queue.name
        for e in history.events
        if e.activity_task_scheduled_event_attributes.activity_type.name == MODEL_ACTIVITY
    } == {queue or durable_settings.task_queue}
    assert any(AGENT_IN_WORKFLOW_PATCH.encode() in e.SerializeToString() for e in history.events)

    attempts = await attempts_of(aapi, item["id"], headers)
    calls = [a for a in attempts if a["agent_id"] == "ExtractorModelCall"]
    assert [c["status"] for c in calls] == ["FAILED", "COMPLETED", "COMPLETED"]
    assert [c["attempt_number"] for c in calls] == [1, 2, 1]
    assert [(c["tokens_in"], c["tokens_out"]) for c in calls[1:]] == [(700, 30), (800, 90)]
    assert calls[1]["model"] == "gpt-4o-mini" and float(calls[1]["cost_usd"]) > 0
    [answered] = calls[2]["output"]["usage"]["calls"]
    assert "check_arithmetic" in answered["prompt"]  # the conversation, tool call spelled out
    assert calls[0]["output"]["usage"]["calls"][0]["error"]  # the failed request is kept
    [handed] = [a for a in attempts if a["agent_id"] == "ExtractorLLM"]
    plan = handed["output"]["agent"]  # the document's text expires with the transcripts
    assert plan["schema_name"] == "invoice_record" and "prompt" not in plan
    [tool] = [a for a in attempts if a["agent_id"] == "ExtractorTool"]
    assert "arguments" not in tool["input"] and tool["input"]["name"] == "check.arithmetic"
    [kept] = tool["output"]["usage"]["tools"]
    assert kept["tool"] == "check.arithmetic" and json.loads(kept["output"])["consistent"]
    assert tool["tokens_in"] is None  # a tool call is no model call
    [agent] = [a for a in attempts if a["agent_id"] == "ExtractorAgent"]
    assert agent["output"]["record"]["extractor"] == "agent:openai"
    assert agent["tokens_in"] is None  # the calls are counted once, on their own rows

    trace = await aapi.get(
        f"/ui/work-items/{item['id']}", headers=await sign_in(aapi, bearer(headers))
    )
    assert trace.text.count("ExtractorModelCall") >= 3 and "ExtractorTool" in trace.text
    assert "tool call 1: check.arithmetic" in trace.text and "model call 1" in trace.text
    assert "agent: openai (gpt-4o-mini) read every field, with its tools" in trace.text

    replayer = Replayer(workflows=WORKFLOWS, plugins=[OpenAIAgentsPlugin()])
    replayed = await replayer.replay_workflow(history)
    assert replayed.replay_failure is None, replayed.replay_failure
    stored = AGENT_HISTORIES / "work_order_inline_agent_v1.json"  # replayed below, for ever
    if os.environ.get("MYLOWARE_RECORD_HISTORIES") and not model_queue and not stored.exists():
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_text(json.dumps(json.loads(history.to_json()), indent=2) + "\n")


@pytest.mark.parametrize(
    ("script", "update", "reason"),
    [
        ([Reply(status=500)] * 2, {"agent_model_attempts": 2}, "no model answered"),
        (
            [Reply(tool_calls=[("check_arithmetic", ARITHMETIC)], tokens_in=150, tokens_out=60)],
            {"model_budget_tokens_per_order": 200},
            "the order's budget spent",
        ),
        (
            # the model still thinking when the run's deadline passes: cancelled, not awaited
            [Reply(data=ANSWER, delay_s=20)],
            {"agent_run_deadline_s": 3},
            "the agent run passed its deadline (3 s)",
        ),
    ],
    ids=["every-try-fails", "budget-spent-mid-run", "deadline-passed"],
)
async def test_an_agent_run_without_a_record_leaves_the_rules_record_and_the_reason(
    aapi: httpx.AsyncClient,
    durable_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
    script: list[Reply],
    update: dict[str, Any],
    reason: str,
) -> None:
    """No answer in ``agent_model_attempts`` tries, the budget spent after the first call
    (the second is not asked, nor retried), or the whole run past its deadline: the rules'
    record goes on, saying why."""
    emu.script(*script)
    headers = token_for("acme")
    settings = durable_settings.model_copy(update=update)
    _, item = await _one_document(aapi, settings, database_url, temporal_address, headers)
    attempts = await attempts_of(aapi, item["id"], headers)
    [agent] = [a for a in attempts if a["agent_id"] == "ExtractorAgent"]
    extractor = agent["output"]["record"]["extractor"]
    assert extractor.startswith("rules (fallback: the agent gave no record")
    assert reason in extractor, extractor
    assert agent["output"]["budget_exhausted"] == ("budget" in reason)
    assert item["result"]["fields"]["invoice_number"] == "INV-2024-0042"  # read by the rules
    assert len(emu.requests) == len(script)
