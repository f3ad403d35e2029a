"""The ``myloware`` command: one sub-command per role and operator task."""

from __future__ import annotations

import sys

import httpx
import typer

from myloware.cli import (
    accounts,
    auth,
    documents,
    governance,
    mail,
    memory,
    ops,
    schemas,
    slack,
    templates,
    tenants,
)
from myloware.cli._common import console_err
from myloware.errors import MylowareError

app = typer.Typer(
    name="myloware",
    help="MyloWare: document processing with human-in-the-loop governance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ops.register(app)
auth.register(app)
accounts.register(app)
tenants.register(app)
documents.register(app)
governance.register(app)
slack.register(app)
schemas.register(app)
memory.register(app)
mail.register(app)
templates.register(app)


def _register_optional() -> None:
    from myloware.cli.calibrate import register as register_calibrate
    from myloware.cli.evaluation import register as register_eval
    from myloware.cli.events import register as register_events
    from myloware.cli.retention import register as register_retention

    register_eval(app)
    register_calibrate(app)
    register_events(app)
    register_retention(app)


_register_optional()


def main() -> None:
    try:
        app()
    except MylowareError as exc:
        console_err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        sys.exit(1)
    except httpx.TransportError as exc:
        console_err.print(f"[bold red]error:[/] cannot reach the API: {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
