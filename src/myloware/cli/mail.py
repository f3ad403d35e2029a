"""``myloware email open``: a new e-mail inbox for the tenant, through the API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from myloware.cli._common import console, settings_for_cli
from myloware.cli._http import api_client, check
from myloware.records import DocumentType

email_app = typer.Typer(help="E-mail intake: inboxes whose mail becomes work orders.")


@email_app.command("open")
def open_inbox(
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="a sender pattern allowed in, e.g. '*@vendor.example'"),
    ] = None,
    document_type: Annotated[DocumentType | None, typer.Option("--type", "-t")] = None,
    name: Annotated[str, typer.Option(help="the inbox's name")] = "email",
) -> None:
    """Open an inbox: prints the address to send or forward documents to."""
    body: dict[str, Any] = {"name": name, "allowed_senders": allow or []}
    if document_type is not None:
        body["document_type"] = document_type.value
    with api_client(settings_for_cli()) as client:
        answer = check(client.post("/v1/connectors/email", json=body))
    message = str(answer["message"])
    address, _, note = message.removeprefix("send documents to ").partition(" ")
    senders = ", ".join(allow or []) or "anyone who knows the address"
    console.print(f"inbox [bold]{answer['data']['id']}[/] opened", highlight=False)
    console.print(f"  send documents to: [bold]{address}[/]", highlight=False, soft_wrap=True)
    console.print(f"  accepted from:     {senders}", highlight=False, soft_wrap=True)
    if note:
        console.print(f"  [yellow]{note.strip()}[/]", highlight=False, soft_wrap=True)


@email_app.command("update")
def update_inbox(
    inbox_id: Annotated[str, typer.Argument(help="the inbox's connector id")],
    allow: Annotated[
        list[str] | None, typer.Option("--allow", help="a sender pattern (repeat); none: anyone")
    ] = None,
    document_type: Annotated[DocumentType | None, typer.Option("--type", "-t")] = None,
) -> None:
    """Replace who may send to an inbox, and as what (its address stays)."""
    body: dict[str, Any] = {"allowed_senders": allow or []}
    if document_type is not None:
        body["document_type"] = document_type.value
    with api_client(settings_for_cli()) as client:
        answer = check(client.put(f"/v1/connectors/{inbox_id}/email", json=body))
    senders = ", ".join(answer["data"]["config"]["allowed_senders"]) or "anyone with the address"
    console.print(f"inbox [bold]{inbox_id}[/] now takes mail from: {senders}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(email_app, name="email")
