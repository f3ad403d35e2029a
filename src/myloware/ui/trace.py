"""The work-item trace as display data: pure functions over rows already loaded.

* :func:`segments` cuts the document text at field spans and page starts so the template can
  highlight each value's source without ever building HTML by hand (Jinja escapes every piece).
* :func:`field_rows` lists the extracted fields with confidence, span and page.
* :func:`timeline` places agent attempts, approval waits and human decisions on one time axis.
* :func:`pick_record` / :func:`pick_stage_output` find the freshest record, validation and
  policy decision whether the item finished, waits for a person or is still running.
* :func:`record_origin` says which extractor produced the record's values (an embedded
  e-invoice, the rules, a model).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from myloware.agents.names import AgentName
from myloware.db.models import ApprovalEvent, ApprovalRequest, Attempt, RecordVersion
from myloware.ui.stages import (
    JsonView,
    ModelCallView,
    ToolCallView,
    json_view,
    model_calls,
    tool_calls,
)

MAX_DOCUMENT_CHARS = 100_000
RECORD_STAGES = (
    AgentName.EXTRACTOR,
    AgentName.EXTRACTOR_MODEL,
    AgentName.EXTRACTOR_AGENT,
    AgentName.RESTYLER,
    AgentName.APPLY_CORRECTIONS,
)
EXTRACTORS = (AgentName.EXTRACTOR, AgentName.EXTRACTOR_MODEL, AgentName.EXTRACTOR_AGENT)
_ANCHOR_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def anchor_for(name: str) -> str:
    return "src-" + _ANCHOR_SAFE.sub("-", name)


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of document text; ``fields`` are the values read from it (empty: plain text)."""

    text: str
    fields: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()  # ids of the spans that start here
    page: int | None = None  # a page that starts here


def segments(
    text: str,
    spans: Mapping[str, tuple[int, int]],
    page_starts: Mapping[int, int] | None = None,
    limit: int = MAX_DOCUMENT_CHARS,
) -> list[Segment]:
    """Split ``text[:limit]`` at every span edge and page start; overlapping spans both mark."""
    end = min(len(text), limit)
    clean = {n: (max(0, s), min(e, end)) for n, (s, e) in spans.items() if 0 <= s < e and s < end}
    pages = {off: page for page, off in (page_starts or {}).items() if 0 <= off < end}
    cuts = sorted(
        {0, end, *pages, *(s for s, _ in clean.values()), *(e for _, e in clean.values())}
    )
    out: list[Segment] = []
    for a, b in pairwise(cuts):
        covering = tuple(n for n, (s, e) in clean.items() if s <= a and b <= e)
        starting = tuple(anchor_for(n) for n, (s, _) in clean.items() if s == a)
        out.append(Segment(text[a:b], covering, starting, pages.get(a)))
    return out


def page_starts(meta: Mapping[str, Any]) -> dict[int, int]:
    """Offsets where pages after the first begin, from the CONTEXT doc's ``lines`` layout."""
    starts: dict[int, int] = {}
    for line in meta.get("lines") or ():
        if len(line) >= 3 and isinstance(line[2], int) and line[2] > 1:
            starts.setdefault(line[2], int(line[0]))
    return starts


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str
    value: Any
    confidence: float | None
    span: tuple[int, int] | None
    page: int | None
    raw: str | None
    corrected: bool = False
    box: tuple[float, float, float, float] | None = None  # on ``page``, in its units
    learned: str | None = None  # "learned from the approval of <document> by <person>, <date>"

    @property
    def anchor(self) -> str:
        return anchor_for(self.name)

    @property
    def level(self) -> str:
        if self.confidence is None:
            return "none"
        return "high" if self.confidence >= 0.85 else "mid" if self.confidence >= 0.6 else "low"

    @property
    def table(self) -> tuple[list[str], list[dict[str, Any]]] | None:
        """Columns (text before numbers) and rows when the value is a list of objects."""
        if not isinstance(self.value, list) or not self.value:
            return None
        if not all(isinstance(v, dict) for v in self.value):
            return None
        columns: list[str] = []
        for row in self.value:
            columns.extend(k for k in row if k not in columns)
        columns.sort(key=lambda c: all(_numeric(row.get(c)) for row in self.value))
        return columns, list(self.value)


def _numeric(value: object) -> bool:
    if value is None or isinstance(value, int | float):
        return True
    try:
        float(str(value).replace(",", ""))
    except ValueError:
        return False
    return True


