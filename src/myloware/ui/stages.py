"""What each stage of a trace cost and saw: pure functions over the item's attempts.

* :func:`stage_costs` — per agent, in the order the agents first ran: runs, retries, model
  calls, tokens and USD (``services.costs.Cost``), and the item's total.
* :func:`extractor_answer` — which extractor gave the record's values: the rules, a model
  (provider and model), a hybrid (which fields the model gave and which the rules), an
  embedded e-invoice, and the values an earlier approval taught.
* :func:`json_view` — an attempt's input or output as pretty JSON, with the values of
  credential-like keys masked and the text capped at ``MAX_JSON_CHARS``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from myloware.agents.names import AgentName
from myloware.db.models import Attempt
from myloware.logs import SECRET_WORDS
from myloware.services.costs import Cost, cost_of
from myloware.ui.rendering import pretty_json

MAX_JSON_CHARS = 20_000
REDACTED = "[redacted]"


def scrub(value: Any) -> Any:
    """``value`` with every string under a credential-like key (token, secret …) masked."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(item, str) and any(w in str(key).lower() for w in SECRET_WORDS)
            else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class JsonView:
    text: str  # at most MAX_JSON_CHARS characters
    chars: int  # of the whole pretty-printed value
    truncated: bool


def json_view(value: Any, limit: int = MAX_JSON_CHARS) -> JsonView | None:
    """The value pretty-printed and scrubbed, cut at ``limit`` characters (None: no value)."""
    if value is None:
        return None
    full = pretty_json(scrub(value))
    return JsonView(full[:limit], len(full), len(full) > limit)


@dataclass(frozen=True, slots=True)
class ModelCallView:
    """One model request of an attempt, to read: what was sent, what came back."""

    summary: str  # provider, model, seconds, tokens
    error: str | None
    prompt: str  # the system prompt, then the prompt
    answer: str | None


def model_calls(output: Mapping[str, Any] | None) -> list[ModelCallView]:
    """The transcripts an attempt's output keeps (``usage.calls``; docs/models.md), as they
    were stored: redacted and capped by the router, purged after the retention period."""
    usage = (output or {}).get("usage")
    calls = usage.get("calls") if isinstance(usage, Mapping) else None
    views = []
    for call in calls if isinstance(calls, list) else []:
        if not isinstance(call, Mapping):
            continue
        summary = (
            f"{call.get('provider', '?')} · {call.get('model') or 'model ?'} · "
            f"{call.get('seconds', 0):.1f} s · {call.get('tokens_in', 0)} tokens in, "
            f"{call.get('tokens_out', 0)} out"
        )
        if call.get("cost_usd"):
            summary += f" · ${float(call['cost_usd']):.4f}"
        if call.get("retries"):
            summary += f" · {call['retries']} SDK retr{'y' if call['retries'] == 1 else 'ies'}"
        prompt = f"[system]\n{call.get('system', '')}\n\n[prompt]\n{call.get('prompt', '')}"
        answer = call.get("answer")
        views.append(
            ModelCallView(
                summary=summary,
                error=call.get("error"),
                prompt=prompt,
                answer=answer if isinstance(answer, str) else None,
            )
        )
    return views


@dataclass(frozen=True, slots=True)
class ToolCallView:
    """One tool call of an agent's attempt: what it asked, what it got back."""

    summary: str  # tool, seconds
    arguments: str
    output: str | None
    error: str | None


def tool_calls(output: Mapping[str, Any] | None) -> list[ToolCallView]:
    """The tool calls an agent's attempt keeps (``usage.tools``), in the order it made them."""
    usage = (output or {}).get("usage")
    calls = usage.get("tools") if isinstance(usage, Mapping) else None
    return [
        ToolCallView(
            summary=f"{call.get('tool', '?')} · {call.get('seconds', 0):.2f} s",
            arguments=str(call.get("arguments") or "{}"),
            output=call.get("output") if isinstance(call.get("output"), str) else None,
            error=call.get("error") if isinstance(call.get("error"), str) else None,
        )
        for call in (calls if isinstance(calls, list) else [])
        if isinstance(call, Mapping)
    ]


@dataclass(frozen=True, slots=True)
class StageCost:
    agent: str
    cost: Cost
    models: tuple[str, ...]  # the models its attempts paid for, in order


