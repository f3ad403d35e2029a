"""The Slack Web API client of a connector, and the error its failures become."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from myloware.errors import MylowareError
from myloware.services.slack_connectors import SlackConfig

TIMEOUT_S = 10


class SlackDeliveryError(MylowareError):
    """Slack refused or failed a Web API call (the event consumer retries, then dead-letters)."""

    code = "slack_error"
    transient = True


def web_client(config: SlackConfig) -> AsyncWebClient:
    """An async Web API client with the connector's bot token and API base URL."""
    return AsyncWebClient(
        token=config.bot_token.get_secret_value(), base_url=config.api_url, timeout=TIMEOUT_S
    )


def slack_error(exc: SlackApiError, method: str) -> SlackDeliveryError:
    """Translate the SDK's error at our boundary (the token never appears in it)."""
    response = exc.response
    error = response.get("error", "unknown_error") if response is not None else "no_response"
    return SlackDeliveryError(f"Slack {method} failed: {error}", details={"error": error})