def field_rows(
    record: Mapping[str, Any] | None,
    corrected: Iterable[str] = (),
    text_length: int = 0,
    extracted: Mapping[str, Any] | None = None,
) -> list[FieldRow]:
    """The record's fields in reading order (by source span; fields without one last).

    A value a person corrected has no span of its own; it points at the span (and box) the
    pipeline read the original value from (``extracted``, the record before corrections).
    """
    fixed = set(corrected)
    originals = (extracted or {}).get("fields") or {}
    rows = []
    for name, fv in ((record or {}).get("fields") or {}).items():
        if not isinstance(fv, dict):
            continue
        span, page, box = _span(fv.get("span"), text_length), fv.get("page"), _box(fv.get("box"))
        if span is None and name in fixed and isinstance(originals.get(name), dict):
            original = originals[name]
            span = _span(original.get("span"), text_length)
            page, box = original.get("page"), _box(original.get("box"))
        rows.append(
            FieldRow(
                name=name,
                value=fv.get("value"),
                confidence=fv.get("confidence"),
                span=span,
                page=page if isinstance(page, int) else None,
                raw=fv.get("raw"),
                corrected=name in fixed,
                box=box,
                learned=_learned(fv.get("source")),
            )
        )
    return sorted(rows, key=lambda r: (r.span is None, r.span or (0, 0), r.name))


def _learned(source: object) -> str | None:
    """A value's provenance when an earlier approval taught it (``FieldValue.source``)."""
    if isinstance(source, str) and source.startswith("memory: "):
        return source.removeprefix("memory: ")
    return None


def _span(value: object, text_length: int) -> tuple[int, int] | None:
    """A usable ``(start, end)`` inside the text, or None."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    start, end = value
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return (start, end) if 0 <= start < end and start < text_length else None


def _box(value: object) -> tuple[float, float, float, float] | None:
    """``(x0, y0, x1, y1)`` with a positive width and height, or None."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _refused(attempt: Attempt) -> bool:
    """An ApplyCorrections run whose corrected record failed validation (it was not taken)."""
    if attempt.agent_id != "ApplyCorrections":
        return False
    validation = (attempt.output or {}).get("validation") or {}
    return validation.get("valid") is False


def pick_stage_output(attempts: Sequence[Attempt], *agents: str) -> dict[str, Any] | None:
    """The output of the latest COMPLETED attempt of any of ``agents`` (refused fixes skipped)."""
    done = [
        a
        for a in attempts
        if a.agent_id in agents
        and a.output is not None
        and a.status.value == "COMPLETED"
        and not _refused(a)
    ]
    if not done:
        return None
    latest = max(done, key=lambda a: (a.completed_at or a.started_at, a.attempt_number))
    return dict(latest.output or {})


def pick_record(
    versions: Sequence[RecordVersion], attempts: Sequence[Attempt]
) -> tuple[dict[str, Any] | None, str]:
    """The freshest canonical record (with spans) and where it came from."""
    if versions:
        latest = versions[-1]
        return dict(latest.canonical), f"record version {latest.version}"
    out = pick_stage_output(attempts, *RECORD_STAGES)
    if out is None:
        return None, "not extracted yet"
    record = out.get("record", out)
    return (dict(record) if isinstance(record, dict) else None), "latest pipeline stage"


def record_origin(record: Mapping[str, Any] | None) -> str | None:
    """Where the record's values came from, in words (None when the record does not say)."""
    extractor = (record or {}).get("extractor")
    if not isinstance(extractor, str) or not extractor:
        return None
    if extractor.startswith("einvoice"):
        syntax = extractor.removeprefix("einvoice").strip(" ()")
        return f"values taken from the document's embedded e-invoice ({syntax}), not its text"
    return f"extracted by {extractor}"


def template_label(template: object) -> str | None:
    """ "name vN (scope)" of a workflow template as RecordGen's output or a result holds it."""
    if not isinstance(template, Mapping) or not template.get("name"):
        return None
    return f"{template['name']} v{template.get('version')} ({template.get('scope', '?')})"


def pick_template(attempts: Sequence[Attempt], result: Mapping[str, Any]) -> str | None:
    """The workflow template the item ran with, in words (None before templates)."""
    found = result.get("template") or (pick_stage_output(attempts, "RecordGen") or {}).get(
        "template"
    )
    return template_label(found)


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # agent | wait | human
    label: str
    status: str
    started: datetime
    seconds: float | None
    attempt: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    left: float = 0.0  # percent of the time axis
    width: float = 0.0
    input: JsonView | None = None  # an agent attempt's input and output, to look at
    output: JsonView | None = None
    calls: list[ModelCallView] = field(default_factory=list)  # the model requests it made
    tool_calls: list[ToolCallView] = field(default_factory=list)  # an agent's tool calls


