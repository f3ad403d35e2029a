"""Talking to the MyloWare API from the CLI (the running ``myloware up`` or a remote one)."""

from __future__ import annotations

from typing import Any

import httpx

from myloware.errors import ConfigurationError, MylowareError
from myloware.runtime.endpoints import read_runtime_file
from myloware.settings import Settings


def api_client(settings: Settings) -> httpx.Client:
    running = read_runtime_file(settings)
    base = settings.api_url or (running.api_url if running else None)
    token = (
        settings.api_token.get_secret_value()
        if settings.api_token
        else (running.dev_token if running else None)
    )
    if not base or not token:
        raise ConfigurationError(
            "no API to talk to: start the platform with `myloware up`, or set MYLOWARE_API_URL "
            "and MYLOWARE_API_TOKEN"
        )
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def check(response: httpx.Response) -> dict[str, Any]:
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    if response.is_error:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        message = error.get("message", response.text[:200])
        details = error.get("details")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            first = details[0]
            message += f" ({'.'.join(first.get('loc', [])[1:]) or 'input'}: {first.get('msg')})"
        raise MylowareError(f"API answered {response.status_code}: {message}")
    return body
