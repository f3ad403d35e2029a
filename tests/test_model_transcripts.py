"""Model transcripts: each call's prompt and answer kept with its usage — redacted,
size-capped, failures included — and purged from old attempts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.base import AttemptStatus
from myloware.db.engine import transaction
from myloware.db.models import Attempt, Tenant, WorkItem, WorkOrder
from myloware.documents.model import LoadedDocument
from myloware.extraction.llm import extract_hybrid, extract_with_model
from myloware.models import ModelRouter, OpenAIProvider
from myloware.models.transcript import REDACTED, kept, redact
from myloware.records import DocumentType
from myloware.worker.transcripts import purge_transcripts
from tests.model_emulator import ModelEmulator, Reply

INVOICE = "ACME Tools GmbH\nInvoice no. R-117\nTotal EUR 1,190.00\n"


def _provider(emu: ModelEmulator, name: str = "openai") -> OpenAIProvider:
    return OpenAIProvider(
        name=name, model="gpt-4o-mini", api_key="sk-test", base_url=emu.openai_url, max_retries=0
    )


def test_credentials_in_a_text_are_masked() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXYiLCJ0ZW5hbnQiOiJ4In0.c2lnbmF0dXJlLXBhcnQ"
    text = (
        "key sk-proj-abcdefghijklmnop1234 and xoxb-1234-5678-abcdef, AKIAABCDEFGHIJKLMNOP\n"
        f"Authorization: Bearer abcdefghijklmnopqrstuv\ntoken {jwt}\nPasswort: hunter2!\n"
        "Invoice total 1,190.00 EUR, IBAN DE89370400440532013000"
    )
    masked = redact(text)
    for secret in ("sk-proj-", "xoxb-", "AKIA", "abcdefghijklmnopqrstuv", jwt, "hunter2"):
        assert secret not in masked
    assert masked.count(REDACTED) == 6
    assert "1,190.00 EUR" in masked and "DE89370400440532013000" in masked  # data stays


def test_a_long_text_is_cut_saying_how_much_is_missing() -> None:
    assert kept("x" * 50, 20) == "x" * 20 + "\n[… 30 more characters not kept]"
    assert kept("short", 20) == "short" and kept(None, 20) is None


async def test_each_call_of_the_chain_is_kept_failures_included(emu: ModelEmulator) -> None:
    """The first provider answers garbage, the second answers: both requests are kept, the
    failed one with its raw answer and its error."""
    doc = LoadedDocument.from_text(INVOICE + "api key sk-live-abcdefghijklmnopqrst\n")
    emu.script(Reply(text="not json at all"), Reply(data={"invoice_number": "R-117"}))
    router = ModelRouter([_provider(emu, "openai"), _provider(emu, "local")])
    record, usage = await extract_with_model(doc, DocumentType.INVOICE, router)
    assert record.extractor == "model:local"
    failed, answered = usage.calls
    assert (failed.provider, answered.provider) == ("openai", "local")
    assert failed.answer == "not json at all" and "not JSON" in (failed.error or "")
    assert answered.error is None and '"invoice_number"' in (answered.answer or "")
    assert "Invoice no. R-117" in answered.prompt and answered.system
    assert "sk-live-" not in answered.prompt and REDACTED in answered.prompt
    assert answered.seconds >= 0 and answered.tokens_in == usage.tokens_in - failed.tokens_in
    await router.close()


async def test_hybrid_keeps_the_call_that_filled_the_gaps(emu: ModelEmulator) -> None:
    emu.script(Reply(data={"vendor_address": "Hauptstrasse 5, 10115 Berlin"}))
    router = ModelRouter([_provider(emu)], transcript_chars=40)
    _, usage = await extract_hybrid(LoadedDocument.from_text(INVOICE), DocumentType.INVOICE, router)
    (call,) = usage.calls
    assert call.prompt.endswith("more characters not kept]") and len(call.prompt) < 90
    asked = emu.requests[0].body["response_format"]["json_schema"]["schema"]["properties"]
    assert "invoice_number" not in asked  # hybrid asks only for what the rules missed
    await router.close()


async def test_no_transcript_is_kept_when_turned_off(emu: ModelEmulator) -> None:
    emu.script(Reply(data={"invoice_number": "R-117"}))
    router = ModelRouter([_provider(emu)], transcript_chars=0)
    _, usage = await extract_with_model(
        LoadedDocument.from_text(INVOICE), DocumentType.INVOICE, router
    )
    assert usage.calls == [] and usage.tokens_in > 0
    await router.close()


async def test_old_transcripts_are_purged_and_the_attempt_stays(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Model calls and an agent's tool calls (document text in both) go; tokens stay."""
    usage = {"tokens_in": 9, "calls": [{"prompt": "p"}], "tools": [{"tool": "document.read"}]}
    async with transaction(sessions) as session:
        tenant = Tenant(slug=f"t-{uuid.uuid4().hex[:12]}", name="Transcripts")
        session.add(tenant)
        await session.flush()
        order = WorkOrder(tenant_id=tenant.id, workflow_id="wo-transcripts", created_by="test")
        session.add(order)
        await session.flush()
        item = WorkItem(tenant_id=tenant.id, work_order_id=order.id, content="invoice")
        session.add(item)
        await session.flush()
        now = datetime.now(UTC)
        for age in (40, 40, 3):
            session.add(
                Attempt(
                    tenant_id=tenant.id,
                    work_item_id=item.id,
                    agent_id="ExtractorLLM",
                    status=AttemptStatus.COMPLETED,
                    input={},
                    output={"record": {}, "usage": usage},
                    tokens_in=9,
                    started_at=now - timedelta(days=age),
                )
            )
        session.add(  # a tool call of an agent run in the workflow: an attempt, no tokens
            Attempt(
                tenant_id=tenant.id,
                work_item_id=item.id,
                agent_id="ExtractorTool",
                status=AttemptStatus.COMPLETED,
                input={},
                output={"answer": "{}", "usage": {"tools": [{"tool": "document.read"}]}},
                started_at=now - timedelta(days=41),
            )
        )
    assert await purge_transcripts(sessions, days=30, batch=1) == 3  # in batches of one
    async with transaction(sessions) as session:
        kept_usage = (
            (
                await session.execute(
                    select(Attempt.output["usage"])
                    .where(Attempt.work_item_id == item.id)
                    .order_by(Attempt.started_at)
                )
            )
            .scalars()
            .all()
        )
    assert kept_usage == [{}, {"tokens_in": 9}, {"tokens_in": 9}, usage]
    assert await purge_transcripts(sessions, days=30) == 0  # nothing left to do
