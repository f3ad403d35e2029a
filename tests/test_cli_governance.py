"""`myloware approve / reject / escalate` from the terminal."""

from __future__ import annotations

import uuid

from typer.testing import CliRunner

from myloware.cli import app
from myloware.errors import ValidationFailed


def test_reject_without_a_reason_is_refused_before_calling_the_api() -> None:
    """`reject ITEM` needs --reason: missing is a usage error, blank a ValidationFailed."""
    runner = CliRunner()
    item = str(uuid.uuid4())
    missing = runner.invoke(app, ["reject", item])
    assert missing.exit_code == 2
    assert "Missing option '--reason'" in missing.output
    blank = runner.invoke(app, ["reject", item, "--reason", "  "])
    assert isinstance(blank.exception, ValidationFailed)
    assert "a rejection needs a reason" in blank.exception.message
