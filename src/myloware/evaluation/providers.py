"""The extractor behind each ``myloware eval --provider``: ``rules`` (offline), one model
provider (``local``, ``openai``, ``anthropic``: every field from that model, failures count
the document wrong) or ``hybrid`` (rules, then the configured ``MYLOWARE_MODEL_PROVIDERS``
chain for what they miss). Model settings come from the ``MYLOWARE_*`` environment."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from myloware.documents.model import LoadedDocument
from myloware.errors import ConfigurationError
from myloware.extraction import extract
from myloware.extraction.llm import extract_hybrid, extract_with_model
from myloware.models import ModelRouter, Usage
from myloware.records import CanonicalRecord, DocumentType
from myloware.settings import load_settings

PROVIDERS = ("rules", "local", "openai", "anthropic", "hybrid")


def _chain(provider: str) -> Sequence[str] | None:
    return None if provider == "hybrid" else [provider]


def check_provider(provider: str) -> None:
    """Refuse an unknown provider or one whose settings are missing, before any document."""
    if provider not in PROVIDERS:
        raise ConfigurationError(
            f"unknown provider {provider!r} (choose from {', '.join(PROVIDERS)})"
        )
    if provider != "rules":
        router = ModelRouter.from_settings(load_settings(), _chain(provider))
        asyncio.run(router.close())


def extract_for_eval(
    doc: LoadedDocument, provider: str, document_type: DocumentType | None
) -> tuple[CanonicalRecord, Usage | None]:
    """One document's record with ``provider``, and what its model calls cost."""
    if provider == "rules":
        return extract(doc), None
    return asyncio.run(_with_model(doc, provider, document_type))


async def _with_model(
    doc: LoadedDocument, provider: str, document_type: DocumentType | None
) -> tuple[CanonicalRecord, Usage]:
    router = ModelRouter.from_settings(load_settings(), _chain(provider))
    try:
        if provider == "hybrid":
            return await extract_hybrid(doc, document_type, router)
        return await extract_with_model(doc, document_type, router)
    finally:
        await router.close()
