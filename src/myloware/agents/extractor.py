"""ExtractorLLM: the canonical record from the loaded document — the offline rules, a model,
or both (``hybrid``: the model only for what the rules miss), within the token budgets."""

from __future__ import annotations

from temporalio import activity

from myloware.agents.deps import AgentDeps
from myloware.agents.extractor_agent import (
    ToolRecorder,
    agent_record,
    extract_with_agent,
    fallback_record,
    plan_for,
)
from myloware.agents.names import AgentName
from myloware.agents.tools import Toolbox
from myloware.contracts import (
    AgentRecordInput,
    ExtractInput,
    ExtractOutput,
    ItemRef,
    LearnedUse,
    ModelExtractInput,
    RelatedUse,
    ToolCallInput,
    ToolCallOutput,
)
from myloware.db import hot_sql
from myloware.db.direct import transaction
from myloware.documents.model import LoadedDocument
from myloware.extraction import extract
from myloware.extraction.learned import apply_lessons
from myloware.extraction.llm import (
    extract_hybrid,
    extract_model_or_rules,
    model_supplied,
    needs_model,
)
from myloware.memory.related import RelatedMemory
from myloware.models import ModelRouter, Usage
from myloware.pipeline_template import ExtractorStage
from myloware.records import CanonicalRecord


