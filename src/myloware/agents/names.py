"""The agents' names: one enum used by the workflow, the attempt recorder, the UI and tests.

Each value is also the Temporal activity name of the agent, stored in every workflow history:
a value never changes (a renamed activity breaks the replay of running workflows).
"""

from __future__ import annotations

from enum import StrEnum


class AgentName(StrEnum):
    """The stages of one document, in pipeline order (ApplyCorrections only after a person)."""

    RECORD_GEN = "RecordGen"
    EXTRACTOR = "ExtractorLLM"
    # the model's part of ExtractorLLM, on the model task queue (docs/models.md)
    EXTRACTOR_MODEL = "ExtractorModel"
    RESTYLER = "JsonRestyler"
    SCHEMA_GUARD = "SchemaGuard"
    POLICY = "Policy"
    APPLY_CORRECTIONS = "ApplyCorrections"
    PERSISTER = "Persister"
    VERIFIER = "Verifier"


PIPELINE = tuple(
    a for a in AgentName if a not in (AgentName.APPLY_CORRECTIONS, AgentName.EXTRACTOR_MODEL)
)
