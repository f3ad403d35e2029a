"""Bolt listeners, one handler per module, registered in one place."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from myloware.slack.cards import APPROVE, ESCALATE, REJECT
from myloware.slack.listeners.approve_button import approve_clicked
from myloware.slack.listeners.file_shared import FILE_SHARE, files_shared, other_message
from myloware.slack.listeners.reason_buttons import reason_requested
from myloware.slack.listeners.reason_submitted import reason_submitted
from myloware.slack.modal import REASON_VIEW


def register_listeners(app: AsyncApp) -> None:
    app.action(APPROVE)(approve_clicked)
    app.action(re.compile(f"^(?:{REJECT}|{ESCALATE})$"))(reason_requested)
    app.view(REASON_VIEW)(reason_submitted)
    app.event(FILE_SHARE)(files_shared)  # before the catch-all: the first match runs
    app.event("message")(other_message)


__all__ = ["register_listeners"]
