"""Mixed load with the bundled model: does the fast path stay fast behind a model backlog?

One ``myloware worker`` in ``hybrid`` mode with the model's own task queue (one model slot),
the bundled model (Qwen2.5-Coder 1.5B on llama.cpp, as ``myloware up`` runs it: every core
but one, nice 10), the API and the relay. Documents come from the dataset mix, sorted by
whether the rules settle them (no key field missing or unsure) or need the model.

1. **Alone:** the rules-only documents at ``--rate`` per second; their latency.
2. **Behind a backlog:** ``--model-documents`` that need the model at once, then the same
   rules-only documents at the same rate while the model works through its queue; their
   latency again, and then the model documents' own figures.

Reported: documents/s over the whole mixed run, the share that used the model, model
seconds and tokens per model document (the ExtractorModel attempts), and the p95 latency of
the rules-only documents alone and behind the backlog. Target (issue 12): the latter within
20 % of the former.

``python -m benchmarks.model_mix [--smoke] [--documents N] [--model-documents M] [--rate R]``
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import text

from benchmarks import _report
from benchmarks._documents import Document, document_mix
from benchmarks._platform import (
    AUTO_APPROVE_POLICY,
    Submission,
    collect,
    publish_policy,
    submit_burst,
    submit_paced,
    wait_settled,
)
from benchmarks._stack import Stack, exit_on_sigterm, free_port, running_stack, wait_for_pollers
from myloware.db.engine import create_engine
from myloware.documents.model import LoadedDocument
from myloware.extraction import extract
from myloware.extraction.llm import needs_model
from myloware.models.bundled import QWEN_CODER_1_5B
from myloware.runtime._llama import EmbeddedModel, default_threads

SETTLE_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class MixConfig:
    documents: int = 40  # rules-only documents per phase
    model_documents: int = 6
    rate: float = 2.0  # rules-only documents per second


SMOKE = MixConfig(documents=3, model_documents=1, rate=1.0)


def split_mix(config: MixConfig) -> tuple[list[Document], list[Document]]:
    """Rules-only and model documents from the dataset mix (the rules decide, as the
    pipeline's ExtractorLLM would)."""
    rules_only: list[Document] = []
    with_model: list[Document] = []
    for doc in document_mix(20 * (config.documents + config.model_documents)):
        pile = (
            with_model if needs_model(extract(LoadedDocument.from_text(doc.text))) else rules_only
        )
        pile.append(doc)
        if len(rules_only) >= config.documents and len(with_model) >= config.model_documents:
            break
    return rules_only[: config.documents], with_model[: config.model_documents]


MODEL_WORK = text(
    "SELECT count(*), coalesce(sum(a.duration_ms), 0), coalesce(sum(a.tokens_in), 0),"
    " coalesce(sum(a.tokens_out), 0) FROM attempts a JOIN work_items w ON w.id = a.work_item_id"
    " WHERE w.work_order_id = ANY(:ids) AND a.agent_id = 'ExtractorModel'"
    " AND a.status::text = 'COMPLETED'"
)


async def _model_work(stack: Stack, subs: Sequence[Submission]) -> dict[str, Any]:
    engine = create_engine(stack.database_url)
    try:
        async with engine.connect() as conn:
            ids = [s.order_id for s in subs]
            count, ms, tokens_in, tokens_out = (await conn.execute(MODEL_WORK, {"ids": ids})).one()
    finally:
        await engine.dispose()
    n = max(int(count), 1)
    return {
        "model_documents": int(count),
        "model_seconds_per_document": round(float(ms) / 1000 / n, 2),
        "tokens_in_per_document": round(int(tokens_in) / n),
        "tokens_out_per_document": round(int(tokens_out) / n),
    }


async def _phase(
    stack: Stack,
    rules_only: Sequence[Document],
    rate: float,
    backlog: Sequence[Document] = (),
) -> dict[str, Any]:
    """Rules-only documents at ``rate``, after ``backlog`` was sent at once."""
    headers = stack.headers()
    engine = create_engine(stack.database_url)
    try:
        began = time.time()
        queued = await submit_burst(stack.api_url, headers, backlog) if backlog else []
        paced = await submit_paced(stack.api_url, headers, rules_only, rate=rate)
        await wait_settled(
            engine, [s.order_id for s in paced], limit_s=SETTLE_TIMEOUT_S, alive=stack.dead_role
        )
        fast = await collect(engine, paced)
        phase: dict[str, Any] = {"rules_only": fast}
        if queued:
            await wait_settled(
                engine,
                [s.order_id for s in queued],
                limit_s=SETTLE_TIMEOUT_S,
                alive=stack.dead_role,
                stall_s=SETTLE_TIMEOUT_S,
            )
            everything = [*queued, *paced]
            phase["backlog"] = await collect(engine, queued)
            phase["all"] = await collect(engine, everything, seconds=time.time() - began)
            phase["model_work"] = await _model_work(stack, queued)
            used = phase["model_work"]["model_documents"]
            phase["share_using_model"] = round(used / len(everything), 3)
        return phase
    finally:
        await engine.dispose()


def run(config: MixConfig, *, smoke: bool) -> dict[str, Any]:
    rules_only, with_model = split_mix(config)
    with running_stack() as stack:
        model = EmbeddedModel(
            stack.root / "models",
            model=QWEN_CODER_1_5B,
            port=free_port(),
            threads=default_threads(),
            context=4096,
            parallel=1,
            log_path=stack.root / "logs" / "model.log",
        )
        loading = time.monotonic()
        model.start()
        load_s = time.monotonic() - loading
        try:
            publish_policy(stack.api_url, stack.headers("admin"), AUTO_APPROVE_POLICY)
            queue = stack.settings.task_queue
            worker = stack.spawn(
                "worker-1",
                [sys.executable, "-m", "myloware.cli", "worker"],
                MYLOWARE_EXTRACTOR="hybrid",
                MYLOWARE_MODEL_PROVIDERS='["local"]',
                MYLOWARE_LOCAL_MODEL_BASE_URL=model.url,
                MYLOWARE_LOCAL_MODEL=QWEN_CODER_1_5B.name,
                MYLOWARE_MODEL_TASK_QUEUE=f"{queue}-models",
                MYLOWARE_MODEL_WORKER_SLOTS="1",
            )
            asyncio.run(wait_for_pollers(stack, [worker], queue))
            alone = asyncio.run(_phase(stack, rules_only, config.rate))
            behind = asyncio.run(_phase(stack, rules_only, config.rate, backlog=with_model))
        finally:
            model.stop()
    p95_alone = alone["rules_only"]["latency_s"]["p95"]
    p95_behind = behind["rules_only"]["latency_s"]["p95"]
    return {
        "meta": _report.meta("model_mix", smoke=smoke),
        "config": {**config.__dict__, "model": QWEN_CODER_1_5B.name, "threads": default_threads()},
        "model_load_seconds": round(load_s, 1),
        "alone": alone,
        "behind_backlog": behind,
        "rules_only_p95_s": {"alone": p95_alone, "behind_backlog": p95_behind},
        "p95_ratio": round(p95_behind / p95_alone, 2) if p95_alone else None,
    }


def figures(result: dict[str, Any]) -> str:
    behind = result["behind_backlog"]
    work = behind.get("model_work", {})
    p95 = result["rules_only_p95_s"]
    return (
        f"{behind.get('all', {}).get('docs_per_second', 0)} docs/s mixed, "
        f"{behind.get('share_using_model', 0):.0%} used the model "
        f"({work.get('model_seconds_per_document', 0)} s, "
        f"{work.get('tokens_in_per_document', 0)}+{work.get('tokens_out_per_document', 0)} "
        f"tokens each); rules-only p95 {p95['alone']} s alone, "
        f"{p95['behind_backlog']} s behind the backlog (×{result['p95_ratio']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = _report.parser_for(__doc__)
    parser.add_argument("--documents", type=int, help="rules-only documents per phase")
    parser.add_argument("--model-documents", type=int, help="documents that need the model")
    parser.add_argument("--rate", type=float, help="rules-only documents per second")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    config = SMOKE if args.smoke else MixConfig()
    for name in ("documents", "model_documents", "rate"):
        if getattr(args, name) is not None:
            config = replace(config, **{name: getattr(args, name)})
    result = run(config, smoke=args.smoke)
    return _report.finish(result, figures(result), args)


if __name__ == "__main__":
    sys.exit(main())
