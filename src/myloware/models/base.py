"""What every model provider speaks: one JSON-producing call, its usage and its failures."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from myloware.errors import MylowareError


class ModelCall(BaseModel):
    """One request to one provider as it is kept on the attempt: the prompt sent and the
    answer received, as text (redacted and size-capped by the router: :mod:`.transcript`)."""

    provider: str
    model: str | None = None
    seconds: float
    system: str
    prompt: str
    answer: str | None = None  # the raw text received (None: no answer, see ``error``)
    error: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    retries: int = 0  # the SDK's retries before this answer (connection errors, 429, 5xx)


class ToolCall(BaseModel):
    """One call an agent made to one of its tools, as kept on the attempt: the arguments the
    model gave, what the tool answered (or the error it raised), and how long it took."""

    tool: str
    arguments: str  # the JSON text the model sent
    seconds: float
    output: str | None = None  # the JSON text the model got back (redacted, size-capped)
    error: str | None = None


class Usage(BaseModel):
    """Model usage of one agent call; the attempt recorder copies it onto the attempt row.
    ``calls``: the requests it was made of, ``tools``: the tool calls an agent made between
    them — both kept with the attempt's output (debugging, purged with the transcripts)."""

    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    retries: int = 0  # requests the provider SDKs retried
    calls: list[ModelCall] = Field(default_factory=list)
    tools: list[ToolCall] = Field(default_factory=list)

    def __add__(self, other: Usage) -> Usage:
        """Both calls' usage; ``model`` names every model that was paid for, in order (a
        fallback's attempt row says "gpt-4o-mini + claude-…", not only the one that answered)."""
        models = [m for m in (self.model, other.model) if m]
        return Usage(
            model=" + ".join(dict.fromkeys(models)) or None,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
            retries=self.retries + other.retries,
            calls=[*self.calls, *other.calls],
            tools=[*self.tools, *other.tools],
        )


class ModelReply(BaseModel):
    """A provider's answer: the JSON object it produced, who produced it, what it cost, and
    the text it came as (``raw``, for the transcript)."""

    data: dict[str, Any]
    provider: str
    usage: Usage
    raw: str | None = None


class ChatReply(BaseModel):
    """A provider's answer to a conversation with tools: the assistant message in Chat
    Completions form (``content`` and/or ``tool_calls``), who gave it, what it cost."""

    message: dict[str, Any]
    provider: str
    usage: Usage
    raw: str | None = None


class ModelError(MylowareError):
    """A provider did not give a usable answer: unreachable, timed out, refused, or garbage.

    ``usage`` keeps what a call that did answer (with garbage) still cost.
    """

    code = "model_error"
    transient = True

    def __init__(
        self, message: str, *, provider: str, usage: Usage | None = None, raw: str | None = None
    ) -> None:
        """``raw``: the unusable answer's text, when there was one (for the transcript)."""
        super().__init__(f"{provider}: {message}" if provider != "router" else message)
        self.provider = provider
        self.usage = usage or Usage()
        self.raw = raw


class Provider(Protocol):
    """One model endpoint."""

    name: str
    model: str

    async def complete_json(
        self, *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> ModelReply:
        """Ask for one JSON object that follows ``schema``; raise :class:`ModelError`."""
        ...


class ChatProvider(Provider, Protocol):
    """A provider that can also hold a conversation with tools (an agent's model)."""

    async def chat(
        self,
        *,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        schema_name: str,
    ) -> ChatReply:
        """The next assistant message: tool calls, or the final answer (following
        ``schema`` when given); raise :class:`ModelError`."""
        ...
