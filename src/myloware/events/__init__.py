"""Domain events: the transactional outbox, the Redis Streams relay and its consumers."""

from myloware.events.consumer import Handler, StreamConsumer
from myloware.events.dead_letters import list_dead_letters
from myloware.events.dead_letters import replay as replay_dead_letter
from myloware.events.outbox import record_event
from myloware.events.relay import OutboxRelay
from myloware.events.stream import Event

__all__ = [
    "Event",
    "Handler",
    "OutboxRelay",
    "StreamConsumer",
    "list_dead_letters",
    "record_event",
    "replay_dead_letter",
]
