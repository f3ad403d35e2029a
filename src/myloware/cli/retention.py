"""``myloware retention run``: apply the retention settings now (or, ``--dry-run``, say what
would go). Workers do the same every hour; see docs/deploy.md, "Retention"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from myloware.cli._common import settings_for_cli
from myloware.cli.events import ServiceUrls, connect, urls_from_settings
from myloware.settings import Settings
from myloware.worker.retention import BATCH, Outcome, Retention, run_retention_once


def render_outcomes(outcomes: list[Outcome], *, dry_run: bool) -> Table:
    """One line per sweep: what went (would go), and how fast."""
    table = Table(title="Retention (dry run: nothing changed)" if dry_run else "Retention")
    for column in ("Sweep", "Older than", "Rows", "Action", "Seconds", "Rows/s", "Note"):
        table.add_column(column)
    for outcome in outcomes:
        table.add_row(
            outcome.name,
            outcome.older_than,
            str(outcome.rows),
            f"would be {outcome.action}" if dry_run else outcome.action,
            f"{outcome.seconds:.3f}",
            "" if dry_run else f"{outcome.rows_per_s:,.0f}",
            outcome.note,
        )
    return table


def register(
    app: typer.Typer,
    *,
    settings: Callable[[], Settings] = settings_for_cli,
    resolve: Callable[[Settings], ServiceUrls] = urls_from_settings,
    console: Console | None = None,
) -> None:
    """Add the ``retention`` sub-app (``run``) to ``app``."""
    out = console or Console()
    sub = typer.Typer(help="Keep tables and the event stream in check.", no_args_is_help=True)

    @sub.command("run")
    def run_command(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only count what would go; change nothing.")
        ] = False,
        batch: Annotated[int, typer.Option(min=1, max=100_000, help="Rows a transaction.")] = BATCH,
    ) -> None:
        """Delete, archive and trim what the retention settings say is old."""
        current = settings()
        retention = Retention.from_settings(current)

        async def go() -> list[Outcome]:
            async with connect(resolve(current)) as conn:
                return await run_retention_once(
                    conn.sessions, conn.redis, retention, dry_run=dry_run, batch=batch
                )

        outcomes = asyncio.run(go())
        if not outcomes:
            out.print("Every retention setting is 0: everything is kept.")
            return
        out.print(render_outcomes(outcomes, dry_run=dry_run))

    app.add_typer(sub, name="retention")
