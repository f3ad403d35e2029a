"""structlog configuration: JSON lines (or console) with context variables merged in.

Never log document contents, prompts, secrets or PII unless ``debug_log_content`` is on;
:func:`redact` masks values of sensitive keys in any event dict.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

#: Keys whose values are credentials: redacted in logs, masked in API answers (connectors).
SECRET_WORDS = ("password", "secret", "token", "authorization", "api_key", "apikey")
#: Keys never logged: credentials, and document content unless debug_log_content is on.
SENSITIVE = (*SECRET_WORDS, "content", "prompt")


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(s in key.lower() for s in SENSITIVE) and key != "event":
            event[key] = "[redacted]"
    return event


def configure_logging(
    level: str = "INFO", *, json: bool | None = None, debug_content: bool = False
) -> None:
    """JSON lines for machines; readable lines when ``json`` is None and stderr is a TTY."""
    if json is None:
        json = not sys.stderr.isatty()
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if not debug_content:
        processors.append(redact)
    processors.append(
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            numeric if isinstance(numeric, int) else logging.INFO
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
