"""ExtractorLLM as an Agents SDK agent (extractor mode ``agent``): it calls its tools through
MyloWare's model router, answers with the canonical record, and every model and tool call is
kept on the attempt; whatever fails ends in the rules' record with the reason, or a record the
model gave after reading the failure."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from myloware.agents import AgentDeps
from myloware.agents.extractor_agent import MAX_TURNS, parse_record, record_answer, sdk_name
from myloware.agents.tools import check_arithmetic
from myloware.contracts import ExtractInput, ExtractOutput, ModelExtractInput, RecordGenInput
from myloware.db.engine import create_engine, session_factory
from myloware.models.pricing import cost_usd
from myloware.models.transcript import conversation_text
from myloware.pipeline_template import BUILTIN_TOOL_NAMES, ExtractorStage
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.model_emulator import ModelEmulator, Reply
from tests.pipeline_support import (
    attempts_of,
    items_of,
    running_worker,
    wait_for_order,
)
from tests.test_pipeline_e2e import TEXT_INVOICE
from tests.test_pipeline_models import ANSWER
from tests.ui_support import bearer, sign_in
from tests.worker_support import Agents, stored_item

ARITHMETIC = {"subtotal": 50, "tax_amount": 10, "total_amount": 60}


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body.get("tools", [])]


async def test_check_arithmetic_names_what_does_not_add_up() -> None:
    """The arithmetic tool checks each line, the lines against the subtotal and the total."""
    lines: list[dict[str, Any]] = [
        {"quantity": 2, "unit_price": "10.00", "amount": "20.00"},
        {"amount": "30.00"},
    ]
    ok = await check_arithmetic(None, line_items=lines, **ARITHMETIC)
    assert ok == {"consistent": True, "checks": 3, "problems": []}
    bad = await check_arithmetic(
        None, line_items=[{"quantity": 2, "unit_price": 10, "amount": 25}], subtotal=25,
        tax_amount=5, total_amount=31,
    )  # fmt: skip
    assert not bad["consistent"]
    assert bad["problems"] == [
        "line 1: 2 × 10 = 20, not 25",
        "subtotal 25 + tax 5 = 30, not the total 31",
    ]


def test_the_final_answer_is_read_from_a_code_fence_or_refused() -> None:
    """A local model's answer in a code fence still parses; prose, or JSON that names none of
    the record's fields, is refused with what it was."""
    assert parse_record('```json\n{"vendor_name": "ACME"}\n```') == {"vendor_name": "ACME"}
    with pytest.raises(ValueError, match="not a JSON object"):
        parse_record("I cannot read this invoice.")
    assert sdk_name("memory.sender_lookup") == "memory_sender_lookup"
    # the bundled 1.5B model, offered tools, wrote its tool call as text (measured)
    as_text = '```json\n{"name": "check_arithmetic", "arguments": {"subtotal": 118.0}}\n```'
    schema: dict[str, Any] = {"properties": {"vendor_name": {}, "total_amount": {}}}
    with pytest.raises(ValueError, match=r"none of the record's fields \(keys: arguments, name"):
        record_answer(as_text, schema)
    assert record_answer('{"total_amount": 5}', schema) == {"total_amount": 5}


