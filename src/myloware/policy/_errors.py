"""Turning pydantic's validation errors on a policy document into sentences that name the
rule (by id, and position) and the field at fault, e.g.::

    rule 'large-invoice' (rules[0]) then: REQUIRE_APPROVAL needs an approver_group
    rule 'qc' (rules[3]) when: unknown condition type 'sample'; expected one of: ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from myloware.errors import ValidationFailed
from myloware.policy._combinators import CONDITION_TYPES
from myloware.policy._model import CrossReferenceError


def invalid_policy(exc: ValidationError, data: Any) -> ValidationFailed:
    """A :class:`ValidationFailed` listing every problem pydantic found in ``data``."""
    problems = [
        _problem(loc, message, data)
        for error in exc.errors(include_url=False)
        for loc, message in _split(error)
    ]
    name = data.get("name") if isinstance(data, Mapping) else None
    title = f"invalid policy document {name!r}" if isinstance(name, str) else "invalid policy"
    lines = [
        f"{p['location']}: {p['message']}" if p["location"] else p["message"] for p in problems
    ]
    message = (
        f"{title}: " + "; ".join(lines)
        if len(lines) == 1
        else (f"{title} ({len(lines)} problems):\n" + "\n".join(f"- {line}" for line in lines))
    )
    return ValidationFailed(message, details={"errors": problems})


def _split(error: ErrorDetails) -> list[tuple[tuple[int | str, ...], str]]:
    """The error's (location, message) pairs: several for a cross-reference error."""
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, CrossReferenceError):
        return [(tuple(error["loc"]) + loc, message) for loc, message in cause.problems]
    return [(tuple(error["loc"]), _message(error))]


def _problem(loc: tuple[int | str, ...], message: str, data: Any) -> dict[str, Any]:
    rule_id: str | None = None
    prefix = ""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rule_id = _rule_id(data, loc[1])
        prefix = f"rule '{rule_id}' (rules[{loc[1]}])" if rule_id else f"rules[{loc[1]}]"
        loc = loc[2:]
    path = _path(loc)
    location = " ".join(part for part in (prefix, path) if part)
    return {"location": location, "rule_id": rule_id, "message": message}


def _rule_id(data: Any, index: int) -> str | None:
    rules = data.get("rules") if isinstance(data, Mapping) else None
    if isinstance(rules, Sequence) and not isinstance(rules, str) and index < len(rules):
        rule = rules[index]
        if isinstance(rule, Mapping) and isinstance(rule.get("id"), str):
            return str(rule["id"])
    return None


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    expected = ", ".join(CONDITION_TYPES)
    if kind == "union_tag_invalid":
        return f"unknown condition type {ctx.get('tag')!r}; expected one of: {expected}"
    if kind == "union_tag_not_found":
        return f"a condition needs a 'type', one of: {expected}"
    if kind == "extra_forbidden":
        return "unknown key (not part of the policy format; check the spelling)"
    if kind == "missing":
        return "is required"
    if kind == "literal_error" and "Action." in str(ctx.get("expected", "")):
        return "should be 'AUTO_APPROVE' or 'REJECT' (a timed-out approval cannot wait again)"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
