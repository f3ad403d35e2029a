"""Memory: every document's CONTEXT doc embedded for similarity search (see docs/memory.md).

- :mod:`~myloware.memory.embedder` — all-MiniLM-L6-v2 (int8 ONNX) on the CPU;
- :mod:`~myloware.memory.indexer` — embeds new CONTEXT docs in the relay, off the hot path;
- :mod:`~myloware.memory.store` — the worker's SQL: pending docs, related approved records;
- :mod:`myloware.services.memory` — search for the API, the UI and the CLI.
"""

from __future__ import annotations

from myloware.memory.embedder import Embedder, EmbeddingUnavailable
from myloware.settings import Settings

__all__ = ["Embedder", "EmbeddingUnavailable", "embedder_for"]


def embedder_for(settings: Settings) -> Embedder | None:
    """The configured embedder (not loaded yet); None when memory embeddings are off."""
    if settings.memory_embeddings == "off":
        return None
    return Embedder(settings.embedding_model_path)
