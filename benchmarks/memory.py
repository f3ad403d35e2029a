"""Memory: how fast the offline embedder reads documents, and what it costs in memory.

The document mix of the throughput benchmarks (datasets when present, synthetic otherwise) is
embedded one text at a time on one thread, as the relay's memory indexer does. Reported: the
model's load time (checksum included), documents per second, milliseconds per document
(p50/p95), and the process's resident memory before and after loading.

``python -m benchmarks.memory [--smoke] [--documents N]``
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

import psutil

from benchmarks import _report
from benchmarks._documents import document_mix, mix_source
from myloware.memory import Embedder
from myloware.memory.embedder import MAX_TOKENS, MODEL_ID


@dataclass(frozen=True)
class MemoryConfig:
    documents: int = 300


SMOKE = MemoryConfig(documents=6)


def _rss_mb() -> float:
    rss: int = psutil.Process().memory_info().rss  # psutil has no type hints
    return round(rss / 2**20, 1)


def run(config: MemoryConfig, *, smoke: bool) -> dict[str, Any]:
    docs = document_mix(config.documents)
    rss_before = _rss_mb()
    embedder = Embedder(threads=1)
    started = time.perf_counter()
    embedder.load()
    load_s = time.perf_counter() - started
    embedder.embed_one(docs[0].text)  # warm-up
    took: list[float] = []
    for doc in docs:
        t0 = time.perf_counter()
        embedder.embed_one(doc.text)
        took.append((time.perf_counter() - t0) * 1000)
    total_s = sum(took) / 1000
    return {
        "meta": _report.meta("memory", smoke=smoke),
        "config": asdict(config),
        "model": MODEL_ID,
        "max_tokens": MAX_TOKENS,
        "mix": mix_source(docs),
        "load_seconds": round(load_s, 3),
        "documents": len(docs),
        "docs_per_second": round(len(docs) / total_s, 1),
        "ms_per_document": {k: round(v, 1) for k, v in _report.percentiles(took).items()},
        "rss_mb": {
            "before_load": rss_before,
            "after": (after := _rss_mb()),
            "model": round(after - rss_before, 1),
        },
    }


def figures(result: dict[str, Any]) -> str:
    ms = result["ms_per_document"]
    return (
        f"{result['model']} on 1 thread: {result['docs_per_second']} docs/s "
        f"(p50 {ms['p50']} ms, p95 {ms['p95']} ms per document); load {result['load_seconds']} s; "
        f"+{result['rss_mb']['model']} MB RSS loaded"
    )


def main(argv: list[str] | None = None) -> int:
    parser = _report.parser_for(__doc__)
    parser.add_argument("--documents", type=int)
    args = parser.parse_args(argv)
    config = SMOKE if args.smoke else MemoryConfig()
    if args.documents:
        config = replace(config, documents=args.documents)
    result = run(config, smoke=args.smoke)
    return _report.finish(result, figures(result), args)


if __name__ == "__main__":
    sys.exit(main())
