"""The model router: a chain of providers, a circuit breaker each, fallback down the chain.

A provider that failed ``failures`` calls in a row is skipped for ``reset_s`` seconds, then
one caller probes it (half-open): a success closes its breaker (:mod:`myloware.models.breaker`;
workers share their breakers through Redis, other callers keep their own). Each call is
bounded by the provider's timeout and SDK retries; when every provider fails the router raises
one :class:`ModelError` naming each failure, with the usage the failed calls still cost. Any
exception of a provider counts as its failure, and the whole chain has ``deadline_s`` (kept
below the ExtractorLLM activity's limit, so the pipeline can still fall back to the rules).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from myloware.errors import ConfigurationError
from myloware.models.base import ChatReply, ModelCall, ModelError, ModelReply, Provider, Usage
from myloware.models.breaker import BreakerFactory, CircuitBreaker, RedisBreakers
from myloware.models.tracing import model_call_span, record_failure, record_usage
from myloware.models.transcript import conversation_text, kept
from myloware.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = structlog.get_logger(__name__)
Answer = TypeVar("Answer", ModelReply, ChatReply)


class ModelRouter:
    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        failures: int = 5,
        reset_s: float = 60.0,
        deadline_s: float = 150.0,
        clock: Callable[[], float] = time.monotonic,
        breakers: BreakerFactory | None = None,
        transcript_chars: int = 16_000,
    ) -> None:
        """``breakers`` makes each provider's breaker (e.g. ``RedisBreakers(...).breaker``,
        shared by every worker); by default each router keeps its own. Each call's prompt
        and answer are kept on its usage (``calls``), each cut to ``transcript_chars``
        (0: no transcript)."""
        self._transcript_chars = transcript_chars
        if not providers:
            raise ConfigurationError("the model router needs at least one provider")
        self.providers = list(providers)
        self._deadline_s, self._clock = deadline_s, clock
        make = breakers or (
            lambda _name: CircuitBreaker(
                failures=failures, reset_s=reset_s, clock=clock, probe_s=deadline_s
            )
        )
        self._breakers = {p.name: make(p.name) for p in self.providers}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        names: Sequence[str] | None = None,
        *,
        redis: Redis | None = None,
    ) -> ModelRouter:
        """The configured chain; with ``redis`` its breakers are shared by every worker."""
        chain = [provider_from_settings(settings, n) for n in names or settings.model_providers]
        failures, reset_s = settings.model_breaker_failures, settings.model_breaker_reset_s
        shared = (
            RedisBreakers(
                redis, failures=failures, reset_s=reset_s, probe_s=settings.model_deadline_s
            )
            if redis
            else None
        )
        return cls(
            chain,
            failures=failures,
            reset_s=reset_s,
            deadline_s=settings.model_deadline_s,
            breakers=shared.breaker if shared else None,
            transcript_chars=settings.model_transcript_chars,
        )

    async def complete_json(
        self, *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> ModelReply:
        async def ask(provider: Provider) -> ModelReply:
            return await provider.complete_json(
                system=system, prompt=prompt, schema=schema, schema_name=schema_name
            )

        return await self._first_answer(ask, system, prompt)

    async def chat(
        self,
        *,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        schema_name: str,
    ) -> ChatReply:
        """One turn of an agent's conversation, down the same chain (a provider that cannot
        hold one fails over to the next)."""

        async def ask(provider: Provider) -> ChatReply:
            chat = getattr(provider, "chat", None)
            if chat is None:
                raise ModelError("does not take tool calls", provider=provider.name)
            reply: ChatReply = await chat(
                messages=messages, tools=tools, schema=schema, schema_name=schema_name
            )
            return reply

        system = "\n".join(
            str(m.get("content") or "") for m in messages if m.get("role") == "system"
        )
        return await self._first_answer(ask, system, conversation_text(messages))

    async def _first_answer(
        self, ask: Callable[[Provider], Awaitable[Answer]], system: str, prompt: str
    ) -> Answer:
        """``ask`` each provider in turn (breakers, deadline, fallback); the first answer.
        ``system`` and ``prompt``: what the transcript keeps of the request."""
        failures: list[str] = []
        spent = Usage()
        deadline = self._clock() + self._deadline_s
        for provider in self.providers:
            breaker = self._breakers[provider.name]
            left = deadline - self._clock()
            if left <= 0:  # before allow(): a half-open probe slot is never taken for nothing
                failures.append(f"{provider.name}: skipped, out of time ({self._deadline_s:g} s)")
                continue
            if not await breaker.allow():
                failures.append(f"{provider.name}: skipped, circuit open after repeated failures")
                continue
            error: ModelError | None = None
            began = self._clock()
            with model_call_span(provider) as span:
                try:
                    async with asyncio.timeout(left):
                        reply = await ask(provider)
                except Exception as exc:  # whatever a provider does, the chain goes on
                    error = _as_model_error(exc, provider.name)
                    record_failure(span, error, exc)
                else:
                    record_usage(span, reply.usage)
            if error is not None:
                await breaker.failed()
                call = self._call(provider, began, system, prompt, error.usage, error.raw, error)
                spent = spent + error.usage.model_copy(update={"calls": call})
                failures.append(str(error))
                log.warning("model_call_failed", provider=provider.name, error=str(error))
                continue
            await breaker.succeeded()
            call = self._call(provider, began, system, prompt, reply.usage, reply.raw, None)
            reply.usage = spent + reply.usage.model_copy(update={"calls": call})
            return reply
        raise ModelError(
            "no model answered: " + "; ".join(failures), provider="router", usage=spent
        )

    def _call(
        self,
        provider: Provider,
        began: float,
        system: str,
        prompt: str,
        usage: Usage,
        answer: str | None,
        error: ModelError | None,
    ) -> list[ModelCall]:
        """The transcript of one request (none when transcripts are off)."""
        limit = self._transcript_chars
        if not limit:
            return []
        return [
            ModelCall(
                provider=provider.name,
                model=provider.model,
                seconds=round(self._clock() - began, 3),
                system=kept(system, limit) or "",
                prompt=kept(prompt, limit) or "",
                answer=kept(answer, limit),
                error=None if error is None else str(error),
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
                cost_usd=usage.cost_usd,
                retries=usage.retries,
            )
        ]

    async def close(self) -> None:
        for provider in self.providers:
            close = getattr(provider, "close", None)
            if close is not None:
                await close()


def _as_model_error(exc: Exception, provider: str) -> ModelError:
    """Any failure of a provider call as a ModelError (SDK surprises included: a proxy's HTML
    page, a reply without usage, our own deadline)."""
    if isinstance(exc, ModelError):
        return exc
    if isinstance(exc, TimeoutError):
        return ModelError("out of time for this document", provider=provider)
    return ModelError(f"unusable answer ({type(exc).__name__}: {exc})"[:300], provider=provider)


def provider_from_settings(settings: Settings, name: str) -> Provider:
    from myloware.models.providers import AnthropicProvider, OpenAIProvider  # SDKs: on use

    timeout, retries = settings.model_timeout_s, settings.model_max_retries
    if name == "openai":
        if settings.openai_api_key is None:
            raise ConfigurationError("provider 'openai' needs MYLOWARE_OPENAI_API_KEY")
        return OpenAIProvider(
            model=settings.openai_model,
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=timeout,
            max_retries=retries,
        )
    if name == "anthropic":
        if settings.anthropic_api_key is None:
            raise ConfigurationError("provider 'anthropic' needs MYLOWARE_ANTHROPIC_API_KEY")
        return AnthropicProvider(
            model=settings.anthropic_model,
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            timeout=timeout,
            max_retries=retries,
        )
    if name == "local":
        return OpenAIProvider(
            name="local",
            model=settings.local_model,
            api_key=None,
            base_url=settings.local_model_base_url,
            timeout=settings.local_model_timeout_s,
            max_retries=retries,
            local=True,
        )
    raise ConfigurationError(f"unknown model provider {name!r} (openai, anthropic, local)")
