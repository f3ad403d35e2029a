"""The model layer: providers (OpenAI, Anthropic, any OpenAI-compatible local server), the
router with circuit breakers and fallback, and per-call usage and cost."""

from myloware.models.base import ModelError, ModelReply, Provider, Usage
from myloware.models.providers import AnthropicProvider, OpenAIProvider
from myloware.models.router import CircuitBreaker, ModelRouter, provider_from_settings

__all__ = [
    "AnthropicProvider",
    "CircuitBreaker",
    "ModelError",
    "ModelReply",
    "ModelRouter",
    "OpenAIProvider",
    "Provider",
    "Usage",
    "provider_from_settings",
]
