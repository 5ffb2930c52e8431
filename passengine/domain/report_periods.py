"""Report periods: local calendar dates in the region's time zone, turned into UTC instants.

Sales and check-ins are stored with UTC instants. A report for "March" means March in Brussels,
so its bounds are local midnights converted to UTC: 23:00 or 22:00 UTC the day before depending
on the season. Reports filter and bucket on these bounds in SQL (``created_at >= lo AND
created_at < hi``), so the database needs no time-zone support and indexes stay usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from passengine.domain.errors import InvalidInput

MAX_PERIOD_DAYS = 366 * 5
"""A report spans at most five years: longer asks are mistakes, not accounting periods."""


@dataclass(frozen=True, slots=True)
class LocalPeriod:
    """From ``start`` to ``end``, both included, as local calendar dates."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(
                f"The period ends ({self.end}) before it starts ({self.start}).",
                code="invalid-period",
            )
        if (self.end - self.start).days >= MAX_PERIOD_DAYS:
            raise InvalidInput(
                f"A report period spans at most {MAX_PERIOD_DAYS} days.", code="invalid-period"
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


@dataclass(frozen=True, slots=True)
class Bucket:
    """A part of a period (a month) with its UTC bounds: ``lo <= instant < hi``."""

    label: str
    start: date
    end: date
    lo: datetime
    hi: datetime


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def utc_bounds(period: LocalPeriod, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``(lo, hi)``: ``lo <= instant < hi`` holds for every instant whose local date is inside."""
    return local_midnight_utc(period.start, tz), local_midnight_utc(
        period.end + timedelta(days=1), tz
    )


def months(period: LocalPeriod, tz: ZoneInfo) -> list[Bucket]:
    """The calendar months the period touches, each cut to the period, labelled ``YYYY-MM``."""
    buckets: list[Bucket] = []
    first = period.start
    while first <= period.end:
        next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = min(next_month - timedelta(days=1), period.end)
        buckets.append(
            Bucket(
                label=f"{first.year:04d}-{first.month:02d}",
                start=first,
                end=last,
                lo=local_midnight_utc(first, tz),
                hi=local_midnight_utc(last + timedelta(days=1), tz),
            )
        )
        first = next_month
    return buckets


def month_period(year: int, month: int) -> LocalPeriod:
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return LocalPeriod(start, end)


def year_period(year: int) -> LocalPeriod:
    return LocalPeriod(date(year, 1, 1), date(year, 12, 31))


def suggested_periods(today: date, *, count: int = 6) -> list[LocalPeriod]:
    """What an organizer usually settles: the current month so far and the ``count - 1`` months
    before it, newest first (settlements are monthly or bi-monthly, domain.md)."""
    periods = [LocalPeriod(date(today.year, today.month, 1), today)]
    year, month = today.year, today.month
    for _ in range(count - 1):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        periods.append(month_period(year, month))
    return periods


def local_date_of(instant: datetime, tz: ZoneInfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(tz).date()
