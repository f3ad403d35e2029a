"""An agent's conversation in Anthropic's Messages form, and Anthropic's answer back in
Chat Completions form — so :class:`~myloware.models.providers.AnthropicProvider` can hold the
conversations the router's ``chat`` sends (pure functions, no SDK).

The final answer is one more tool, named after the output schema, whose ``input_schema`` is
the schema (as in ``complete_json``); ``tool_choice`` ``any`` makes the model either call a
helper tool or answer through it. Its input becomes the assistant's ``content`` (JSON text).
"""

from __future__ import annotations

import json
from typing import Any


def _arguments(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}


def to_anthropic(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, messages): tool calls as ``tool_use`` blocks, tool results as
    ``tool_result`` blocks of one user turn (consecutive results merged)."""
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for m in messages:
        role, content = m.get("role"), m.get("content")
        if role == "system":
            system.append(str(content or ""))
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": m.get("tool_call_id", ""),
                "content": str(content or ""),
            }
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].append(result)
            else:
                out.append({"role": "user", "content": [result]})
        elif role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": content}] if content else []
            for call in m.get("tool_calls") or []:
                fn = call.get("function", {})
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id", ""),
                        "name": fn.get("name", ""),
                        "input": _arguments(fn.get("arguments", "")),
                    }
                )
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": "user", "content": str(content or "")})
    return "\n".join(system), out


def tools_for(
    tools: list[dict[str, Any]], schema: dict[str, Any] | None, schema_name: str
) -> list[dict[str, Any]]:
    """Chat Completions function tools as Anthropic tools, the answer tool last."""
    converted = [
        {
            "name": t["function"]["name"],
            "description": t["function"].get("description", ""),
            "input_schema": t["function"].get("parameters") or {"type": "object"},
        }
        for t in tools
    ]
    if schema is not None:
        converted.append(
            {"name": schema_name, "description": "Answer with the record.", "input_schema": schema}
        )
    return converted


def from_anthropic(blocks: list[Any], schema_name: str) -> dict[str, Any]:
    """Anthropic's content blocks as one Chat Completions assistant message."""
    texts = [b.text for b in blocks if b.type == "text"]
    uses = [b for b in blocks if b.type == "tool_use"]
    answer = next((b for b in uses if b.name == schema_name), None)
    if answer is not None:
        return {"role": "assistant", "content": json.dumps(answer.input, ensure_ascii=False)}
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if uses:
        message["tool_calls"] = [
            {
                "id": b.id,
                "type": "function",
                "function": {"name": b.name, "arguments": json.dumps(b.input)},
            }
            for b in uses
        ]
    return message
