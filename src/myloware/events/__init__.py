"""Domain events: the transactional outbox, the Redis Streams relay and its consumers."""

from myloware.events.outbox import record_event

__all__ = ["record_event"]
