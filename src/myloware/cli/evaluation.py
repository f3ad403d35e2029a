"""The ``eval`` sub-command: ``myloware eval DATASET_DIR --out PRED_DIR [...]``.

The main CLI calls :func:`register` to add it. ``--input text`` reads ``<id>.txt``;
``--input document`` reads the original files through the project's document loaders
(limits and OCR from the ``MYLOWARE_*`` settings).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from myloware.errors import MylowareError
from myloware.settings import Settings

if TYPE_CHECKING:  # the evaluation's modules take a second to import: only when it runs
    from myloware.evaluation.harness import InputMode
    from myloware.evaluation.harness import Progress as ProgressCallback
    from myloware.evaluation.learning import LearningReport
    from myloware.evaluation.loaders import FileLoader
    from myloware.evaluation.via_api import ApiRunner

#: the lifetime of the credentials minted for the eval's tenants
EVAL_TOKEN_TTL_S = 24 * 3600


#: ``--cache DIR``: eval and calibrate keep what the loaders read (see FileLoader)
CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        file_okay=False,
        help="with --input document: keep what the loaders read (OCR included) in this "
        "folder, keyed by the file, the limits and the loader code, so a rerun reads no "
        "scan twice (not for measuring the loaders' cost)",
    ),
]


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
            help="first learn from this folder's ground truth as approvals, then score "
            "DATASET_DIR without and with learning: in process (a fresh memory, rules "
            "extractor), or with --via-api on the platform (two fresh tenants, the approvals "
            "through its approval API; needs a tenants:admin token)",
        ),
    ] = None,
    cache: CacheOption = None,
    keep_tenants: Annotated[
        bool,
        typer.Option(
            "--keep-tenants",
            help="with --learn-from and --via-api: leave the eval's two tenants enabled "
            "(by default they are disabled when done, their records kept)",
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="go on with a run of the same set, --provider and --input that stopped: "
            "keep the predictions it left in --out, extract only the rest",
        ),
    ] = False,
) -> None:
    """Extract every document of DATASET_DIR, write predictions to --out and print accuracy."""
    from myloware.evaluation.harness import run_eval
    from myloware.evaluation.report import render_report

    console = Console()
    ignored = [name.strip() for name in ignore_fields.split(",") if name.strip()]
    settings = Settings()
    mode: InputMode = "document" if input_mode is InputChoice.DOCUMENT else "text"
    if learn_from is not None:
        if resume:
            raise typer.BadParameter("--resume does not apply with --learn-from")
        if provider != "rules":
            raise typer.BadParameter(
                "--learn-from measures the rules extractor in process, or the platform's own "
                "extractor with --via-api"
            )
        run = _LearningRun(settings, dataset_dir, out, learn_from, mode, workers, cache)
        _learning_eval(console, run, via_api, keep_tenants)
        return
    if resume and via_api:
        raise typer.BadParameter("--resume does not apply with --via-api")
    runner = _api_runner(settings, via_api, workers) if via_api else None
    try:
        with _progress_bar(f"evaluating {dataset_dir.name}") as progress:
            report = run_eval(
                dataset_dir,
                out,
                provider=provider,
                input_mode=mode,
                load=_loader(settings, mode, cache),
                workers=workers,
                ignore_fields=ignored,
                progress=progress,
                runner=runner,
                on_scored=runner.store_scores if runner else None,
                resume=resume,
            )
    except MylowareError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(code=2) from exc
    finally:
        if runner is not None:
            runner.close()
    render_report(report, console)


@dataclass(frozen=True)
class _LearningRun:
    """What ``--learn-from`` measures, in process or on a platform."""

    settings: Settings
    heldout: Path
    out: Path
    learn_from: Path
    mode: InputMode
    workers: int
    cache: Path | None


def _learning_eval(
    console: Console, run: _LearningRun, via_api: str | None, keep_tenants: bool
) -> None:
    from myloware.evaluation.learning import render_learning

    try:
        if via_api:
            report = _learning_via_api(run, via_api, keep_tenants)
        else:
            report = _learning_in_process(run)
    except MylowareError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(code=2) from exc
    console.print(render_learning(report), markup=False, highlight=False, soft_wrap=True)


def _loader(settings: Settings, mode: InputMode, cache: Path | None) -> FileLoader | None:
    """The document loader of ``--input document`` (None for text)."""
    from myloware.documents.limits import DocumentLimits
    from myloware.evaluation.loaders import FileLoader

    if mode != "document":
        return None
    return FileLoader(DocumentLimits.from_settings(settings), cache_dir=cache)


def _learning_in_process(run: _LearningRun) -> LearningReport:
    from myloware.evaluation.learning import run_learning_eval
    from myloware.memory import embedder_for

    embedder = embedder_for(run.settings)
    if embedder is None:
        raise typer.BadParameter(
            "--learn-from needs memory embeddings (MYLOWARE_MEMORY_EMBEDDINGS)"
        )
    return run_learning_eval(
        run.heldout,
        run.out,
        run.learn_from,
        embedder=embedder,
        input_mode=run.mode,
        load=_loader(run.settings, run.mode, run.cache),
        min_similarity=run.settings.memory_min_similarity,
    )


def _learning_via_api(run: _LearningRun, url: str, keep_tenants: bool) -> LearningReport:
    """On the platform at ``url``: the operator token creates the two tenants; their
    credentials are signed here with MYLOWARE_JWT_SECRET (as ``myloware token create``)."""
    from myloware.auth.tokens import issue_token
    from myloware.evaluation.learning_api import (
        EVAL_CAPABILITIES,
        EVAL_GROUP,
        EVAL_SUBJECT,
        run_learning_via_api,
    )

    def mint(tenant_id: uuid.UUID) -> str:
        return issue_token(
            run.settings,
            tenant_id=tenant_id,
            capabilities=EVAL_CAPABILITIES,
            subject=EVAL_SUBJECT,
            ttl_seconds=EVAL_TOKEN_TTL_S,
            groups=(EVAL_GROUP,),
        )

    operator = _api_runner(run.settings, url, run.workers)
    try:
        with _progress_bar(f"learning from {run.learn_from.name}") as progress:
            return run_learning_via_api(
                run.heldout,
                run.out,
                run.learn_from,
                operator=operator,
                mint=mint,
                input_mode=run.mode,
                progress=progress,
                keep_tenants=keep_tenants,
            )
    finally:
        operator.close()


@contextmanager
def _progress_bar(description: str) -> Iterator[ProgressCallback]:
    """A progress bar on stderr (gone when done), and the callback that moves it."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def progress(done: int, total: int, doc_id: str) -> None:
            bar.update(task, completed=done, total=total, description=f"evaluating {doc_id}")

        yield progress


def _api_runner(settings: Settings, url: str, workers: int) -> ApiRunner:
    from myloware.evaluation.via_api import ApiRunner
    from myloware.runtime.endpoints import read_runtime_file

    running = read_runtime_file(settings)
    token = (
        settings.api_token.get_secret_value()
        if settings.api_token
        else (running.dev_token if running else None)
    )
    if not token:
        raise typer.BadParameter(
            "set MYLOWARE_API_TOKEN (a token with work_orders:write; with --learn-from, "
            "tenants:admin)"
        )
    return ApiRunner(url.rstrip("/"), token, workers=max(workers, 4))


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to ``app``."""
    app.command("eval")(eval_command)
