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


def record_outcome(span: Span, usage: Usage, error: ModelError | None = None) -> None:
    """What the call cost, and whether it failed."""
    span.set_attributes(
        {
            "gen_ai.usage.input_tokens": usage.tokens_in,
            "gen_ai.usage.output_tokens": usage.tokens_out,
            "myloware.model.cost_usd": usage.cost_usd,
        }
    )
    if usage.model:
        span.set_attribute("gen_ai.response.model", usage.model)
    if error is not None:
        span.set_attribute("error.type", type(error.__cause__ or error).__name__)
        span.set_status(Status(StatusCode.ERROR, str(error)[:300]))
