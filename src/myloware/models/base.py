"""What every model provider speaks: one JSON-producing call, its usage and its failures."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from myloware.errors import MylowareError


class Usage(BaseModel):
    """Model usage of one agent call; the attempt recorder copies it onto the attempt row."""

    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        """Both calls' usage; ``model`` names every model that was paid for, in order (a
        fallback's attempt row says "gpt-4o-mini + claude-…", not only the one that answered)."""
        models = [m for m in (self.model, other.model) if m]
        return Usage(
            model=" + ".join(dict.fromkeys(models)) or None,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
        )


class ModelReply(BaseModel):
    """A provider's answer: the JSON object it produced, who produced it, what it cost."""

    data: dict[str, Any]
    provider: str
    usage: Usage


class ModelError(MylowareError):
    """A provider did not give a usable answer: unreachable, timed out, refused, or garbage.

    ``usage`` keeps what a call that did answer (with garbage) still cost.
    """

    code = "model_error"
    transient = True

    def __init__(self, message: str, *, provider: str, usage: Usage | None = None) -> None:
        super().__init__(f"{provider}: {message}" if provider != "router" else message)
        self.provider = provider
        self.usage = usage or Usage()


class Provider(Protocol):
    """One model endpoint."""

    name: str
    model: str

    async def complete_json(
        self, *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> ModelReply:
        """Ask for one JSON object that follows ``schema``; raise :class:`ModelError`."""
        ...
