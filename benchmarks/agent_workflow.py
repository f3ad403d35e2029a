"""The agent in the workflow against the agent in one activity, through the whole platform.

A real deployment (:mod:`benchmarks._stack`: embedded services, the API and one worker
process) extracts invoices in `agent` mode against the wire-level model emulator, whose model
calls ``check.arithmetic`` and then answers (two model calls, one tool call per document).
``activity``: ``MYLOWARE_AGENT_IN_WORKFLOW=false``, the whole run in the ExtractorLLM
activity; ``workflow``: each model call the integration's ``invoke_model_activity``, the tool
call an ``ExtractorTool`` activity, then ``ExtractorAgent``. Documents go one at a time, so
the figures are latency, not throughput: per document the seconds from submission to settled
(p50/p95), the worker's CPU milliseconds, and the history's events and bytes (what the
integration adds: the conversation in every model activity's input).

``python -m benchmarks.agent_workflow [--smoke] [--rounds N]``
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import psutil

from benchmarks import _platform, _report
from benchmarks._documents import Document
from benchmarks._stack import Stack, running_stack
from myloware.contracts import workflow_id_for
from myloware.db.engine import create_engine
from tests.model_emulator import ModelEmulator, Reply

TEXT = (
    "Northwind Traders\nINVOICE\nInvoice No: NW-77\nInvoice Date: 2024-06-01\n"
    "Widget  2 x 5.00  10.00\nSubtotal 10.00\nVAT 2.00\nTotal 12.00 EUR\n"
)
RECORD = {"vendor_name": "Northwind Traders", "invoice_number": "NW-77", "total_amount": 12}
CHECK = ("check_arithmetic", {"subtotal": 10, "tax_amount": 2, "total_amount": 12})
MODES = {"activity": "false", "workflow": "true"}


@dataclass(frozen=True)
class AgentWorkflowConfig:
    rounds: int = 20


SMOKE = AgentWorkflowConfig(rounds=2)


async def _documents(stack: Stack, emu: ModelEmulator, rounds: int, pid: int) -> dict[str, Any]:
    """``rounds`` documents one after the other (and one to warm up), measured."""
    worker = psutil.Process(pid)
    engine = create_engine(stack.database_url, pool_size=2)
    seconds, cpu_ms, events, size = [], [], [], []
    try:
        async with _platform.http_client(stack.api_url, stack.headers(), 4) as client:
            for n in range(rounds + 1):
                emu.script(Reply(tool_calls=[CHECK]), Reply(data=RECORD))
                cpu0 = sum(worker.cpu_times()[:2])
                sent = await _platform.submit(client, Document("agent", TEXT))
                done = await _platform.wait_settled(
                    engine, [sent.order_id], limit_s=300, alive=stack.dead_role
                )
                if n == 0:
                    continue  # warm-up: imports, connections, the first workflow task
                seconds.append(done - sent.sent_at)
                cpu_ms.append((sum(worker.cpu_times()[:2]) - cpu0) * 1000)
                history = await _platform.history_summary(
                    stack.endpoints.temporal_address,
                    stack.settings.temporal_namespace,
                    workflow_id_for(sent.order_id),
                )
                events.append(history["events"])
                size.append(history["bytes"])
    finally:
        await engine.dispose()
    return {
        "seconds": {k: round(v, 3) for k, v in _report.percentiles(seconds).items()},
        "worker_cpu_ms": {k: round(v, 1) for k, v in _report.percentiles(cpu_ms).items()},
        "history_events": round(sum(events) / len(events), 1),
        "history_bytes": round(sum(size) / len(size)),
        "last_history": history["by_type"],
    }


def run(config: AgentWorkflowConfig, *, smoke: bool) -> dict[str, Any]:
    measured: dict[str, Any] = {}
    with ModelEmulator() as emu:
        role_env = {
            "MYLOWARE_EXTRACTOR": "agent",
            "MYLOWARE_MODEL_PROVIDERS": '["openai"]',
            "MYLOWARE_OPENAI_API_KEY": "sk-bench",
            "MYLOWARE_OPENAI_BASE_URL": emu.openai_url,
            "MYLOWARE_MODEL_MAX_RETRIES": "0",
            "MYLOWARE_MEMORY_EMBEDDINGS": "off",
        }
        with running_stack(relay=False, role_env=role_env) as stack:
            _platform.publish_policy(
                stack.api_url, stack.headers("admin"), _platform.AUTO_APPROVE_POLICY
            )
            for mode, switch in MODES.items():
                stack.role_env["MYLOWARE_AGENT_IN_WORKFLOW"] = switch
                with stack.workers(1) as [pid]:
                    began = time.perf_counter()
                    measured[mode] = asyncio.run(_documents(stack, emu, config.rounds, pid))
                    measured[mode]["run_seconds"] = round(time.perf_counter() - began, 1)
    return {
        "meta": _report.meta("agent_workflow", smoke=smoke),
        "config": asdict(config),
        **measured,
    }


def figures(result: dict[str, Any]) -> str:
    parts = []
    for mode in MODES:
        m = result[mode]
        parts.append(
            f"{mode}: p50 {m['seconds']['p50']} s (p95 {m['seconds']['p95']}) per document, "
            f"worker {m['worker_cpu_ms']['p50']} ms CPU, history {m['history_events']} events / "
            f"{m['history_bytes']} bytes"
        )
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    return _report.rounds_main(argv, __doc__, (SMOKE, AgentWorkflowConfig()), run, figures)


if __name__ == "__main__":
    sys.exit(main())
