"""Jinja2 templates (autoescaped) with the few display filters the pages share."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

import myloware

TEMPLATES_DIR = Path(__file__).parent / "templates"


def format_when(value: datetime | None) -> str:
    """``2024-05-01 12:03:04 UTC``; an em dash for no time."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_seconds(seconds: float | None) -> str:
    """A compact duration: ``850 ms``, ``12.4 s``, ``3 min 05 s``, ``2 h 10 min``, ``3 d 4 h``."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 1:
        return f"{sign}{s * 1000:.0f} ms"
    if s < 60:
        return f"{sign}{s:.1f} s"
    if s < 3600:
        return f"{sign}{int(s // 60)} min {int(s % 60):02d} s"
    if s < 86400:
        return f"{sign}{int(s // 3600)} h {int(s % 3600 // 60):02d} min"
    return f"{sign}{int(s // 86400)} d {int(s % 86400 // 3600)} h"


def format_ms(ms: int | None) -> str:
    return "—" if ms is None else format_seconds(ms / 1000)


def format_ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "—"
    delta = ((now or datetime.now(UTC)) - value).total_seconds()
    return f"{format_seconds(delta)} ago" if delta >= 0 else f"in {format_seconds(-delta)}"


def format_value(value: Any) -> str:
    """A field value as text: lists joined, mappings as ``key: value`` pairs."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items() if v is not None)
    return str(value)


def format_usd(value: object) -> str:
    """``$0.0123``: four decimals below a dollar, two from there on."""
    amount = float(str(value or 0))
    return f"${amount:,.4f}" if abs(amount) < 1 else f"${amount:,.2f}"


def short_id(value: object) -> str:
    return str(value)[:8]


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=format_when,
        seconds=format_seconds,
        ms=format_ms,
        ago=format_ago,
        value=format_value,
        short=short_id,
        pretty=pretty_json,
        usd=format_usd,
    )
    env.globals["version"] = myloware.__version__
    env.globals["now_utc"] = lambda: datetime.now(UTC)
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page; every page gets ``principal`` and ``csrf`` (None when signed out)."""
    context.setdefault("principal", getattr(request.state, "ui_principal", None))
    context.setdefault("csrf", getattr(request.state, "ui_csrf", None))
    context.setdefault("refresh", None)  # seconds: the reload fallback without live events
    context.setdefault("live", None)  # which page listens to /ui/events (ui.js)
    context.setdefault("live_order", None)
    context.setdefault("live_item", None)
    context.setdefault("notice", None)
    context.setdefault("problem", None)
    response: HTMLResponse = templates.TemplateResponse(
        request, name, context, status_code=status_code
    )
    response.headers["cache-control"] = "no-store"
    return response


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status_code": status_code},
        status_code=status_code,
    )
