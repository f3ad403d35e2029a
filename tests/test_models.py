"""The model layer against a local server speaking the OpenAI and Anthropic wire protocols."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys

import pytest
import redis.asyncio as aioredis

from myloware.documents.model import LoadedDocument
from myloware.errors import ConfigurationError
from myloware.extraction import extract
from myloware.extraction.llm import (
    GROUNDED_CONFIDENCE,
    MODEL_CONFIDENCE,
    extract_hybrid,
    extract_with_model,
    model_supplied,
)
from myloware.models import (
    AnthropicProvider,
    CircuitBreaker,
    ModelError,
    ModelRouter,
    OpenAIProvider,
    RedisBreakers,
)
from myloware.models.pricing import cost_usd
from myloware.records import DocumentType
from myloware.settings import Settings, load_settings
from tests.model_emulator import ModelEmulator, Reply

INVOICE = """ACME Tools GmbH
Hauptstrasse 5, 10115 Berlin
Invoice no. R-2024-117
Date: 03.04.2024
Total EUR 1,190.00
"""
ANSWER = {
    "vendor_name": "ACME Tools GmbH",
    "invoice_number": "R-2024-117",
    "invoice_date": "2024-04-03",
    "total_amount": 1190.0,
    "currency": "EUR",
    "buyer_name": None,
    "made_up_field": "ignored",
}


def openai(emu: ModelEmulator, **kw: object) -> OpenAIProvider:
    options: dict[str, object] = {"model": "gpt-4o-mini", "api_key": "sk-test", "max_retries": 0}
    return OpenAIProvider(base_url=emu.openai_url, **(options | kw))


def claude(emu: ModelEmulator, **kw: object) -> AnthropicProvider:
    options: dict[str, object] = {
        "model": "claude-3-5-haiku-latest",
        "api_key": "k",
        "max_retries": 0,
    }
    return AnthropicProvider(base_url=emu.anthropic_url, **(options | kw))


def doc() -> LoadedDocument:
    return LoadedDocument.from_text(INVOICE, name="invoice.txt")


async def test_openai_extraction_grounds_values_and_costs_tokens(emu: ModelEmulator) -> None:
    emu.script(Reply(data=ANSWER, tokens_in=1000, tokens_out=200))
    record, usage = await extract_with_model(
        doc(), DocumentType.INVOICE, ModelRouter([openai(emu)])
    )
    assert record.extractor == "model:openai"
    assert set(record.fields) == {
        "vendor_name", "invoice_number", "invoice_date", "total_amount", "currency",
    }  # fmt: skip
    vendor = record.fields["vendor_name"]
    assert vendor.confidence == GROUNDED_CONFIDENCE and vendor.span == (0, 15)
    date = record.fields["invoice_date"]  # printed as 03.04.2024: grounded where it is printed
    assert date.confidence == GROUNDED_CONFIDENCE and date.raw == "03.04.2024"
    assert record.fields["total_amount"].confidence == MODEL_CONFIDENCE  # not printed so
    assert usage.tokens_in == 1000 and usage.tokens_out == 200 and usage.model == "gpt-4o-mini"
    assert (
        usage.cost_usd == pytest.approx(cost_usd("gpt-4o-mini", 1000, 200)) and usage.cost_usd > 0
    )
    [seen] = emu.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer sk-test"
    assert seen.body["response_format"]["type"] == "json_schema"
    assert seen.body["max_completion_tokens"] == 2048 and "max_tokens" not in seen.body
    asked = seen.body["response_format"]["json_schema"]["schema"]
    assert "vendor_name" in asked["properties"]
    # every field answered, null where the document does not say: none can be left out
    assert asked["required"] == list(asked["properties"])
    assert asked["properties"]["vendor_name"]["anyOf"][-1] == {"type": "null"}
    assert "ACME Tools GmbH" in seen.body["messages"][1]["content"]


async def test_a_local_server_is_bounded_the_classic_way_and_costs_nothing(
    emu: ModelEmulator,
) -> None:
    emu.script(Reply(data=ANSWER, tokens_in=1000, tokens_out=200))
    local = openai(emu, name="local", model="qwen2.5-coder-1.5b-instruct", local=True)
    record, usage = await extract_with_model(doc(), DocumentType.INVOICE, ModelRouter([local]))
    assert record.extractor == "model:local" and usage.cost_usd == 0 and usage.tokens_in == 1000
    [seen] = emu.requests
    assert seen.body["max_tokens"] == 2048 and "max_completion_tokens" not in seen.body


async def test_anthropic_extraction_uses_a_forced_tool(emu: ModelEmulator) -> None:
    emu.script(Reply(data=ANSWER))
    record, usage = await extract_with_model(
        doc(), DocumentType.INVOICE, ModelRouter([claude(emu)])
    )
    assert record.extractor == "model:anthropic"
    assert record.fields["invoice_number"].value == "R-2024-117"
    assert usage.tokens_in == 120 and usage.cost_usd > 0
    [seen] = emu.requests
    assert seen.path == "/v1/messages", seen.headers
    assert "k" in (seen.headers.get("x-api-key"), seen.headers.get("authorization", "")[7:])
    assert seen.headers["anthropic-version"]
    assert seen.body["tool_choice"] == {"type": "tool", "name": "invoice_record"}
    assert seen.body["tools"][0]["input_schema"]["properties"]["total_amount"]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(text="Sure! The vendor is ACME."), "not JSON"),
        (Reply(text="[1, 2]"), "not an object"),
        (Reply(text=""), "empty answer"),
        (Reply(status=500), "HTTP 500"),
        (Reply(status=401), "API key was refused"),
        (Reply(data={}, delay_s=1.0), "timed out"),
    ],
)
async def test_bad_answers_are_clear_model_errors(
    emu: ModelEmulator, reply: Reply, message: str
) -> None:
    emu.script(reply)
    router = ModelRouter([openai(emu, timeout=0.3)])
    with pytest.raises(ModelError) as caught:
        await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert message in str(caught.value) and "openai" in str(caught.value)


async def test_router_falls_back_and_opens_the_breaker(emu: ModelEmulator) -> None:
    """A failing first provider passes to the next; after N failures it is skipped."""
    now = [0.0]
    emu.script(Reply(text="garbage", tokens_in=50, tokens_out=5), Reply(data=ANSWER))
    router = ModelRouter([openai(emu), claude(emu)], failures=1, reset_s=30, clock=lambda: now[0])
    record, usage = await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert record.extractor == "model:anthropic"
    assert usage.tokens_in == 50 + 120  # the garbage answer still cost its tokens
    assert usage.model == "gpt-4o-mini + claude-3-5-haiku-latest"  # both were paid for
    assert [s.path for s in emu.requests] == ["/v1/chat/completions", "/v1/messages"]
    await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert emu.requests[-1].path == "/v1/messages"  # openai's circuit is open: not asked
    assert len(emu.requests) == 3
    now[0] = 31.0  # half-open after reset_s: openai is tried again
    await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert emu.requests[3].path == "/v1/chat/completions"


async def test_the_breaker_counts_failures_in_a_row(emu: ModelEmulator) -> None:
    """A success in between resets the count: two failures apart never open the circuit."""
    emu.script(Reply(text="garbage"), Reply(data=ANSWER), Reply(text="garbage"), Reply(data=ANSWER))
    router = ModelRouter([openai(emu)], failures=2, reset_s=30, clock=lambda: 0.0)
    for expected in (ModelError, None, ModelError, None):
        if expected is None:
            await extract_with_model(doc(), DocumentType.INVOICE, router)
        else:
            with pytest.raises(ModelError):
                await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert len(emu.requests) == 4  # never skipped


async def test_a_half_open_breaker_lets_one_probe_through() -> None:
    """After the pause one caller probes; the others keep skipping until it reports."""
    now = [0.0]
    breaker = CircuitBreaker(failures=2, reset_s=30, clock=lambda: now[0])
    for _ in range(2):
        assert await breaker.allow()
        await breaker.failed()
    assert not await breaker.allow()
    now[0] = 31.0
    assert await breaker.allow()  # the probe
    assert not await breaker.allow()  # everyone else, meanwhile
    await breaker.failed()  # the probe failed: open for another pause
    now[0] = 45.0
    assert not await breaker.allow()
    now[0] = 62.0
    assert await breaker.allow()
    await breaker.succeeded()
    assert await breaker.allow() and await breaker.allow()  # closed


async def test_workers_share_their_breakers_through_redis(
    emu: ModelEmulator, clean_redis: str
) -> None:
    """Failures add up across workers, the open circuit holds for all, and after the pause
    one probe is sent for the whole fleet."""
    redis = aioredis.from_url(clean_redis)
    shared = RedisBreakers(redis, failures=2, reset_s=0.5)
    workers = [ModelRouter([openai(emu)], breakers=shared.breaker) for _ in range(2)]
    emu.script(Reply(text="garbage"))
    for router in workers:  # one failure each: two in a row for the fleet
        with pytest.raises(ModelError, match="not JSON"):
            await extract_with_model(doc(), DocumentType.INVOICE, router)
    for router in workers:
        with pytest.raises(ModelError, match="circuit open"):
            await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert len(emu.requests) == 2
    await asyncio.sleep(0.6)
    emu.script(Reply(data=ANSWER, delay_s=0.3))
    both = await asyncio.gather(
        *(extract_with_model(doc(), DocumentType.INVOICE, r) for r in workers),
        return_exceptions=True,
    )
    assert len(emu.requests) == 3  # one probe
    assert sorted(type(r).__name__ for r in both) == ["ModelError", "tuple"]
    await extract_with_model(doc(), DocumentType.INVOICE, workers[1])  # closed for all now
    assert len(emu.requests) == 4
    await redis.aclose()


async def test_an_unreachable_redis_does_not_stop_the_model_chain(emu: ModelEmulator) -> None:
    redis = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    shared = RedisBreakers(redis, failures=1, reset_s=30)
    emu.script(Reply(data=ANSWER))
    record, _ = await extract_with_model(
        doc(), DocumentType.INVOICE, ModelRouter([openai(emu)], breakers=shared.breaker)
    )
    assert record.extractor == "model:openai"
    await redis.aclose()


async def test_any_provider_surprise_falls_through_the_chain(emu: ModelEmulator) -> None:
    """A 200 with an HTML page (a proxy's login page) is that provider's failure, not a crash."""
    emu.script(Reply(page="<html><body>Please sign in</body></html>"), Reply(data=ANSWER))
    router = ModelRouter([openai(emu), claude(emu)])
    record, _ = await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert record.extractor == "model:anthropic"
    emu.script(Reply(page="<html>nope</html>"))
    with pytest.raises(ModelError, match=r"openai: unusable answer .*anthropic: unusable answer"):
        await extract_with_model(doc(), DocumentType.INVOICE, router)


async def test_the_chain_has_one_deadline(emu: ModelEmulator) -> None:
    """Slow providers cannot add up past the deadline (the activity's limit stays unreached)."""
    emu.script(Reply(data=ANSWER, delay_s=2.0))
    router = ModelRouter([openai(emu, timeout=10), claude(emu, timeout=10)], deadline_s=0.5)
    with pytest.raises(ModelError) as caught:
        await extract_with_model(doc(), DocumentType.INVOICE, router)
    assert "openai: out of time" in str(caught.value)
    assert "anthropic: skipped, out of time" in str(caught.value)
    assert len(emu.requests) == 1


async def test_hybrid_asks_the_model_only_for_what_rules_miss(emu: ModelEmulator) -> None:
    complete = LoadedDocument.from_text(
        "ACME Tools GmbH\nHauptstrasse 5\n10115 Berlin\nDate: 03.04.2024\nTOTAL 1,190.00\n"
    )  # a one-line address is right too rarely (calibrated below the threshold) to keep
    record, usage = await extract_hybrid(complete, DocumentType.INVOICE, ModelRouter([openai(emu)]))
    assert emu.requests == []  # the rules read every key field: no call, no cost
    assert usage.tokens_in == 0 and record.extractor == "rules"
    sparse = LoadedDocument.from_text("thanks for your business\n")
    emu.script(Reply(data={"vendor_name": "Nobody Ltd", "total_amount": 5.0}))
    record, usage = await extract_hybrid(sparse, DocumentType.INVOICE, ModelRouter([openai(emu)]))
    assert record.extractor == "hybrid:openai" and usage.tokens_in == 120
    assert record.fields["vendor_name"].value == "Nobody Ltd"
    assert record.fields["vendor_name"].confidence == MODEL_CONFIDENCE  # not in the text
    # what the Run Trace shows as the model's: the fields it filled in, not the rules' others
    assert model_supplied(record, extract(sparse, DocumentType.INVOICE)) == [
        "total_amount",
        "vendor_name",
    ]


async def test_hybrid_keeps_the_rules_record_when_no_model_answers(emu: ModelEmulator) -> None:
    emu.script(Reply(status=503))
    sparse = LoadedDocument.from_text("thanks for your business\n")
    record, _ = await extract_hybrid(sparse, DocumentType.INVOICE, ModelRouter([openai(emu)]))
    assert record.extractor == "hybrid:rules (model unavailable)"


def test_router_from_settings_refuses_missing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYLOWARE_OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="MYLOWARE_OPENAI_API_KEY"):
        ModelRouter.from_settings(Settings(_env_file=None, model_providers=["openai"]))  # type: ignore[call-arg]  # pydantic-settings' _env_file
    router = ModelRouter.from_settings(Settings(_env_file=None, model_providers=["local"]))  # type: ignore[call-arg]  # pydantic-settings' _env_file
    assert [p.name for p in router.providers] == ["local"]


def test_settings_refuse_a_model_extractor_that_cannot_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checked at start-up, not on the first document: keys for the chain, a non-empty chain."""
    monkeypatch.delenv("MYLOWARE_ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("MYLOWARE_EXTRACTOR", "hybrid")
    monkeypatch.setenv("MYLOWARE_MODEL_PROVIDERS", '["anthropic"]')
    with pytest.raises(ConfigurationError, match="MYLOWARE_ANTHROPIC_API_KEY"):
        load_settings(_env_file=None)
    monkeypatch.setenv("MYLOWARE_MODEL_PROVIDERS", "anthropic")  # not JSON
    with pytest.raises(ConfigurationError, match="list settings are JSON"):
        load_settings(_env_file=None)
    monkeypatch.setenv("MYLOWARE_MODEL_PROVIDERS", "[]")
    with pytest.raises(ConfigurationError, match="needs MYLOWARE_MODEL_PROVIDERS"):
        load_settings(_env_file=None)


def test_costs_follow_the_price_table() -> None:
    assert cost_usd("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert cost_usd("gpt-4o-2024-08-06", 0, 1_000_000) == pytest.approx(10.0)
    assert cost_usd("some-unknown-model", 10_000, 10_000) == 0.0
    assert cost_usd("gpt-4o", 1000, 1000, local=True) == 0.0


def test_the_offline_platform_does_not_load_the_model_sdks() -> None:
    """The vendors' SDKs (a second and ~100 MB to import) and the Agents SDK load only when
    a model is used."""
    code = (
        "import sys, myloware.worker.build, myloware.api.app, myloware.cli; "
        "print(sorted(m for m in ('openai', 'anthropic', 'agents') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_hybrid_asks_the_model_only_for_what_it_measured_better_at() -> None:
    """model_fields.json: the model fills a key field only where it beat the rules on the
    dev sets (ties and losses stay with the rules); a field not measured is still asked."""
    from myloware.extraction import extract
    from myloware.extraction.llm import model_fields, needs_model

    for fields in model_fields().values():
        for measured in fields.values():
            assert measured["ask"] == (measured["hybrid_right"] > measured["rules_right"])
    assert model_fields()["INVOICE"]["vendor_address"]["ask"] is False
    no_address = extract(
        LoadedDocument.from_text("ACME Tools GmbH\nDate: 03.04.2024\nTotal EUR 1,190.00\n")
    )
    assert "vendor_address" not in no_address.fields and needs_model(no_address) == []
    no_date = extract(LoadedDocument.from_text("ACME Tools GmbH\nTotal EUR 1,190.00\n"))
    assert needs_model(no_date) == ["invoice_date"]


def test_a_date_the_document_does_not_print_is_not_taken_from_the_model() -> None:
    """A small model sometimes invents a date for a document that prints none: a date must
    be printed (in any format) to be kept, and is grounded where it is printed."""
    from myloware.extraction.llm import fields_from_reply

    doc = LoadedDocument.from_text("ACME Tools GmbH\nOrder 17 shipped 01.04.2024\nTotal EUR 9.00\n")
    kept = fields_from_reply({"invoice_date": "2024-04-01"}, doc, DocumentType.INVOICE)
    assert kept["invoice_date"].raw == "01.04.2024" and kept["invoice_date"].span is not None
    invented = fields_from_reply({"invoice_date": "2024-05-09"}, doc, DocumentType.INVOICE)
    assert "invoice_date" not in invented
    other = fields_from_reply({"invoice_number": "R-77"}, doc, DocumentType.INVOICE)
    assert other["invoice_number"].span is None  # other fields: kept, at the lower confidence


def test_the_model_may_answer_an_amount_as_a_number() -> None:
    """Offered only a quoted decimal or null, the bundled model nulled every total (it wants
    to write a number): the asked schema also takes a number, which comes back as the
    canonical decimal string, grounded where it is printed."""
    from jsonschema import Draft202012Validator

    from myloware.extraction.llm import fields_from_reply, model_schema

    asked = model_schema(DocumentType.INVOICE)
    Draft202012Validator.check_schema(asked)
    answer = {name: None for name in asked["required"]} | {"total_amount": 60.3, "subtotal": 60}
    assert not list(Draft202012Validator(asked).iter_errors(answer))
    assert list(Draft202012Validator(asked).iter_errors(answer | {"total_amount": "60.3"}))
    doc = LoadedDocument.from_text("ACME Tools GmbH\nSubtotal 60.00\nTotal EUR 60.30\n")
    got = fields_from_reply(answer, doc, DocumentType.INVOICE)
    assert got["total_amount"].value == "60.30" and got["total_amount"].raw == "60.30"
    assert got["subtotal"].value == "60.00" and got["subtotal"].span is not None
    assert "vendor_name" not in got  # null: not answered


def test_every_free_text_the_model_writes_is_bounded() -> None:
    """Asked for an address alone, the small model went on through the whole receipt: the
    grammar built from the asked schema must close every free string in time."""
    from myloware.extraction.llm import MAX_ANSWER_CHARS, model_schema

    asked = model_schema(DocumentType.INVOICE, only=["vendor_address", "vendor_name"])
    assert asked["$defs"]["optional_text"]["maxLength"] == MAX_ANSWER_CHARS
    name = asked["properties"]["vendor_name"]["anyOf"][0]
    assert name["type"] == "string" and name["maxLength"] == MAX_ANSWER_CHARS
    # a string with its own shape (a date's format, an amount's pattern) keeps it alone
    assert "maxLength" not in asked["$defs"]["optional_date"]
    assert "maxLength" not in asked["$defs"]["amount"]
    # and no pattern keeps a "\\d" llama.cpp does not know
    patterns = re.findall(r'"pattern": "([^"]*)"', json.dumps(model_schema(DocumentType.INVOICE)))
    assert patterns and not any("\\\\d" in p for p in patterns)