class ExtractorLLM:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps
        self._routers: dict[tuple[tuple[str, ...], str | None], ModelRouter] = {}  # on first use
        self._memory = RelatedMemory(deps.engine, deps.settings)

    @activity.defn(name=AgentName.EXTRACTOR)
    async def run(self, inp: ExtractInput) -> ExtractOutput:
        doc = await self.deps.context(inp.item.work_item_id)
        queue = self.deps.settings.model_task_queue
        mode = self._mode(inp)
        durable = mode == "agent" and self.deps.settings.agent_runs_in_workflow
        if (
            queue is not None
            and mode in ("model", "agent")
            and doc.einvoice is None
            and not durable
        ):
            # the model has its own task queue: what needs it goes there (ExtractorModel)
            return ExtractOutput(record=extract(doc, inp.document_type), model_queue=queue)
        if queue is not None and mode == "hybrid":
            # what approvals taught first: a vendor they know needs no model for its identity
            read = ExtractOutput(record=extract(doc, inp.document_type))
            learned = await self._learn(inp.item, doc, read)
            if not needs_model(learned.record):  # no model needed, no budget spent
                return learned.model_copy(update={"usage": Usage()})
            return learned.model_copy(update={"model_queue": queue})
        out = await self._extract(inp, doc)
        if out.agent is not None:  # the workflow runs the agent; the record comes after it
            return out
        return await self._learn(inp.item, doc, out)

    @activity.defn(name=AgentName.EXTRACTOR_TOOL)
    async def tool(self, inp: ToolCallInput) -> ToolCallOutput:
        """One tool call of the agent the workflow runs: its answer, and the call kept."""
        toolbox = Toolbox.for_item(self.deps, inp.item, inp.document_type, inp.tools)
        recorder = ToolRecorder(toolbox, self.deps.settings.model_transcript_chars)
        answer = await recorder.invoke(inp.name, inp.arguments)
        return ToolCallOutput(answer=answer, usage=Usage(tools=recorder.calls))

    @activity.defn(name=AgentName.EXTRACTOR_AGENT)
    async def agent_record(self, inp: AgentRecordInput) -> ExtractOutput:
        """The record from how the workflow's agent run ended: its answer grounded in the
        text as in ``model`` mode, or the rules' record saying why there is none."""
        doc = await self.deps.context(inp.item.work_item_id)
        if inp.answer is None:
            record = fallback_record(inp.rules, inp.failure or "no answer")
        else:
            _, schema = await self.deps.active_schema(inp.document_type)
            record = agent_record(inp.answer, doc, inp.document_type, schema, inp.provider)
        out = ExtractOutput(
            record=record,
            tools=inp.tools,
            related=inp.related,
            from_model=model_supplied(record),
            budget_exhausted=inp.budget_spent,
        )
        return await self._learn(inp.item, doc, out)

    @activity.defn(name=AgentName.EXTRACTOR_MODEL)
    async def model(self, inp: ModelExtractInput) -> ExtractOutput:
        """The model's part, on the model task queue: what ``run`` handed over."""
        doc = await self.deps.context(inp.item.work_item_id)
        out = await self._extract(inp, doc, rules=inp.rules)
        return await self._learn(inp.item, doc, out)

    def _mode(self, inp: ExtractInput) -> str:
        return (inp.settings or ExtractorStage()).mode or self.deps.settings.extractor

    async def _learn(self, ref: ItemRef, doc: LoadedDocument, out: ExtractOutput) -> ExtractOutput:
        """What the tenant's approvals teach, applied after every extractor (rules too)."""
        lessons = await self._memory.lessons_for(ref, doc, out.record)
        applied = apply_lessons(
            out.record,
            lessons,
            text=doc.text,
            min_similarity=self.deps.settings.memory_min_similarity,
            ocr=doc.read_by_ocr,
        )
        if not applied.fields and not applied.conflicts:
            return out
        learned = [
            LearnedUse(field=name, work_item_id=lesson.work_item_id, provenance=lesson.provenance())
            for name, lesson in applied.fields.items()
        ]
        return out.model_copy(update={"record": applied.record, "learned": learned})

    async def _extract(
        self, inp: ExtractInput, doc: LoadedDocument, *, rules: CanonicalRecord | None = None
    ) -> ExtractOutput:
        """``rules``: the rules' record, when already read (``hybrid`` uses it)."""
        stage = inp.settings or ExtractorStage()
        mode = self._mode(inp)
        # the agent's tools: what its template and its tenant allow, and nothing else
        toolbox = Toolbox.for_item(self.deps, inp.item, inp.document_type, inp.tools)
        if mode == "rules":
            return ExtractOutput(record=extract(doc, inp.document_type), tools=toolbox.names)
        if mode != "hybrid":
            rules = None
        elif rules is None:
            rules = extract(doc, inp.document_type)
        if rules is not None and not needs_model(rules):
            # no model needed, no budget spent
            return ExtractOutput(record=rules, usage=Usage(), tools=toolbox.names)
        spent, tokens_left = await self.budget(inp.item)
        if spent is not None:
            record = rules or extract(doc, inp.document_type)
            note = f"rules ({spent} token budget spent: no model asked)"
            return ExtractOutput(
                record=record.model_copy(update={"extractor": note}),
                budget_exhausted=True,
                tools=toolbox.names,
            )
        _, schema = await self.deps.active_schema(inp.document_type)  # SchemaGuard checks it
        related = await self._memory.records_like(inp.item, doc, inp.document_type)
        examples = [r.data for r in related]
        shown = [RelatedUse(work_item_id=r.work_item_id, similarity=r.similarity) for r in related]
        if mode == "agent" and self.deps.settings.agent_runs_in_workflow and doc.einvoice is None:
            return ExtractOutput(
                record=extract(doc, inp.document_type),
                tools=toolbox.names,
                related=shown,
                agent=plan_for(
                    doc,
                    inp.document_type,
                    stage,
                    schema,
                    examples,
                    deadline_s=self.deps.settings.agent_run_deadline_s,
                ),
            )
        router = self.model_router(stage)
        budget_exhausted = False
        if mode == "agent":
            answer = await extract_with_agent(
                doc,
                inp.document_type,
                router,
                toolbox,
                schema,
                examples,
                transcript_chars=self.deps.settings.model_transcript_chars,
                token_budget=tokens_left,
                # the whole run within the chain's deadline: below the activity's limit, so
                # a slow run ends in the rules' record, not in a timed-out (and paid) retry
                deadline_s=self.deps.settings.model_deadline_s,
            )
            record, usage, budget_exhausted = answer.record, answer.usage, answer.budget_spent
        elif rules is not None:
            record, usage = await extract_hybrid(
                doc, inp.document_type, router, schema, rules, examples
            )
        else:
            record, usage = await extract_model_or_rules(
                doc, inp.document_type, router, schema, examples
            )
        return ExtractOutput(
            record=record,
            usage=usage,
            related=shown,
            tools=toolbox.names,
            from_model=model_supplied(record, rules),
            budget_exhausted=budget_exhausted,
        )

    async def budget(self, ref: ItemRef) -> tuple[str | None, int | None]:
        """Which token budget is spent ("the order's" or "the tenant's daily"; None while
        both last), and how many tokens are left of the tighter one (None: no limit)."""
        per_order = self.deps.settings.model_budget_tokens_per_order
        per_day = self.deps.settings.model_budget_tokens_per_tenant_day
        if not per_order and not per_day:
            return None, None
        async with transaction(self.deps.engine) as pg:
            order, today = await hot_sql.tokens_spent(pg, ref.tenant_id, ref.work_order_id)
        left: list[tuple[str, int]] = []
        if per_order:
            left.append(("the order's", per_order - order))
        if per_day:
            left.append(("the tenant's daily", per_day - today))
        for name, tokens in left:
            if tokens <= 0:
                return name, 0
        return None, min(tokens for _, tokens in left)

    def model_router(self, stage: ExtractorStage) -> ModelRouter:
        """The chain the template names (default: the configured one), built once per worker."""
        names = tuple(stage.providers or self.deps.settings.model_providers)
        key = (names, stage.model)
        router = self._routers.get(key)
        if router is None:
            settings = self.deps.settings
            if stage.model is not None:  # the model of the chain's first provider
                settings = settings.model_copy(update={f"{names[0]}_model": stage.model})
            router = ModelRouter.from_settings(settings, list(names), redis=self.deps.redis)
            self._routers[key] = router
        return router
