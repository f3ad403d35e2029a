"""List prices in USD per million tokens (input, output), to put a cost on every call.

Prices change: the table is a default, matched by model-name prefix (the longest wins), and a
model it does not know costs 0 — as does every local model.
"""

from __future__ import annotations

PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
}


def cost_usd(model: str, tokens_in: int, tokens_out: int, *, local: bool = False) -> float:
    """What ``tokens_in`` prompt and ``tokens_out`` completion tokens of ``model`` cost."""
    if local:
        return 0.0
    matches = [name for name in PER_MILLION if model.startswith(name)]
    if not matches:
        return 0.0
    price_in, price_out = PER_MILLION[max(matches, key=len)]
    return round((tokens_in * price_in + tokens_out * price_out) / 1_000_000, 8)
