"""ExtractorLLM as an OpenAI Agents SDK agent (extractor mode ``agent``).

The agent gets the document (the same prompt as the ``model`` mode), the tools its template
and its tenant allow (:class:`~myloware.agents.tools.Toolbox`) as SDK function tools, and the
canonical record of the document type — its active JSON Schema — as its output type. Its
model is MyloWare's router (:mod:`myloware.models.sdk`): fallback, breakers, deadline, cost
and transcripts as for every other model call. The SDK runs the loop: the model may call
tools (each call's arguments, answer or error and seconds are kept on the usage's ``tools``)
and then answers with the record, which is grounded in the text exactly as in ``model`` mode
(:func:`~myloware.extraction.llm.fields_from_reply`).

Failures end in a clear reason, never a lost document:

- a tool that raises: the model is told the tool failed (and why) and goes on; the error is
  in the transcript;
- no model answers, an answer that is not the record's JSON, more than :data:`MAX_TURNS`
  turns, the run's deadline passed, or the token budget spent between two turns: the
  rules' record stands, its ``extractor`` saying why (what was spent is kept; a spent
  budget also tells the policy).

The SDK is imported on first use (:func:`extract_with_agent`): a worker that runs no agent
never loads it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from myloware.agents.names import AgentName
from myloware.agents.tools import Toolbox
from myloware.agents.turns import chain_name
from myloware.contracts import AgentPlan
from myloware.documents.model import LoadedDocument
from myloware.errors import ExtractionError
from myloware.extraction import extract
from myloware.extraction.language import detect_language
from myloware.extraction.llm import (
    SYSTEM,
    Example,
    Schema,
    fields_from_reply,
    model_schema,
    prompt_for,
)
from myloware.models import ModelError, ModelRouter, Usage
from myloware.models.base import ToolCall
from myloware.models.transcript import kept
from myloware.pipeline_template import BUILTIN_TOOLS, ExtractorStage
from myloware.records import CanonicalRecord, DocumentType

if TYPE_CHECKING:
    from agents import AgentOutputSchema, FunctionTool

log = structlog.get_logger(__name__)

MAX_TURNS = 6
INSTRUCTIONS = (
    f"{SYSTEM} You may call the tools you are given first — to read a page or a line range "
    "of the document again, to check that line items, subtotal, tax and total add up, to see "
    "how this sender's earlier documents were read, or to see the schema — then answer with "
    "the JSON object only."
)
_SPECS = {spec.name: spec for spec in BUILTIN_TOOLS}
ToolInvoker = Callable[[str, str], Awaitable[str]]  # (tool name, JSON arguments) → JSON answer


def sdk_name(tool: str) -> str:
    """A tool's name as a function name (``memory.sender_lookup`` → ``memory_sender_lookup``:
    function names may not hold dots)."""
    return tool.replace(".", "_")


def parse_record(text: str) -> dict[str, Any]:
    """The agent's final answer as a JSON object: as sent, or the outermost ``{…}`` in it (a
    local model offered tools answers without a response format, sometimes in a code
    fence). Raises ValueError."""
    start, end = text.find("{"), text.rfind("}")
    candidates = (text, text[start : end + 1] if 0 <= start < end else "")
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    raise ValueError(f"the agent's answer is not a JSON object: {text[:120]!r}")


@dataclass(frozen=True)
class AgentAnswer:
    """What the agent run gave: the record (the rules' when the agent gave none, saying
    why), what it cost (model and tool calls), whether the token budget ran out mid-run."""

    record: CanonicalRecord
    usage: Usage
    budget_spent: bool = False


def record_answer(text: str, schema: Schema) -> dict[str, Any]:
    """The final answer as the record's JSON object: it must name at least one of the
    schema's fields (a small local model offered tools sometimes writes its tool call as
    text — ``{"name": "check_arithmetic", "arguments": …}`` — instead of the record).
    Raises ValueError."""
    data = parse_record(text)
    known = set(schema.get("properties", {}))
    if known and not known & set(data):
        keys = ", ".join(sorted(data)[:5]) or "none"
        raise ValueError(f"the agent's answer holds none of the record's fields (keys: {keys})")
    return data


class ToolRecorder:
    """The toolbox as SDK function tools; every call kept (``calls``) as it happened."""

    def __init__(self, toolbox: Toolbox, transcript_chars: int) -> None:
        self.toolbox, self.limit = toolbox, transcript_chars
        self.calls: list[ToolCall] = []

    async def invoke(self, name: str, arguments: str) -> str:
        """Run one tool; an exception becomes an error the model reads (and the transcript
        keeps), so the run goes on."""
        began = time.monotonic()
        output: str | None = None
        error: str | None = None
        try:
            parsed = json.loads(arguments or "{}")
            if not isinstance(parsed, dict):
                raise ValueError("the arguments are not a JSON object")
            output = json.dumps(await self.toolbox.call(name, **parsed), default=str)
        except Exception as exc:  # a tool's failure is the model's to read, not the run's end
            error = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("agent_tool_failed", tool=name, error=error)
        seconds = round(time.monotonic() - began, 3)
        if self.limit:
            self.calls.append(
                ToolCall(
                    tool=name,
                    arguments=kept(arguments, self.limit) or "",
                    seconds=seconds,
                    output=kept(output, self.limit),
                    error=error,
                )
            )
        if output is None:
            return json.dumps({"error": f"the tool failed: {error}"})
        return output

    def function_tools(self) -> list[FunctionTool]:
        return function_tools(self.toolbox.names, self.invoke)


def function_tools(names: Sequence[str], invoke: ToolInvoker) -> list[FunctionTool]:
    """The tools ``names`` as SDK function tools, each call going to ``invoke(name,
    arguments)``: the toolbox in an activity, or a tool activity from the workflow."""
    from agents import FunctionTool

    def bound(name: str) -> Any:
        async def on_invoke(_ctx: Any, arguments: str) -> str:
            return await invoke(name, arguments)

        return on_invoke

    return [
        FunctionTool(
            name=sdk_name(name),
            description=_SPECS[name].description,
            params_json_schema=_SPECS[name].as_schema(),
            on_invoke_tool=bound(name),
            strict_json_schema=False,
        )
        for name in names
    ]


def record_output(schema: Schema, name: str) -> AgentOutputSchema:
    """The canonical record's schema as the agent's output type: an ``AgentOutputSchema``
    (the only kind the Temporal integration carries to its model activity) whose JSON Schema
    is the document type's active schema and whose answer must name its fields."""
    from agents import AgentOutputSchema
    from agents.exceptions import ModelBehaviorError

    class RecordOutput(AgentOutputSchema):
        def __init__(self) -> None:
            super().__init__(dict, strict_json_schema=False)

        def is_plain_text(self) -> bool:
            return False

        def name(self) -> str:
            return name

        def json_schema(self) -> dict[str, Any]:
            return schema

        def validate_json(self, json_str: str) -> Any:
            try:
                return record_answer(json_str, schema)
            except ValueError as exc:
                raise ModelBehaviorError(str(exc)) from None

    return RecordOutput()