def test_the_transcript_spells_out_tool_calls_and_results() -> None:
    """An agent's conversation is kept as text: the call, its arguments, the tool's answer."""
    text = conversation_text(
        [
            {"role": "system", "content": "be exact"},
            {"role": "user", "content": "<document>…</document>"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"function": {"name": "check_arithmetic", "arguments": '{"subtotal": 1}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"consistent": true}'},
        ]
    )
    assert "be exact" not in text  # the system prompt is kept on its own
    assert '[assistant → tool check_arithmetic]\n{"subtotal": 1}' in text
    assert '[tool result call_1]\n{"consistent": true}' in text


async def _input(agents: Agents, tenant: uuid.UUID) -> ExtractInput:
    """A stored invoice after RecordGen, as the workflow hands it to ExtractorLLM."""
    ref = await stored_item(agents.deps.sessions, tenant)
    gen = await agents.record_gen.run(RecordGenInput(item=ref))
    assert gen.template is not None
    return ExtractInput(
        item=ref,
        document_type=gen.document_type,
        settings=ExtractorStage(mode="agent"),
        tools=gen.template.tools,
    )


async def _extract(deps: AgentDeps, tenant: uuid.UUID) -> ExtractOutput:
    agents = Agents(deps)
    return await agents.extractor.run(await _input(agents, tenant))


async def test_with_a_model_queue_the_agent_runs_on_it_not_in_the_documents_slot(
    tenants: dict[str, uuid.UUID], clean_db: str, agent_settings: Settings, emu: ModelEmulator
) -> None:
    """ExtractorLLM hands an agent run to the model task queue, asking no model itself;
    ExtractorModel there runs the agent."""
    emu.script(Reply(data=ANSWER))
    queued = agent_settings.model_copy(update={"model_task_queue": "agents-models"})
    engine = create_engine(clean_db, pool_size=2)
    try:
        agents = Agents(AgentDeps(session_factory(engine), queued, None))
        inp = await _input(agents, tenants["acme"])
        handed = await agents.extractor.run(inp)
        assert handed.model_queue == "agents-models" and emu.requests == []
        asked = await agents.extractor.model(
            ModelExtractInput(**inp.model_dump(), rules=handed.record)
        )
    finally:
        await engine.dispose()
    assert asked.record.extractor == "agent:openai" and len(emu.requests) == 1
    assert asked.tools == list(BUILTIN_TOOL_NAMES)


async def test_a_tool_that_raises_is_reported_to_the_model_which_still_answers(
    tenants: dict[str, uuid.UUID], clean_db: str, agent_settings: Settings, emu: ModelEmulator
) -> None:
    """The memory tool called without its argument raises: the model reads why, the
    transcript keeps the error, and the record the model then gives stands."""
    emu.script(
        Reply(tool_calls=[("memory_sender_lookup", {"vendor": "ACME"})]),
        Reply(data=ANSWER),
    )
    engine = create_engine(clean_db, pool_size=2)
    try:
        out = await _extract(
            AgentDeps(session_factory(engine), agent_settings, None), tenants["acme"]
        )
    finally:
        await engine.dispose()
    assert out.record.extractor == "agent:openai"
    assert out.record.fields["invoice_number"].value == "INV-2024-0042"
    assert out.usage is not None
    [call] = out.usage.tools
    assert call.tool == "memory.sender_lookup" and call.output is None
    assert call.error is not None and "sender" in call.error
    told = [m for m in emu.requests[1].body["messages"] if m["role"] == "tool"]
    assert "the tool failed" in told[0]["content"]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ([Reply(status=500)], "no model answered"),
        ([Reply(text="Sorry, I only chat.")], "not a JSON object"),
        ([Reply(tool_calls=[("check_arithmetic", ARITHMETIC)])], "Max turns"),
    ],
    ids=["no-model", "not-json", "endless-tools"],
)
async def test_an_agent_without_a_record_leaves_the_rules_record_and_the_reason(
    tenants: dict[str, uuid.UUID],
    clean_db: str,
    agent_settings: Settings,
    emu: ModelEmulator,
    script: list[Reply],
    reason: str,
) -> None:
    """No model, an answer that is not JSON, or tool calls without end: the rules read the
    document, the record says why the agent did not, and what was spent is kept."""
    emu.script(*script)
    engine = create_engine(clean_db, pool_size=2)
    try:
        out = await _extract(
            AgentDeps(session_factory(engine), agent_settings, None), tenants["acme"]
        )
    finally:
        await engine.dispose()
    assert out.record.extractor.startswith("rules (fallback: the agent gave no record")
    assert reason in out.record.extractor
    assert out.record.fields["invoice_number"].value == "INV-2024-0042"  # read by the rules
    assert out.usage is not None and out.usage.calls  # the failed requests are in the trace
    if reason == "Max turns":
        assert len(emu.requests) == MAX_TURNS and len(out.usage.tools) == MAX_TURNS
        assert out.usage.tokens_in == 120 * MAX_TURNS