def stage_costs(attempts: Sequence[Attempt]) -> tuple[list[StageCost], Cost]:
    """Each agent's attempts summed (agents in the order they first started) and the total."""
    ordered = sorted(attempts, key=lambda a: (a.started_at, a.attempt_number))
    agents = list(dict.fromkeys(a.agent_id for a in ordered))
    rows = []
    for agent in agents:
        mine = [a for a in ordered if a.agent_id == agent]
        models = tuple(dict.fromkeys(a.model for a in mine if a.model))
        rows.append(StageCost(agent, cost_of(mine), models))
    return rows, cost_of(ordered)


@dataclass(frozen=True, slots=True)
class ExtractorAnswer:
    """Who gave the record's values, from the latest completed ExtractorLLM attempt."""

    kind: str  # rules | model | hybrid | einvoice
    label: str  # in words, e.g. "hybrid: the rules, and openai (gpt-4o-mini) for 2 fields"
    provider: str | None
    model: str | None
    model_fields: tuple[str, ...]
    rules_fields: tuple[str, ...]
    learned_fields: tuple[str, ...]


def _latest_extraction(attempts: Sequence[Attempt]) -> Attempt | None:
    done = [
        a
        for a in attempts
        if a.agent_id in (AgentName.EXTRACTOR, AgentName.EXTRACTOR_AGENT)
        and a.status.value == "COMPLETED"
        and a.output
        and not a.output.get("agent")  # a plan for the workflow's agent: ExtractorAgent reads
    ]
    return max(done, key=lambda a: (a.started_at, a.attempt_number)) if done else None


def _kind(extractor: str) -> tuple[str, str | None]:
    """(kind, provider) of a record's ``extractor`` text."""
    if extractor.startswith("einvoice"):
        return "einvoice", None
    for kind in ("model", "hybrid", "agent"):
        if extractor.startswith(kind + ":"):
            provider = extractor.removeprefix(kind + ":").split(" ")[0]
            return kind, None if provider == "rules" else provider
    return "rules", None


def _label(extractor: str, kind: str, provider: str | None, model: str | None, n: int) -> str:
    paid = f"{provider} ({model})" if model else provider
    if kind == "model":
        return f"model: {paid} read every field"
    if kind == "agent":
        return f"agent: {paid} read every field, with its tools"
    if kind == "hybrid" and provider:
        return f"hybrid: the rules, and {paid} for {n} field{'' if n == 1 else 's'}"
    if kind == "hybrid":
        return "hybrid: the rules alone (no model answered)"
    if kind == "einvoice":
        return (
            f"the document's embedded e-invoice ({extractor.removeprefix('einvoice').strip(' ()')})"
        )
    if extractor != "rules":
        return extractor  # e.g. "rules (fallback: no model answered)"
    return "rules (offline, no model)"


def extractor_answer(attempts: Sequence[Attempt]) -> ExtractorAnswer | None:
    """None until an ExtractorLLM attempt completed."""
    attempt = _latest_extraction(attempts)
    if attempt is None:
        return None
    output: dict[str, Any] = attempt.output or {}
    record = output.get("record") or {}
    extractor = str(record.get("extractor") or "rules")
    kind, provider = _kind(extractor)
    names = sorted(record.get("fields") or {})
    learned = sorted({str(u.get("field")) for u in output.get("learned") or [] if u.get("field")})
    given = output.get("from_model")
    from_model = sorted(given) if isinstance(given, list) else []
    if kind in ("model", "agent"):
        from_model = [n for n in names if n not in learned]
    by_rules = [n for n in names if n not in from_model and n not in learned]
    # an agent run in the workflow: the model is on its calls' attempts, the last one answered
    turns = [a for a in attempts if a.agent_id == AgentName.EXTRACTOR_TURN and a.model]
    last = max(turns, key=lambda a: (a.started_at, a.attempt_number)) if turns else None
    model = attempt.model or (last.model if last else None)
    return ExtractorAnswer(
        kind=kind,
        label=_label(extractor, kind, provider, model, len(from_model)),
        provider=provider,
        model=model,
        model_fields=tuple(from_model),
        rules_fields=tuple(by_rules) if kind in ("rules", "hybrid") else (),
        learned_fields=tuple(learned),
    )
