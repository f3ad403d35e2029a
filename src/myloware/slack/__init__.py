"""Approve, reject and escalate from Slack; submit documents by sharing files with the bot.

* :func:`build_slack_router` — ``POST /slack/events`` for the API app (Bolt, HTTP mode);
* :func:`slack_event_handler` — the ``slack`` consumer of the event stream that posts the
  approval cards and updates them when a decision lands;
* :class:`SlackConfig` — what a SLACK connector's ``config`` holds (see docs/slack.md).
"""

from myloware.services.slack_connectors import SlackConfig, SlackUser, add_slack_connector
from myloware.slack.cards import CardAction, CardFacts, Outcome, closed_card, open_card
from myloware.slack.client import SlackDeliveryError
from myloware.slack.decisions import SlackContext, SlackDeps
from myloware.slack.gateway import SlackGateway, build_bolt_app, build_slack_router
from myloware.slack.listeners import register_listeners
from myloware.slack.notifier import CONSUMER_GROUP, slack_event_handler, slack_relevance

__all__ = [
    "CONSUMER_GROUP",
    "CardAction",
    "CardFacts",
    "Outcome",
    "SlackConfig",
    "SlackContext",
    "SlackDeliveryError",
    "SlackDeps",
    "SlackGateway",
    "SlackUser",
    "add_slack_connector",
    "build_bolt_app",
    "build_slack_router",
    "closed_card",
    "open_card",
    "register_listeners",
    "slack_event_handler",
    "slack_relevance",
]