async def test_the_agent_is_offered_only_its_allowed_tools_and_cannot_call_others(
    tenants: dict[str, uuid.UUID], clean_db: str, agent_settings: Settings, emu: ModelEmulator
) -> None:
    """A template allowing only the arithmetic tool: the model sees that one; its call to
    another ends the run in the rules' record, naming the tool."""
    emu.script(Reply(tool_calls=[("document_read", {"page": 1})]))
    engine = create_engine(clean_db, pool_size=2)
    try:
        agents = Agents(AgentDeps(session_factory(engine), agent_settings, None))
        inp = await _input(agents, tenants["acme"])
        out = await agents.extractor.run(inp.model_copy(update={"tools": ["check.arithmetic"]}))
    finally:
        await engine.dispose()
    assert _tool_names(emu.requests[0].body) == ["check_arithmetic"]
    assert out.tools == ["check.arithmetic"]
    assert out.record.extractor.startswith("rules (fallback: the agent gave no record")
    assert "document_read" in out.record.extractor
    assert out.usage is not None and out.usage.tools == []  # nothing was run


async def test_each_turn_falls_back_down_the_chain_to_anthropic(
    tenants: dict[str, uuid.UUID], clean_db: str, agent_settings: Settings, emu: ModelEmulator
) -> None:
    """OpenAI fails both turns; Anthropic, next in the chain, calls the tool and answers
    through its answer tool — the conversation carried over in its own wire format."""
    emu.script(
        Reply(status=500),
        Reply(tool_calls=[("check_arithmetic", ARITHMETIC)]),
        Reply(status=500),
        Reply(data=ANSWER),
    )
    chain = agent_settings.model_copy(
        update={
            "model_providers": ["openai", "anthropic"],
            "anthropic_api_key": SecretStr("sk-ant-test"),
            "anthropic_base_url": emu.anthropic_url,
        }
    )
    engine = create_engine(clean_db, pool_size=2)
    try:
        out = await _extract(AgentDeps(session_factory(engine), chain, None), tenants["acme"])
    finally:
        await engine.dispose()
    assert out.record.extractor == "agent:anthropic"
    assert out.record.fields["vendor_name"].value == "ACME Office Supplies Ltd"
    assert [r.path for r in emu.requests] == ["/v1/chat/completions", "/v1/messages"] * 2
    first, second = emu.requests[1].body, emu.requests[3].body
    assert first["tool_choice"] == {"type": "any"}
    assert [t["name"] for t in first["tools"]][-1] == "invoice_record"  # the answer tool
    [result] = second["messages"][-1]["content"]
    assert result["type"] == "tool_result" and '"consistent": true' in result["content"]
    assert out.usage is not None
    assert [c.provider for c in out.usage.calls] == ["openai", "anthropic"] * 2
    assert [c.tool for c in out.usage.tools] == ["check.arithmetic"]


async def test_a_run_past_its_deadline_leaves_the_rules_record(
    tenants: dict[str, uuid.UUID], clean_db: str, agent_settings: Settings, emu: ModelEmulator
) -> None:
    """Each turn answers within the chain's deadline, but the run as a whole may not take
    longer than it either: the rules' record, saying so, and the turns it paid for."""
    emu.script(Reply(tool_calls=[("check_arithmetic", ARITHMETIC)], delay_s=0.6))
    hurried = agent_settings.model_copy(update={"model_deadline_s": 1.0})
    engine = create_engine(clean_db, pool_size=2)
    try:
        out = await _extract(AgentDeps(session_factory(engine), hurried, None), tenants["acme"])
    finally:
        await engine.dispose()
    assert "out of time (1 s for the run)" in out.record.extractor
    assert out.record.fields["invoice_number"].value == "INV-2024-0042"  # read by the rules
    assert out.usage is not None and len(out.usage.calls) == 1  # the second turn was cut


