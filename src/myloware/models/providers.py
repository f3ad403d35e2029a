"""The providers: OpenAI (and any OpenAI-compatible server, e.g. a local llama.cpp) and
Anthropic, through their official SDKs — so the same code talks to the real services and to
the local servers the tests run.

Structured output: OpenAI-compatible servers get ``response_format={"type": "json_schema"}``;
Anthropic gets one forced tool whose ``input_schema`` is the schema. Either way the reply
must parse as a JSON object, or the call is a :class:`ModelError` (with what it cost).
The SDKs retry connection errors, 429 and 5xx with exponential backoff and jitter
(``max_retries``); ``timeout`` bounds each try.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai

from myloware.models.anthropic_chat import from_anthropic, to_anthropic, tools_for
from myloware.models.base import ChatReply, ModelError, ModelReply, Usage
from myloware.models.pricing import cost_usd


def _parse_object(text: str | None, provider: str, usage: Usage) -> dict[str, Any]:
    if not text or not text.strip():
        raise ModelError(
            "the model returned an empty answer", provider=provider, usage=usage, raw=text
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"the model's answer is not JSON ({exc.msg} at {exc.pos}): {text[:120]!r}",
            provider=provider,
            usage=usage,
            raw=text,
        ) from None
    except (ValueError, RecursionError) as exc:  # absurdly long numbers, absurd nesting
        raise ModelError(
            f"the model's answer cannot be read ({type(exc).__name__})",
            provider=provider,
            usage=usage,
            raw=text,
        ) from None
    if not isinstance(data, dict):
        raise ModelError(
            f"the model's answer is JSON but not an object: {type(data).__name__}",
            provider=provider,
            usage=usage,
            raw=text,
        )
    return data


class OpenAIProvider:
    """Chat Completions with a JSON schema response format."""

    def __init__(
        self,
        *,
        name: str = "openai",
        model: str,
        api_key: str | None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        local: bool = False,
        max_tokens: int = 2048,
    ) -> None:
        self.name, self.model, self.local = name, model, local
        # a bound on the answer (a runaway local model would otherwise fill the trace):
        # OpenAI's current parameter, or the classic one llama.cpp-style servers read
        self._max_tokens = max_tokens
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed",  # local servers take any key
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    async def complete_json(
        self, *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> ModelReply:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        message, usage = await self._message(messages, [], schema, schema_name)
        data = _parse_object(message.content, self.name, usage)
        return ModelReply(data=data, provider=self.name, usage=usage, raw=message.content)

    async def chat(
        self,
        *,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        schema_name: str,
    ) -> ChatReply:
        """One turn of an agent's conversation. A local server gets no response format while
        tools are offered (llama.cpp cannot combine a grammar with tool calls): the final
        answer is then parsed as JSON by the agent's output schema."""
        constrained = None if self.local and tools else schema
        message, usage = await self._message(messages, tools, constrained, schema_name)
        data = message.model_dump(exclude_none=True)
        raw = message.content if not message.tool_calls else json.dumps(data["tool_calls"])
        return ChatReply(message=data, provider=self.name, usage=usage, raw=raw)

    async def _message(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        schema_name: str,
    ) -> tuple[Any, Usage]:
        """The assistant message of one request and its usage (with the SDK's retries)."""
        try:
            raw = await self._client.chat.completions.with_raw_response.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]  # Chat Completions dicts
                tools=tools or openai.omit,  # type: ignore[arg-type]
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": schema_name, "schema": schema, "strict": False},
                }
                if schema is not None
                else openai.omit,
                temperature=0,
                max_tokens=self._max_tokens if self.local else openai.omit,
                max_completion_tokens=openai.omit if self.local else self._max_tokens,
            )
            response = raw.parse()
        except openai.APIError as exc:
            raise ModelError(_describe(exc), provider=self.name) from exc
        usage = self._usage(response.usage, retries=raw.retries_taken)
        if not response.choices:
            raise ModelError("the answer has no choices", provider=self.name, usage=usage)
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise ModelError(
                f"the model refused: {message.refusal}", provider=self.name, usage=usage
            )
        return message, usage

    def _usage(self, usage: Any, *, retries: int = 0) -> Usage:
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        return Usage(
            model=self.model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost_usd(self.model, tokens_in, tokens_out, local=self.local),
            retries=retries,
        )

    async def close(self) -> None:
        await self._client.close()


