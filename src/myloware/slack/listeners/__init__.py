"""Bolt listeners, one handler per module, registered in one place."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from myloware.slack.cards import APPROVE, CORRECT, ESCALATE, REJECT
from myloware.slack.commands import COMMAND
from myloware.slack.correction import CORRECT_VIEW
from myloware.slack.home import OPEN
from myloware.slack.listeners.app_home import home_opened, link_clicked
from myloware.slack.listeners.approve_button import approve_clicked
from myloware.slack.listeners.correct_button import correct_clicked
from myloware.slack.listeners.correction_submitted import correction_submitted
from myloware.slack.listeners.file_shared import FILE_SHARE, files_shared, other_message
from myloware.slack.listeners.reason_buttons import reason_requested
from myloware.slack.listeners.reason_submitted import reason_submitted
from myloware.slack.listeners.slash_command import command_received
from myloware.slack.modal import REASON_VIEW


def register_listeners(app: AsyncApp) -> None:
    app.action(APPROVE)(approve_clicked)
    app.action(re.compile(f"^(?:{REJECT}|{ESCALATE})$"))(reason_requested)
    app.view(REASON_VIEW)(reason_submitted)
    app.action(CORRECT)(correct_clicked)
    app.view(CORRECT_VIEW)(correction_submitted)
    app.command(COMMAND)(command_received)
    app.event("app_home_opened")(home_opened)
    app.action(OPEN)(link_clicked)
    app.event(FILE_SHARE)(files_shared)  # before the catch-all: the first match runs
    app.event("message")(other_message)


__all__ = ["register_listeners"]
