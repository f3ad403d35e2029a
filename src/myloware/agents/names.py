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
    # the agent run in the workflow (docs/models.md): each model call (the attempt's name; its
    # activity is the Temporal integration's ``invoke_model_activity``), each tool call, and
    # the record from its answer
    EXTRACTOR_TURN = "ExtractorModelCall"
    EXTRACTOR_TOOL = "ExtractorTool"
    EXTRACTOR_AGENT = "ExtractorAgent"
    RESTYLER = "JsonRestyler"
    SCHEMA_GUARD = "SchemaGuard"
    POLICY = "Policy"
    APPLY_CORRECTIONS = "ApplyCorrections"
    PERSISTER = "Persister"
    VERIFIER = "Verifier"


#: the stages every document passes (ApplyCorrections and the extractor's parts do not)
PIPELINE = tuple(
    a
    for a in AgentName
    if a
    not in (
        AgentName.APPLY_CORRECTIONS,
        AgentName.EXTRACTOR_MODEL,
        AgentName.EXTRACTOR_TURN,
        AgentName.EXTRACTOR_TOOL,
        AgentName.EXTRACTOR_AGENT,
    )
)
