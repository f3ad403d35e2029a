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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from myloware.documents.limits import DocumentLimits
from myloware.errors import MylowareError
from myloware.evaluation.harness import InputMode, run_eval
from myloware.evaluation.learning import render_learning, run_learning_eval
from myloware.evaluation.loaders import FileLoader
from myloware.evaluation.report import render_report
from myloware.evaluation.via_api import ApiRunner
from myloware.memory import embedder_for
from myloware.runtime.endpoints import read_runtime_file
from myloware.settings import Settings


class InputChoice(StrEnum):
    TEXT = "text"
    DOCUMENT = "document"


def eval_command(
    dataset_dir: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="e.g. datasets/sroie2019/dev")
    ],
    out: Annotated[Path, typer.Option("--out", help="folder for the <id>.json predictions")],
    provider: Annotated[
        str,
        typer.Option(
            help="rules (offline) | local | openai | anthropic (every field from that model) | "
            "hybrid (rules, then MYLOWARE_MODEL_PROVIDERS for what they miss)"
        ),
    ] = "rules",
    input_mode: Annotated[
        InputChoice, typer.Option("--input", help="text (<id>.txt) or document (original file)")
    ] = InputChoice.TEXT,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    ignore_fields: Annotated[
        str, typer.Option(help="comma-separated dataset fields not to score")
    ] = "",
    via_api: Annotated[
        str | None,
        typer.Option(
            "--via-api",
            help="run every document through the platform at this URL and store the scores",
        ),
    ] = None,
    learn_from: Annotated[
        Path | None,
        typer.Option(
            "--learn-from",
            exists=True,
            file_okay=False,
            help="first learn from this folder's ground truth as approvals (a fresh memory), "
            "then score DATASET_DIR without and with learning (rules extractor)",
        ),
    ] = None,
) -> None:
    """Extract every document of DATASET_DIR, write predictions to --out and print accuracy."""
    console = Console()
    ignored = [name.strip() for name in ignore_fields.split(",") if name.strip()]
    settings = Settings()
    mode: InputMode = "document" if input_mode is InputChoice.DOCUMENT else "text"
    if learn_from is not None:
        _learning_eval(console, settings, dataset_dir, out, learn_from, mode, provider, via_api)
        return
    runner = _api_runner(settings, via_api, workers) if via_api else None
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task(f"evaluating {dataset_dir.name}", total=None)

            def progress(done: int, total: int, doc_id: str) -> None:
                bar.update(task, completed=done, total=total, description=f"evaluating {doc_id}")

            report = run_eval(
                dataset_dir,
                out,
                provider=provider,
                input_mode=mode,
                load=FileLoader(DocumentLimits.from_settings(settings))
                if mode == "document"
                else None,
                workers=workers,
                ignore_fields=ignored,
                progress=progress,
                runner=runner,
                on_scored=runner.store_scores if runner else None,
            )
    except MylowareError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(code=2) from exc
    finally:
        if runner is not None:
            runner.close()
    render_report(report, console)


def _learning_eval(
    console: Console,
    settings: Settings,
    dataset_dir: Path,
    out: Path,
    learn_from: Path,
    mode: InputMode,
    provider: str,
    via_api: str | None,
) -> None:
    if provider != "rules" or via_api:
        raise typer.BadParameter("--learn-from measures the rules extractor, in process")
    embedder = embedder_for(settings)
    if embedder is None:
        raise typer.BadParameter(
            "--learn-from needs memory embeddings (MYLOWARE_MEMORY_EMBEDDINGS)"
        )
    try:
        report = run_learning_eval(
            dataset_dir,
            out,
            learn_from,
            embedder=embedder,
            input_mode=mode,
            load=FileLoader(DocumentLimits.from_settings(settings)) if mode == "document" else None,
            min_similarity=settings.memory_min_similarity,
        )
    except MylowareError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(code=2) from exc
    console.print(render_learning(report), markup=False, highlight=False)


def _api_runner(settings: Settings, url: str, workers: int) -> ApiRunner:
    running = read_runtime_file(settings)
    token = (
        settings.api_token.get_secret_value()
        if settings.api_token
        else (running.dev_token if running else None)
    )
    if not token:
        raise typer.BadParameter("set MYLOWARE_API_TOKEN (a token with work_orders:write)")
    return ApiRunner(url.rstrip("/"), token, workers=max(workers, 4))


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to ``app``."""
    app.command("eval")(eval_command)
