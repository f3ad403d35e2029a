"""The model layer: providers (OpenAI, Anthropic, any OpenAI-compatible local server), the
router with circuit breakers and fallback, and per-call usage and cost.

The provider classes load the vendors' SDKs, which take over a second and ~100 MB to import:
they are imported on first use, so a platform on the offline extractor never pays for them.
"""

from typing import Any

from myloware.models.base import ModelCall, ModelError, ModelReply, Provider, Usage
from myloware.models.breaker import CircuitBreaker, RedisBreakers
from myloware.models.router import ModelRouter, provider_from_settings

__all__ = [
    "AnthropicProvider",
    "CircuitBreaker",
    "ModelCall",
    "ModelError",
    "ModelReply",
    "ModelRouter",
    "OpenAIProvider",
    "Provider",
    "RedisBreakers",
    "Usage",
    "provider_from_settings",
]


def __getattr__(name: str) -> Any:
    if name in ("OpenAIProvider", "AnthropicProvider"):
        from myloware.models import providers

        return getattr(providers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
