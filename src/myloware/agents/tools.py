"""The built-in tools' callables, and the :class:`Toolbox` an agent is handed.

Each tool of :data:`myloware.pipeline_template.BUILTIN_TOOLS` (rows of ``tools``, seeded by
:mod:`myloware.services.tools`) is a coroutine here taking the :class:`ToolContext` of the
work item and its keyword arguments, answering a JSON-ready dict. An agent never reaches the
registry directly: it gets a :class:`Toolbox` of the tools its workflow template and its tenant
allow (RecordGen resolved them, see :class:`myloware.pipeline_template.TemplateRef`), and
calling any other tool raises :class:`ToolNotAllowed`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from myloware.agents.deps import AgentDeps
from myloware.contracts import ItemRef
from myloware.db import hot_sql
from myloware.db.direct import transaction
from myloware.errors import MylowareError
from myloware.pipeline_template import BUILTIN_TOOL_NAMES
from myloware.records import DocumentType

AMOUNT_TOLERANCE = Decimal("0.02")
MAX_READ_CHARS = 8_000


class ToolNotAllowed(MylowareError):
    """An agent asked for a tool its template or its tenant does not allow."""


@dataclass(frozen=True)
class ToolContext:
    deps: AgentDeps
    item: ItemRef
    document_type: DocumentType


ToolFn = Callable[..., Awaitable[dict[str, Any]]]


async def sender_lookup(ctx: ToolContext, *, sender: str) -> dict[str, Any]:
    key = sender.strip().casefold()
    if not key:
        return {"sender": sender, "known": False, "records": 0, "recent": []}
    async with transaction(ctx.deps.engine) as pg:
        count, rows = await hot_sql.sender_records(
            pg, tenant_id=ctx.item.tenant_id, sender=key, item_id=ctx.item.work_item_id
        )
    return {
        "sender": sender,
        "known": count > 0,
        "records": count,
        "recent": [{"work_item_id": str(item), "values": data} for item, data in rows],
    }


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


async def check_arithmetic(
    ctx: ToolContext | None,
    *,
    line_items: list[dict[str, Any]] | None = None,
    subtotal: Any = None,
    tax_amount: Any = None,
    total_amount: Any = None,
) -> dict[str, Any]:
    """What adds up and what does not, each check with the figures it used."""
    problems: list[str] = []
    checks = 0
    amounts: list[Decimal] = []
    for n, line in enumerate(line_items or []):
        qty, price, amount = (_amount(line.get(k)) for k in ("quantity", "unit_price", "amount"))
        if amount is not None:
            amounts.append(amount)
        if qty is not None and price is not None and amount is not None:
            checks += 1
            if abs(qty * price - amount) > AMOUNT_TOLERANCE:
                problems.append(f"line {n + 1}: {qty} × {price} = {qty * price}, not {amount}")
    sub, tax, total = _amount(subtotal), _amount(tax_amount), _amount(total_amount)
    if sub is not None and amounts and len(amounts) == len(line_items or []):
        checks += 1
        if abs(sum(amounts, Decimal(0)) - sub) > AMOUNT_TOLERANCE:
            problems.append(f"lines add up to {sum(amounts, Decimal(0))}, not the subtotal {sub}")
    if sub is not None and tax is not None and total is not None:
        checks += 1
        if abs(sub + tax - total) > AMOUNT_TOLERANCE:
            problems.append(f"subtotal {sub} + tax {tax} = {sub + tax}, not the total {total}")
    return {"consistent": not problems, "checks": checks, "problems": problems}


async def read_document(
    ctx: ToolContext,
    *,
    page: int | None = None,
    first_line: int | None = None,
    last_line: int | None = None,
) -> dict[str, Any]:
    doc = await ctx.deps.context(ctx.item.work_item_id)
    lines = list(doc.lines)
    if page is not None:
        lines = [ln for ln in lines if ln.page == page]
    lo = first_line or 0
    hi = len(lines) - 1 if last_line is None else min(last_line, len(lines) - 1)
    picked = lines[lo : hi + 1] if lines else []
    if picked:
        text = doc.text[picked[0].start : picked[-1].end]
    elif not doc.lines and page in (None, 1) and first_line is None:
        text = doc.text  # no line layout: the whole text is the one page
    else:
        text = ""
    return {
        "pages": doc.pages,
        "page": page,
        "lines": len(picked),
        "text": text[:MAX_READ_CHARS],
        "truncated": len(text) > MAX_READ_CHARS,
    }


async def active_schema(ctx: ToolContext) -> dict[str, Any]:
    version, schema = await ctx.deps.active_schema(ctx.document_type)
    return {"document_type": ctx.document_type.value, "version": version, "schema": schema}


#: the callable behind every built-in tool, by its name in ``tools``
REGISTRY: dict[str, ToolFn] = {
    "memory.sender_lookup": sender_lookup,
    "check.arithmetic": check_arithmetic,
    "document.read": read_document,
    "schema.active": active_schema,
}
assert set(REGISTRY) == set(BUILTIN_TOOL_NAMES), "every catalogued tool needs a callable"


class Toolbox:
    """The tools one agent may call on one work item, and only those."""

    def __init__(self, ctx: ToolContext, names: list[str]) -> None:
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            raise ToolNotAllowed(f"no such tools: {', '.join(unknown)}")
        self._ctx = ctx
        self.names = list(names)

    @classmethod
    def for_item(
        cls,
        deps: AgentDeps,
        item: ItemRef,
        document_type: DocumentType,
        names: list[str] | None,
    ) -> Toolbox:
        """``names`` as the template resolved them; None (a history from before templates):
        no tools."""
        return cls(ToolContext(deps, item, document_type), list(names or []))

    def allows(self, name: str) -> bool:
        return name in self.names

    async def call(self, name: str, **arguments: Any) -> dict[str, Any]:
        if name not in self.names:
            raise ToolNotAllowed(
                f"tool {name!r} is not allowed here (allowed: {', '.join(self.names) or 'none'})"
            )
        return await REGISTRY[name](self._ctx, **arguments)
