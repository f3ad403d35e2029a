"""A span around each model call (when tracing is on: :mod:`myloware.telemetry`).

Named and attributed after OpenTelemetry's GenAI conventions (``chat <model>``,
``gen_ai.system``, ``gen_ai.request.model``, ``gen_ai.usage.input_tokens`` …), plus the cost
MyloWare records on the attempt (``myloware.model.cost_usd``). Never the prompt or the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from myloware.models.base import ModelError, Provider, Usage
from myloware.telemetry import tracer


@contextmanager
def model_call_span(provider: Provider) -> Iterator[Span]:
    """The current span for one provider call; it ends when the block does."""
    with tracer(__name__).start_as_current_span(
        f"chat {provider.model}",
        kind=SpanKind.CLIENT,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.system": provider.name,
            "gen_ai.request.model": provider.model,
        },
    ) as span:
        yield span


def record_usage(span: Span, usage: Usage) -> None:
    """What the call cost (a failed call may still have cost tokens)."""
    span.set_attributes(
        {
            "gen_ai.usage.input_tokens": usage.tokens_in,
            "gen_ai.usage.output_tokens": usage.tokens_out,
            "myloware.model.cost_usd": usage.cost_usd,
        }
    )
    if usage.model:
        span.set_attribute("gen_ai.response.model", usage.model)


def record_failure(span: Span, error: ModelError, raised: BaseException) -> None:
    """A failed call: its cost, status ERROR and ``error.type``, the type of the SDK's error
    under the provider's ModelError where there is one (``RateLimitError``, ``APITimeoutError``
    …), else of what was raised."""
    record_usage(span, error.usage)
    span.set_attribute("error.type", type(raised.__cause__ or raised).__name__)
    span.set_status(Status(StatusCode.ERROR, str(error)[:300]))