class AnthropicProvider:
    """Messages API with one forced tool carrying the schema."""

    name = "anthropic"

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_tokens: int = 2048,
    ) -> None:
        self.model, self._max_tokens = model, max_tokens
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    async def complete_json(
        self, *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> ModelReply:
        try:
            response = await self._client.messages.create(
                model=self.model,
                max_tokens=self._max_tokens,
                system=system,
                messages=[{"role": "user", "content": prompt}],
                tools=[
                    {
                        "name": schema_name,
                        "description": "Record the extracted fields.",
                        "input_schema": schema,
                    }
                ],
                tool_choice={"type": "tool", "name": schema_name},
            )
        except anthropic.APIError as exc:
            raise ModelError(_describe(exc), provider=self.name) from exc
        tokens_in, tokens_out = response.usage.input_tokens, response.usage.output_tokens
        usage = Usage(
            model=self.model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost_usd(self.model, tokens_in, tokens_out),
        )
        for block in response.content:
            if block.type == "tool_use" and block.name == schema_name:
                if not isinstance(block.input, dict):
                    raise ModelError(
                        "the tool input is not an object", provider=self.name, usage=usage
                    )
                raw = json.dumps(block.input, ensure_ascii=False)
                return ModelReply(data=dict(block.input), provider=self.name, usage=usage, raw=raw)
        texts = [block.text for block in response.content if block.type == "text"]
        if texts:  # some servers answer in text despite the forced tool
            data = _parse_object("".join(texts), self.name, usage)
            return ModelReply(data=data, provider=self.name, usage=usage, raw="".join(texts))
        raise ModelError("the answer holds no tool call", provider=self.name, usage=usage)

    async def chat(
        self,
        *,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        schema_name: str,
    ) -> ChatReply:
        """One turn of an agent's conversation: the helper tools and an answer tool carrying
        ``schema``, one of which must be called (:mod:`.anthropic_chat`)."""
        system, turns = to_anthropic(messages)
        offered = tools_for(tools, schema, schema_name)
        try:
            response = await self._client.messages.create(
                model=self.model,
                max_tokens=self._max_tokens,
                system=system or anthropic.omit,
                messages=turns,  # type: ignore[arg-type]  # Messages API dicts
                tools=offered or anthropic.omit,  # type: ignore[arg-type]
                tool_choice={"type": "any"} if offered else anthropic.omit,
            )
        except anthropic.APIError as exc:
            raise ModelError(_describe(exc), provider=self.name) from exc
        tokens_in, tokens_out = response.usage.input_tokens, response.usage.output_tokens
        usage = Usage(
            model=self.model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost_usd(self.model, tokens_in, tokens_out),
        )
        message = from_anthropic(list(response.content), schema_name)
        raw = message.get("content") or json.dumps(message.get("tool_calls"))
        return ChatReply(message=message, provider=self.name, usage=usage, raw=raw)

    async def close(self) -> None:
        await self._client.close()


def _describe(exc: Exception) -> str:
    """A short, secret-free description of an SDK error."""
    if isinstance(exc, openai.APITimeoutError | anthropic.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError | anthropic.APIConnectionError):
        return f"cannot connect ({exc.__cause__ or exc})"
    status = getattr(exc, "status_code", None)
    if status == 401:
        return "the API key was refused (401)"
    if status is not None:
        return f"HTTP {status}: {getattr(exc, 'message', exc)}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]