def _agent_steps(attempts: Sequence[Attempt], now: datetime) -> list[Step]:
    steps = []
    for a in attempts:
        detail: dict[str, Any] = {}
        if a.model:
            detail["model"] = a.model
        if a.tokens_in or a.tokens_out:
            detail["tokens"] = f"{a.tokens_in or 0} in / {a.tokens_out or 0} out"
        if a.cost_usd:
            detail["cost"] = f"${float(a.cost_usd):.4f}"
        if _refused(a):
            detail["outcome"] = "corrections refused (invalid)"
        template = template_label((a.output or {}).get("template"))
        if template:
            detail["template"] = template
        extractor = a.agent_id in EXTRACTORS
        tools = (a.output or {}).get("tools") if extractor else None
        if tools:
            detail["tools"] = ", ".join(tools)
        if a.duration_ms is not None:
            seconds: float | None = a.duration_ms / 1000
        elif a.status.value == "STARTED":
            seconds = (now - a.started_at).total_seconds()
        else:
            seconds = None
        steps.append(
            Step(
                kind="agent",
                label=a.agent_id,
                status=a.status.value,
                started=a.started_at,
                seconds=seconds,
                attempt=a.attempt_number,
                detail=detail,
                error=a.error,
                input=json_view(a.input),
                output=json_view(a.output),
                calls=model_calls(a.output),
                tool_calls=tool_calls(a.output),
            )
        )
    return steps


def _approval_steps(
    requests: Sequence[ApprovalRequest], events: Sequence[ApprovalEvent], now: datetime
) -> list[Step]:
    steps = []
    for r in requests:
        until = r.decided_at or now
        steps.append(
            Step(
                kind="wait",
                label=f"Waiting for {r.approver_group} (tier {r.tier + 1})",
                status=r.status.value,
                started=r.created_at,
                seconds=(until - r.created_at).total_seconds(),
                detail={"policy": f"{r.policy_name} v{r.policy_version}", "due": r.due_at},
            )
        )
    for e in events:
        steps.append(
            Step(
                kind="human",
                label=e.decision.value.title(),
                status=e.decision.value,
                started=e.timestamp,
                seconds=None,
                detail={"by": e.approver_id, "policy_version": e.policy_version},
                error=e.reason,
            )
        )
    return steps


def timeline(
    attempts: Sequence[Attempt],
    requests: Sequence[ApprovalRequest] = (),
    events: Sequence[ApprovalEvent] = (),
    now: datetime | None = None,
) -> list[Step]:
    """All steps by start time, each with its position on a shared axis (for the bars)."""
    now = now or datetime.now(UTC)
    steps = sorted(
        _agent_steps(attempts, now) + _approval_steps(requests, events, now),
        key=lambda s: (s.started, 0 if s.kind == "wait" else 1),
    )
    if not steps:
        return []
    t0 = steps[0].started
    t1 = max(s.started.timestamp() + (s.seconds or 0) for s in steps)
    span = max(t1 - t0.timestamp(), 1e-3)
    placed = []
    for s in steps:
        left = (s.started - t0).total_seconds() / span * 100
        width = (s.seconds or 0) / span * 100
        left = min(left, 99.5)
        placed.append(
            replace(s, left=round(left, 2), width=round(max(min(width, 100 - left), 0.5), 2))
        )
    return placed


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: int
    source: str
    created_by: str | None
    created_at: datetime
    content_hash: str
    changed: tuple[str, ...]


def version_rows(versions: Sequence[RecordVersion]) -> list[VersionRow]:
    """Each version with the fields whose value differs from the version before it."""
    rows, previous = [], None
    for v in versions:
        current = v.data or {}
        if previous is None:
            changed: tuple[str, ...] = ()
        else:
            keys = sorted(set(previous) | set(current))
            changed = tuple(k for k in keys if previous.get(k) != current.get(k))
        rows.append(
            VersionRow(v.version, v.source, v.created_by, v.created_at, v.content_hash, changed)
        )
        previous = current
    return rows


def corrected_fields(events: Sequence[ApprovalEvent]) -> set[str]:
    return {name for e in events for name in (e.corrections or {})}
