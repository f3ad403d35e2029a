"""The agents: one module per stage, each holding its Temporal activity and its pure core.

::

    record_gen.py    RecordGen      load (text layer, OCR), detect type and language, CONTEXT doc
    extractor.py     ExtractorLLM   the canonical record: rules, a model, or both
    restyler.py      JsonRestyler   values in canonical form
    schema_guard.py  SchemaGuard    JSON Schema + business rules; ApplyCorrections
    policy.py        Policy         the tenant's policy decides, with reasons
    persister.py     Persister      a new record version, exactly once
    verifier.py      Verifier       the stored record re-checked against its source

Every agent class takes one :class:`AgentDeps` (clients, settings, caches shared between
stages); :func:`agent_activities` binds them all for a worker. The activity names are the values of
:class:`AgentName` and never change (they are stored in workflow histories).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from myloware.agents.names import PIPELINE, AgentName
from myloware.lazy import lazy_exports

if TYPE_CHECKING:
    from myloware.agents.deps import AgentDeps
    from myloware.agents.extractor import ExtractorLLM
    from myloware.agents.persister import Persister
    from myloware.agents.policy import PolicyAgent
    from myloware.agents.record_gen import RecordGen
    from myloware.agents.restyler import JsonRestyler
    from myloware.agents.schema_guard import SchemaGuard
    from myloware.agents.verifier import Verifier

#: where each agent lives: imported when first asked for, so that what needs only the names
#: (the API, Slack, the command line) does not import every agent's dependencies (a second)
_EXPORTS = {
    "AgentDeps": "deps",
    "ExtractorLLM": "extractor",
    "JsonRestyler": "restyler",
    "Persister": "persister",
    "PolicyAgent": "policy",
    "RecordGen": "record_gen",
    "SchemaGuard": "schema_guard",
    "Verifier": "verifier",
}


def agent_activities(deps: AgentDeps) -> list[Any]:
    """Every agent's activity, bound to one shared set of dependencies."""
    from myloware.agents.extractor import ExtractorLLM
    from myloware.agents.persister import Persister
    from myloware.agents.policy import PolicyAgent
    from myloware.agents.record_gen import RecordGen
    from myloware.agents.restyler import JsonRestyler
    from myloware.agents.schema_guard import SchemaGuard
    from myloware.agents.verifier import Verifier

    guard = SchemaGuard(deps)
    extractor = ExtractorLLM(deps)
    return [
        RecordGen(deps).run,
        extractor.run,
        extractor.tool,
        extractor.agent_record,
        JsonRestyler().run,
        guard.run,
        PolicyAgent(deps).run,
        guard.apply_corrections,
        Persister(deps).run,
        Verifier(deps).run,
    ]


__all__ = [
    "PIPELINE",
    "AgentDeps",
    "AgentName",
    "ExtractorLLM",
    "JsonRestyler",
    "Persister",
    "PolicyAgent",
    "RecordGen",
    "SchemaGuard",
    "Verifier",
    "agent_activities",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
