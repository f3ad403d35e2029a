"""Operator commands for the document types' JSON Schema versions: list, publish, activate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from myloware.cli._common import console, run
from myloware.cli._db import database_url, in_transaction
from myloware.db.models import DocumentSchema
from myloware.errors import ValidationFailed
from myloware.records import DocumentType
from myloware.services import schemas_registry as registry

schema_app = typer.Typer(
    help="Document schemas (platform-wide): list, publish, activate.", no_args_is_help=True
)


def _line(row: DocumentSchema) -> str:
    state = "[bold green]active[/]" if row.is_active else "inactive"
    return f"{row.document_type:<14} {row.name:<24} {row.version:<12} {state}"


@schema_app.command("list")
def schema_list(
    document_type: Annotated[DocumentType | None, typer.Option("--type", "-t")] = None,
) -> None:
    """Every schema version, the active one of each type marked."""
    rows = run(
        in_transaction(
            database_url(), lambda s: registry.list_schemas(s, document_type=document_type)
        )
    )
    for row in rows:
        console.print(_line(row), highlight=False)


@schema_app.command("publish")
def schema_publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a JSON Schema")],
    document_type: Annotated[DocumentType, typer.Option("--type", "-t")],
    version: Annotated[str, typer.Option(help="e.g. 2")],
    name: Annotated[str | None, typer.Option(help="default: the type's name")] = None,
) -> None:
    """Store a new schema version and make it its type's active one (workers pick it up
    within 30 s)."""
    try:
        definition = json.loads(file.read_text())
    except ValueError as exc:
        raise ValidationFailed(f"{file}: not JSON ({exc})") from None
    row = run(
        in_transaction(
            database_url(),
            lambda s: registry.publish_schema(
                s,
                document_type=document_type,
                name=name or document_type.value.lower(),
                version=version,
                definition=definition,
            ),
        )
    )
    console.print(_line(row), highlight=False)


@schema_app.command("activate")
def schema_activate(
    name: Annotated[str, typer.Argument()], version: Annotated[str, typer.Argument()]
) -> None:
    """Make an existing version its type's active one (e.g. to roll back)."""
    row = run(
        in_transaction(
            database_url(), lambda s: registry.activate_schema(s, name=name, version=version)
        )
    )
    console.print(_line(row), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(schema_app, name="schema")
