"""The ``myloware`` command starts without importing the pipeline: the agents, the rules
extractor, the Slack gateway and the evaluation harness (seconds together) load when a
command that uses them runs, not for ``--help`` or ``myloware tenants list``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

#: modules the command line's start must not import (each pulls in much of the pipeline)
HEAVY = (
    "myloware.agents.extractor",
    "myloware.extraction.extractor",
    "myloware.slack.gateway",
    "myloware.evaluation.harness",
    "myloware.runtime.embedded",
    "temporalio.worker",
)


def _loaded_after(code: str) -> list[str]:
    probe = (
        f"import json, sys; {code}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def test_the_command_line_starts_without_the_pipeline() -> None:
    assert _loaded_after("import myloware.cli") == []


def test_the_agents_load_when_asked_for() -> None:
    """``from myloware.agents import X`` still works: the agent's module is imported then."""
    assert _loaded_after("from myloware.agents import AgentName") == []
    assert _loaded_after("from myloware.agents import ExtractorLLM") == [
        "myloware.agents.extractor",
        "myloware.extraction.extractor",
    ]


def test_help_shows_no_value_for_a_flag() -> None:
    """A flag such as ``--resume`` takes no value, and the help must not suggest one: its help
    text follows its name directly (typer 0.29 prints ``<bool>`` between them, ``--help``
    included: pyproject keeps it out)."""
    from typer.testing import CliRunner

    from myloware.cli import app

    result = CliRunner().invoke(app, ["eval", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for flag, help_starts in (("--resume", "go on with"), ("--help", "Show this message")):
        assert re.search(rf"{flag}\s+{help_starts}", result.output), (flag, result.output)
