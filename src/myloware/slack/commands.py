"""``/myloware``: an order's status and what waits for me, answered privately.

* ``/myloware status <order id or unique prefix>`` — the order's status and its documents';
* ``/myloware approvals`` — what waits for the caller's approver groups;
* ``/myloware help`` (or nothing) — these lines.

The tenant is the connector's (the workspace's), the person the connector's user mapping:
an unmapped Slack user is told so, a disabled tenant answers nothing else.
"""

from __future__ import annotations

from myloware.auth.principal import Capability
from myloware.errors import MylowareError
from myloware.services.tenants import is_active
from myloware.slack.decisions import NOT_LINKED, TENANT_DISABLED, SlackContext
from myloware.slack.waiting import order_status, queue_url, waiting_for

COMMAND = "/myloware"
MAX_LISTED = 10
HELP = (
    "*MyloWare* — what you can ask:\n"
    "• `/myloware status <work order id>`: the order's status (the first 8 characters of "
    "its id are enough)\n"
    "• `/myloware approvals`: what waits for your decision\n"
    "• `/myloware help`: this list\n"
    "Your App Home tab lists what waits for you, too."
)


async def answer(slack: SlackContext, *, slack_user_id: str, text: str) -> str:
    """The private answer to ``/myloware <text>`` from ``slack_user_id``."""
    words = text.split()
    verb = words[0].lower() if words else "help"
    if verb == "help":
        return HELP
    if verb not in ("status", "approvals"):
        return f"I don't know `{verb[:40]}`.\n{HELP}"
    connector = slack.connector
    person = connector.config.submitter_for(slack_user_id, connector.tenant_id)
    if person is None:
        return NOT_LINKED
    settings = slack.deps.settings
    async with slack.deps.sessions() as session:
        if not await is_active(session, connector.tenant_id):
            return TENANT_DISABLED
        if verb == "status":
            if len(words) != 2:
                return "Name one work order: `/myloware status <work order id>`."
            person.require(Capability.WORK_ORDERS_READ)
            try:
                return await order_status(
                    session, settings, tenant_id=connector.tenant_id, ref=words[1]
                )
            except MylowareError as exc:
                return f":warning: {exc.message}."
        waiting = await waiting_for(
            session,
            settings,
            tenant_id=connector.tenant_id,
            groups=sorted(person.groups),
            limit=MAX_LISTED + 1,
        )
    if not waiting:
        return ":white_check_mark: Nothing waits for your decision."
    lines = [f"*{min(len(waiting), MAX_LISTED)} waiting for you*, soonest due first:"]
    lines += [f"• {w.line()}" for w in waiting[:MAX_LISTED]]
    if len(waiting) > MAX_LISTED:
        lines.append(f"…and more: <{queue_url(settings)}|open the queue>")
    return "\n".join(lines)
