"""Shared CLI helpers: consoles, settings loading, async running."""

from __future__ import annotations

from rich.console import Console

from myloware.logs import configure_logging
from myloware.runtime.eventloop import run
from myloware.settings import Settings, load_settings

console = Console()
console_err = Console(stderr=True)
__all__ = ["console", "console_err", "run", "settings_for_cli"]


def settings_for_cli(*, quiet_logs: bool = True) -> Settings:
    settings = load_settings()
    configure_logging(
        "WARNING" if quiet_logs else settings.log_level,
        json=settings.log_json,
        debug_content=settings.debug_log_content,
    )
    return settings
