"""JsonRestyler: every value of the record in its canonical form (dates, amounts, codes)."""

from __future__ import annotations

from temporalio import activity

from myloware.agents.names import AgentName
from myloware.contracts import RecordInput
from myloware.normalize import restyle
from myloware.records import CanonicalRecord


class JsonRestyler:
    """Pure: needs no clients (a class like the others, so the workflow calls it by method)."""

    @activity.defn(name=AgentName.RESTYLER)
    async def run(self, inp: RecordInput) -> CanonicalRecord:
        return restyle(inp.record)
