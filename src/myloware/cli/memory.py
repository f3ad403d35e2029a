"""``myloware memory``: find documents by meaning, through the API."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from myloware.cli._common import console, settings_for_cli
from myloware.cli._http import api_client, check
from myloware.records import DocumentType

memory_app = typer.Typer(
    help="Memory: find documents by meaning, forget what an approval taught.", no_args_is_help=True
)


def _print_hits(hits: list[dict[str, Any]]) -> None:
    """Three lines a document (any terminal width): similarity, type, status and name; the
    whole work item id (what `memory similar` and `show` take); how its text begins."""
    if not hits:
        console.print("nothing found (documents are searchable once the relay has indexed them)")
        return
    room = max(console.width - 7, 20)
    for hit in hits:
        name = hit["filename"] or "(text)"
        console.print(
            f"[bold]{hit['similarity']:.2f}[/]  {hit['document_type'] or '-'}  "
            f"{hit['status']}  {escape(name)}",
            highlight=False,
        )
        console.print(f"      [cyan]{hit['work_item_id']}[/]", highlight=False)
        text = hit["snippet"] if len(hit["snippet"]) <= room else hit["snippet"][: room - 1] + "…"
        console.print(f"      [dim]{escape(text)}[/]", highlight=False)


@memory_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="what to look for, in words")],
    document_type: Annotated[DocumentType | None, typer.Option("--type", "-t")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
) -> None:
    """The documents nearest in meaning to TEXT, the nearest first."""
    params: dict[str, Any] = {"q": text, "limit": limit}
    if document_type is not None:
        params["document_type"] = document_type.value
    with api_client(settings_for_cli()) as client:
        _print_hits(check(client.get("/v1/memory/search", params=params))["data"])


@memory_app.command("similar")
def similar(
    work_item_id: Annotated[str, typer.Argument(help="a work item id (see `myloware show`)")],
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
) -> None:
    """The other documents of the same type most like one work item."""
    with api_client(settings_for_cli()) as client:
        path = f"/v1/work-items/{work_item_id}/similar"
        _print_hits(check(client.get(path, params={"limit": limit}))["data"])


@memory_app.command("forget")
def forget(
    work_item_id: Annotated[str, typer.Argument(help="the work item whose approval to forget")],
) -> None:
    """Forget what the approval of one work item taught (vendor identity, ticket routing).
    Needs an admin token; audited."""
    with api_client(settings_for_cli()) as client:
        data = check(client.delete(f"/v1/memory/lessons/{work_item_id}"))["data"]
    console.print(
        f"forgotten: the approval of {data['work_item_id']} teaches nothing any more "
        f"({data['forgotten_by']}, {data['forgotten_at']})",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(memory_app, name="memory")
