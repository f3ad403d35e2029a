"""The ``eval`` sub-command: ``myloware eval DATASET_DIR --out PRED_DIR [...]``.

The main CLI calls :func:`register` to add it. ``--input text`` reads ``<id>.txt``;
``--input document`` reads the original files through the project's document loaders
(limits and OCR from the ``MYLOWARE_*`` settings).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from myloware.documents.limits import DocumentLimits
from myloware.errors import MylowareError
from myloware.evaluation.harness import run_eval
from myloware.evaluation.loaders import FileLoader
from myloware.evaluation.report import render_report
from myloware.settings import Settings


class InputChoice(StrEnum):
    TEXT = "text"
    DOCUMENT = "document"


def eval_command(
    dataset_dir: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="e.g. datasets/sroie2019/dev")
    ],
    out: Annotated[Path, typer.Option("--out", help="folder for the <id>.json predictions")],
    provider: Annotated[str, typer.Option(help="extractor provider")] = "rules",
    input_mode: Annotated[
        InputChoice, typer.Option("--input", help="text (<id>.txt) or document (original file)")
    ] = InputChoice.TEXT,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    ignore_fields: Annotated[
        str, typer.Option(help="comma-separated dataset fields not to score")
    ] = "",
) -> None:
    """Extract every document of DATASET_DIR, write predictions to --out and print accuracy."""
    console = Console()
    ignored = [name.strip() for name in ignore_fields.split(",") if name.strip()]
    try:
        if input_mode is InputChoice.DOCUMENT:
            loader = FileLoader(DocumentLimits.from_settings(Settings()))
            report = run_eval(
                dataset_dir,
                out,
                provider=provider,
                input_mode="document",
                load=loader,
                workers=workers,
                ignore_fields=ignored,
            )
        else:
            report = run_eval(
                dataset_dir,
                out,
                provider=provider,
                input_mode="text",
                workers=workers,
                ignore_fields=ignored,
            )
    except MylowareError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(code=2) from exc
    render_report(report, console)


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to ``app``."""
    app.command("eval")(eval_command)