def agent_record(
    data: dict[str, Any],
    doc: LoadedDocument,
    document_type: DocumentType,
    schema: Schema | None,
    provider: str | None,
) -> CanonicalRecord:
    """The agent's answer as the record, grounded in the text as in ``model`` mode."""
    return CanonicalRecord(
        document_type=document_type,
        fields=fields_from_reply(data, doc, document_type, schema),
        extractor=f"agent:{provider or 'router'}",
        language=detect_language(doc.text),
    )


def fallback_record(rules: CanonicalRecord, reason: str) -> CanonicalRecord:
    """The rules' record, saying why the agent gave none."""
    log.warning("agent_extraction_fell_back_to_rules", error=reason)
    return rules.model_copy(
        update={"extractor": f"rules (fallback: the agent gave no record: {reason})"}
    )


def _require_text(doc: LoadedDocument) -> None:
    if not doc.text.strip():
        raise ExtractionError(
            "the document has no text to extract from", details={"name": doc.name}
        )


def schema_name_for(document_type: DocumentType) -> str:
    return f"{document_type.value.lower()}_record"


def plan_for(
    doc: LoadedDocument,
    document_type: DocumentType,
    stage: ExtractorStage,
    schema: Schema | None = None,
    examples: Sequence[Example] = (),
    *,
    deadline_s: float | None = None,
) -> AgentPlan:
    """The run the workflow makes (one activity per model and tool call): the same
    instructions, prompt and output type as :func:`extract_with_agent`'s; ``deadline_s``
    for the whole run."""
    _require_text(doc)
    return AgentPlan(
        instructions=INSTRUCTIONS,
        prompt=prompt_for(doc, document_type, examples),
        model=chain_name(stage),
        schema_name=schema_name_for(document_type),
        output_schema=model_schema(document_type, schema),
        max_turns=MAX_TURNS,
        deadline_s=deadline_s,
    )


async def extract_with_agent(
    doc: LoadedDocument,
    document_type: DocumentType,
    router: ModelRouter,
    toolbox: Toolbox,
    schema: Schema | None = None,
    examples: Sequence[Example] = (),
    *,
    transcript_chars: int = 16_000,
    token_budget: int | None = None,
    deadline_s: float | None = None,
) -> AgentAnswer:
    """The record as the agent answers it, or the rules' with the reason the agent did not
    answer. An INVOICE that carries an e-invoice is read from it, with no model call.
    ``token_budget``: the tokens the run may spend (checked before each model call);
    ``deadline_s``: the whole run's time (each turn also has the router's own deadline)."""
    if doc.einvoice is not None and document_type is DocumentType.INVOICE:
        return AgentAnswer(extract(doc, document_type), Usage())
    _require_text(doc)
    from agents import Agent, RunConfig, Runner
    from agents.exceptions import AgentsException

    from myloware.models.sdk import BudgetSpent, RouterModel, RouterModelProvider

    schema_name = schema_name_for(document_type)
    model = RouterModel(router, schema_name=schema_name, token_budget=token_budget)
    tools = ToolRecorder(toolbox, transcript_chars)
    agent: Agent[None] = Agent(
        name=AgentName.EXTRACTOR.value,
        instructions=INSTRUCTIONS,
        tools=list(tools.function_tools()),
        output_type=record_output(model_schema(document_type, schema), schema_name),
    )
    config = RunConfig(model_provider=RouterModelProvider(model), tracing_disabled=True)
    try:
        async with asyncio.timeout(deadline_s):
            result = await Runner.run(
                agent,
                prompt_for(doc, document_type, examples),
                max_turns=MAX_TURNS,
                run_config=config,
            )
    except (ModelError, AgentsException, TimeoutError) as exc:
        reason = (
            f"out of time ({deadline_s:g} s for the run)"
            if isinstance(exc, TimeoutError)
            else str(exc)[:200]
        )
        return AgentAnswer(
            fallback_record(extract(doc, document_type), reason),
            model.usage + Usage(tools=tools.calls),
            budget_spent=isinstance(exc, BudgetSpent),
        )
    data = result.final_output if isinstance(result.final_output, dict) else {}
    record = agent_record(data, doc, document_type, schema, model.provider)
    return AgentAnswer(record, model.usage + Usage(tools=tools.calls))
