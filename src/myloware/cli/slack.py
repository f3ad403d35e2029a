"""Connecting a tenant's Slack workspace from the terminal (through the API, as an admin)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from myloware.cli._common import console, settings_for_cli
from myloware.cli._http import api_client, check
from myloware.errors import ValidationFailed

slack_app = typer.Typer(help="The tenant's Slack workspace: connect, update.", no_args_is_help=True)
ConfigFile = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, help="the connector config, YAML or JSON (docs/slack.md)"
    ),
]


def _read(file: Path) -> dict[str, Any]:
    try:
        data = (
            json.loads(file.read_text())
            if file.suffix == ".json"
            else yaml.safe_load(file.read_text())
        )
    except (ValueError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{file}: not valid JSON/YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ValidationFailed(f"{file}: expected a mapping of settings (team_id, bot_token …)")
    return data


def _show(connector: dict[str, Any], message: str | None = None) -> None:
    console.print(
        f"Slack connector [bold]{connector['id']}[/] ({connector['status']}) for workspace "
        f"{connector['config'].get('team_id')}",
        highlight=False,
        soft_wrap=True,
    )
    channels = connector["config"].get("channels") or {}
    for group, channel in channels.items():
        console.print(f"  cards for {group:<20} → {channel}", highlight=False)
    if connector["config"].get("default_channel"):
        console.print(f"  other groups' cards      → {connector['config']['default_channel']}")
    users = len(connector["config"].get("users") or {})
    console.print(f"  {users} Slack user(s) may decide, and submit documents", highlight=False)
    intake = connector["config"].get("intake_channels") or []
    where = ", ".join([*intake, "direct messages to the bot"])
    console.print(f"  documents are taken from {where}", highlight=False, soft_wrap=True)
    if message:
        console.print(message, highlight=False, soft_wrap=True)


@slack_app.command("connect")
def connect(
    file: ConfigFile,
    name: Annotated[str, typer.Option(help="the connector's name")] = "slack",
) -> None:
    """Connect the tenant's Slack workspace (one per tenant)."""
    with api_client(settings_for_cli()) as client:
        body = check(
            client.post("/v1/connectors/slack", json={"name": name, "config": _read(file)})
        )
    _show(body["data"], body.get("message"))


@slack_app.command("update")
def update(
    connector_id: Annotated[str, typer.Argument(help="the Slack connector's id")],
    file: ConfigFile,
) -> None:
    """Replace the Slack connector's config (channels, users, credentials)."""
    with api_client(settings_for_cli()) as client:
        body = check(client.put(f"/v1/connectors/{connector_id}/slack", json=_read(file)))
    _show(body["data"])


def register(app: typer.Typer) -> None:
    app.add_typer(slack_app, name="slack")