async def test_a_budget_spent_mid_run_asks_no_further_turn_and_tells_the_policy(
    tenants: dict[str, uuid.UUID], clean_db: str, agent_settings: Settings, emu: ModelEmulator
) -> None:
    """The order may spend 200 tokens: the first turn (a tool call) spends 210, so no second
    turn is asked; the rules' record says why and the output flags the spent budget."""
    emu.script(
        Reply(tool_calls=[("check_arithmetic", ARITHMETIC)], tokens_in=150, tokens_out=60),
        Reply(data=ANSWER),
    )
    budgeted = agent_settings.model_copy(update={"model_budget_tokens_per_order": 200})
    engine = create_engine(clean_db, pool_size=2)
    try:
        out = await _extract(AgentDeps(session_factory(engine), budgeted, None), tenants["acme"])
    finally:
        await engine.dispose()
    assert len(emu.requests) == 1
    assert "token budget ran out mid-document (210 of 200" in out.record.extractor
    assert out.budget_exhausted and out.usage is not None
    assert (out.usage.tokens_in, out.usage.tokens_out) == (150, 60)
    assert [c.tool for c in out.usage.tools] == ["check.arithmetic"]


async def test_the_agent_calls_a_tool_then_answers_and_the_trace_shows_both(
    aapi: httpx.AsyncClient,
    agent_settings: Settings,
    database_url: str,
    temporal_address: str,
    token_for: TokenFor,
    emu: ModelEmulator,
) -> None:
    """Through the worker: the model checks the arithmetic with its tool, then answers; the
    attempt adds up both model calls (cost, the SDK's retry) and keeps the tool call, and the
    Run Trace shows them."""
    emu.script(
        Reply(status=503),  # retried by the SDK: the first call says so
        Reply(tool_calls=[("check_arithmetic", ARITHMETIC)], tokens_in=700, tokens_out=30),
        Reply(data=ANSWER, tokens_in=800, tokens_out=90),
    )
    headers = token_for("acme")
    retrying = agent_settings.model_copy(update={"model_max_retries": 1})
    async with running_worker(retrying, database_url, temporal_address):
        r = await aapi.post(
            "/v1/work-orders", json={"work_items": [{"content": TEXT_INVOICE}]}, headers=headers
        )
        order = await wait_for_order(aapi, r.json()["data"]["id"], headers)
    [item] = await items_of(aapi, order["id"], headers)
    assert item["status"] == "COMPLETED", item.get("error")
    assert item["result"]["fields"]["total_amount"] == "60.00"
    [extractor] = [
        a for a in await attempts_of(aapi, item["id"], headers) if a["agent_id"] == "ExtractorLLM"
    ]
    assert extractor["output"]["record"]["extractor"] == "agent:openai"
    assert (extractor["tokens_in"], extractor["tokens_out"]) == (1500, 120)
    usage = extractor["output"]["usage"]
    assert [c["tokens_in"] for c in usage["calls"]] == [700, 800]
    assert usage["calls"][0]["cost_usd"] == cost_usd("gpt-4o-mini", 700, 30)
    assert [c["retries"] for c in usage["calls"]] == [1, 0]
    [tool] = usage["tools"]
    assert tool["tool"] == "check.arithmetic" and tool["error"] is None
    assert json.loads(tool["output"])["consistent"] is True
    # the model was offered every tool the built-in template allows, as function tools
    assert _tool_names(emu.requests[1].body) == [sdk_name(n) for n in BUILTIN_TOOL_NAMES]
    assert "response_format" in emu.requests[1].body  # the record's schema, as output type
    answered = [m for m in emu.requests[2].body["messages"] if m["role"] == "tool"]
    assert json.loads(answered[0]["content"])["consistent"] is True
    trace = await aapi.get(
        f"/ui/work-items/{item['id']}", headers=await sign_in(aapi, bearer(headers))
    )
    assert "tool call 1: check.arithmetic" in trace.text
    assert "model call 2" in trace.text and "1 SDK retry" in trace.text
    assert "agent: openai (gpt-4o-mini) read every field, with its tools" in trace.text
