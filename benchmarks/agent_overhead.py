"""The Agents SDK's overhead: one structured model call against an agent run with a tool.

Both against the wire-level model emulator (``tests/model_emulator.py``, answering at once),
so what is measured is our side: the SDK's loop, the router, the conversions, the tool call
and the grounding of the answer — not a model. ``model``: ``extract_with_model`` (one
request); ``agent``: ``extract_with_agent`` whose model calls ``check.arithmetic`` and then
answers (two requests, one tool call). Reported per document: wall milliseconds (p50/p95)
and the CPU milliseconds of the extracting thread (the emulator runs on another thread).

``python -m benchmarks.agent_overhead [--smoke] [--rounds N]``
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _report
from myloware.agents.deps import AgentDeps
from myloware.agents.extractor_agent import extract_with_agent
from myloware.agents.tools import Toolbox, ToolContext
from myloware.contracts import ItemRef
from myloware.db.engine import create_engine, session_factory
from myloware.documents.model import LoadedDocument
from myloware.extraction.llm import extract_with_model
from myloware.models import ModelRouter
from myloware.models.providers import OpenAIProvider
from myloware.records import DocumentType
from myloware.settings import Settings
from tests.model_emulator import ModelEmulator, Reply

TEXT = (
    "Northwind Traders\nINVOICE\nInvoice No: NW-77\nInvoice Date: 2024-06-01\n"
    "Widget  2 x 5.00  10.00\nSubtotal 10.00\nVAT 2.00\nTotal 12.00 EUR\n"
)
RECORD = {"vendor_name": "Northwind Traders", "invoice_number": "NW-77", "total_amount": 12}
CHECK = ("check_arithmetic", {"subtotal": 10, "tax_amount": 2, "total_amount": 12})


@dataclass(frozen=True)
class AgentConfig:
    rounds: int = 200


SMOKE = AgentConfig(rounds=5)


async def _timed(work: Callable[[], Awaitable[object]], rounds: int) -> dict[str, Any]:
    await work()  # warm-up (imports, connections)
    wall, cpu = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.thread_time()
        await work()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return {
        "wall_ms": {k: round(v, 2) for k, v in _report.percentiles(wall).items()},
        "cpu_ms": {k: round(v, 2) for k, v in _report.percentiles(cpu).items()},
    }


def _toolbox() -> Toolbox:
    """Only ``check.arithmetic``, which reads nothing: the engine is never connected."""
    settings = Settings()
    engine = create_engine("postgresql+psycopg://bench@127.0.0.1:9/none", pool_size=1)
    deps = AgentDeps(session_factory(engine), settings, blobs=None)
    item = ItemRef(work_item_id=uuid.uuid4(), work_order_id=uuid.uuid4(), tenant_id=uuid.uuid4())
    return Toolbox(ToolContext(deps, item, DocumentType.INVOICE), ["check.arithmetic"])


async def _measure(emu: ModelEmulator, rounds: int) -> dict[str, Any]:
    provider = OpenAIProvider(
        model="gpt-4o-mini", api_key="sk-bench", base_url=emu.openai_url, max_retries=0
    )
    router = ModelRouter([provider], transcript_chars=16_000)
    doc, toolbox = LoadedDocument.from_text(TEXT), _toolbox()
    try:
        emu.script(Reply(data=RECORD))
        model = await _timed(lambda: extract_with_model(doc, DocumentType.INVOICE, router), rounds)
        emu.script(*[Reply(tool_calls=[CHECK]), Reply(data=RECORD)] * (rounds + 1))

        async def agent_run() -> None:
            answer = await extract_with_agent(doc, DocumentType.INVOICE, router, toolbox)
            assert answer.record.extractor == "agent:openai", answer.record.extractor
            assert len(answer.usage.tools) == 1 and answer.usage.tools[0].error is None

        agent = await _timed(agent_run, rounds)
    finally:
        await router.close()
    return {"model": model, "agent": agent}


def run(config: AgentConfig, *, smoke: bool) -> dict[str, Any]:
    with ModelEmulator() as emu:
        measured = asyncio.run(_measure(emu, config.rounds))
    model, agent = measured["model"], measured["agent"]
    return {
        "meta": _report.meta("agent_overhead", smoke=smoke),
        "config": asdict(config),
        **measured,
        # per document, beyond the two single calls the agent's two requests would cost
        "agent_extra_cpu_ms_p50": round(agent["cpu_ms"]["p50"] - 2 * model["cpu_ms"]["p50"], 2),
    }


def figures(result: dict[str, Any]) -> str:
    model, agent = result["model"], result["agent"]
    return (
        f"one model call p50 {model['wall_ms']['p50']} ms wall, {model['cpu_ms']['p50']} ms "
        f"CPU; agent run (2 calls + 1 tool) p50 {agent['wall_ms']['p50']} ms wall "
        f"(p95 {agent['wall_ms']['p95']}), {agent['cpu_ms']['p50']} ms CPU; the SDK loop "
        f"beyond two calls: {result['agent_extra_cpu_ms_p50']} ms CPU per document"
    )


def main(argv: list[str] | None = None) -> int:
    return _report.rounds_main(argv, __doc__, (SMOKE, AgentConfig()), run, figures)


if __name__ == "__main__":
    sys.exit(main())
