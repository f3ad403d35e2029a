"""What is kept of a model call: the prompt and the answer, redacted and size-capped.

Kept with the attempt's output (``usage.calls``) so a person can see why a model answered
what it did (the Run Trace shows them); dropped from attempts older than
``MYLOWARE_MODEL_TRANSCRIPT_RETENTION_DAYS`` by the worker's reconciler.

Redaction masks what looks like a credential wherever it appears — API keys of the common
providers, Slack and GitHub tokens, AWS access keys, JWTs, bearer headers, private keys,
``password: …`` pairs — so a document that quotes one does not put it into the trace a
second time. It is a net, not a guarantee: the document itself stays where it was stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

REDACTED = "[redacted]"
_SECRETS = re.compile(
    "|".join(
        (
            r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}",  # OpenAI, Anthropic
            r"\bxox[abposr]-[A-Za-z0-9\-]{8,}",  # Slack bot / user tokens
            r"\bxapp-[A-Za-z0-9\-]{8,}",  # Slack app tokens
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",  # GitHub
            r"\bAKIA[0-9A-Z]{16}\b",  # AWS access key id
            r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT
            r"\b[Bb]earer\s+[A-Za-z0-9_\-.=]{16,}",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        )
    )
)
_PASSWORD = re.compile(r"(?i)\b(password|passwort|mot de passe|secret)(\s*[:=]\s*)(\S+)")


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    masked = _SECRETS.sub(REDACTED, text)
    return _PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", masked)


def kept(text: str | None, limit: int) -> str | None:
    """``text`` as kept: redacted, then cut to ``limit`` characters (saying how much more)."""
    if text is None:
        return None
    masked = redact(text)
    if len(masked) <= limit:
        return masked
    return f"{masked[:limit]}\n[… {len(masked) - limit} more characters not kept]"


def conversation_text(messages: Sequence[dict[str, Any]]) -> str:
    """An agent's conversation (Chat Completions messages, the system's left out) as the
    transcript keeps it: one block per message, tool calls and results spelled out."""
    blocks = []
    for m in messages:
        role = str(m.get("role", "?"))
        if role == "system":
            continue
        calls = m.get("tool_calls") or []
        for call in calls:
            fn = call.get("function", {})
            blocks.append(f"[{role} → tool {fn.get('name')}]\n{fn.get('arguments', '')}")
        content = m.get("content")
        if isinstance(content, list):  # content parts
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        if content or not calls:
            label = f"tool result {m.get('tool_call_id', '')}".strip() if role == "tool" else role
            text = content if isinstance(content, str) else json.dumps(content)
            blocks.append(f"[{label}]\n{text}")
    return "\n\n".join(blocks)
