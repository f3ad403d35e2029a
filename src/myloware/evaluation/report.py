"""Render an :class:`~myloware.evaluation.harness.EvalReport` as a table.

The last line is always ``overall_field_accuracy=0.xxx`` so scripts can read it.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from myloware.evaluation.harness import EvalReport


def build_table(report: EvalReport) -> Table:
    """One row per (set, field) plus a row per set, with accuracy, F1 and counts."""
    table = Table(title="Field accuracy", show_lines=False)
    for column, justify in (
        ("set", "left"),
        ("field", "left"),
        ("scored", "right"),
        ("correct", "right"),
        ("accuracy", "right"),
        ("f1", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for name, result in report.sets.items():
        for field_name, stats in sorted(result.fields.items()):
            table.add_row(
                name,
                field_name,
                str(stats.scored),
                str(stats.correct),
                f"{stats.accuracy:.3f}",
                f"{stats.f1:.3f}",
            )
        read = result.documents - result.resumed  # the documents this run read itself
        per_doc = result.seconds / read * 1000 if read else 0.0
        kept = f", {result.resumed} resumed" if result.resumed else ""
        table.add_row(
            f"[bold]{name}[/bold]",
            f"[bold]all fields[/bold] ({result.documents} docs, {len(result.failures)} failed, "
            f"type ok {result.type_correct}, {per_doc:.1f} ms/doc{kept})",
            str(result.scored),
            str(result.correct),
            f"[bold]{result.accuracy:.3f}[/bold]",
            "",
            end_section=True,
        )
    return table


def render_report(
    report: EvalReport, console: Console | None = None, *, show_failures: int = 10
) -> None:
    """Print the table, the first failures of each set, and the overall accuracy line."""
    out = console or Console()
    out.print(build_table(report))
    for name, result in report.sets.items():
        if result.tokens_in or result.tokens_out:
            per_doc = max(result.documents, 1)
            out.print(
                f"{name}: model tokens {result.tokens_in} in / {result.tokens_out} out, "
                f"${result.cost_usd:.4f} (${result.cost_usd / per_doc:.5f} per document)",
                markup=False,
                highlight=False,
            )
        for doc_id, reason in list(result.failures.items())[:show_failures]:
            out.print(f"failed {name}/{doc_id}: {reason}", markup=False, highlight=False)
    out.print(
        f"overall_field_accuracy={report.overall_field_accuracy:.3f}", markup=False, highlight=False
    )


def format_report(report: EvalReport, *, width: int = 120) -> str:
    """The rendered report as plain text."""
    buffer = io.StringIO()
    render_report(report, Console(file=buffer, width=width, no_color=True, force_terminal=False))
    return buffer.getvalue()
