"""The days a report covers: ``?from=&to=`` (both inclusive, UTC) checked in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from myloware.errors import ValidationFailed

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class Period:
    """``first`` to ``last`` day, both inclusive; ``since``/``until`` bound it in UTC."""

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period (an exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def period(first: date | None, last: date | None, *, today: date | None = None) -> Period:
    """The period asked for: ``to`` defaults to today (UTC), ``from`` to ``DEFAULT_DAYS`` days
    before ``to``.

    Raises :class:`ValidationFailed` (422) when ``to`` comes before ``from`` or the period is
    longer than ``MAX_DAYS`` days.
    """
    today = today or datetime.now(UTC).date()
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValidationFailed(
            f"'to' ({last.isoformat()}) is before 'from' ({first.isoformat()})",
            details={"from": first.isoformat(), "to": last.isoformat()},
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            f"a report covers at most {MAX_DAYS} days; this one asks for {(last - first).days + 1}",
            details={"from": first.isoformat(), "to": last.isoformat(), "max_days": MAX_DAYS},
        )
    return Period(first, last)
