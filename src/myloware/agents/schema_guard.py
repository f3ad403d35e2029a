"""SchemaGuard: the record against the active JSON Schema of its type and the business rules;
and a person's corrections, re-normalised and re-validated before anyone trusts them."""

from __future__ import annotations

from temporalio import activity

from myloware.agents.deps import AgentDeps
from myloware.agents.names import AgentName
from myloware.contracts import CorrectionInput, CorrectionOutput, RecordInput, ValidationOutput
from myloware.normalize import restyle_with_report
from myloware.validation import apply_corrections, validate


class SchemaGuard:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    @activity.defn(name=AgentName.SCHEMA_GUARD)
    async def run(self, inp: RecordInput) -> ValidationOutput:
        version, schema = await self.deps.active_schema(inp.record.document_type)
        report = validate(inp.record, schema)
        return ValidationOutput(
            valid=report.valid,
            errors=[i.model_dump(mode="json") for i in report.errors],
            warnings=[i.model_dump(mode="json") for i in report.warnings],
            quality_score=report.quality_score,
            schema_version=version,
        )

    @activity.defn(name=AgentName.APPLY_CORRECTIONS)
    async def apply_corrections(self, inp: CorrectionInput) -> CorrectionOutput:
        """A person's corrections, re-normalised and re-validated before anyone trusts them."""
        corrected, rejected = restyle_with_report(apply_corrections(inp.record, inp.corrections))
        validation = await self.run(RecordInput(item=inp.item, record=corrected))
        refused = [
            {"code": "invalid_correction", "field": r.field, "message": f"{r.field}: {r.reason}"}
            for r in rejected
            if r.field in inp.corrections
        ]
        if refused:
            validation = validation.model_copy(
                update={"valid": False, "errors": refused + validation.errors}
            )
        return CorrectionOutput(record=corrected, validation=validation)
