"""The PeriodLimit primitive: at most N uses per calendar period in the region's time zone.

Periods are calendar periods, not rolling windows: "1 per WEEK" means once from Monday 00:00 to
Sunday 24:00 in Brussels (domain.md). Every instant is converted to the region's local date
first, so a sale at 23:30 on Sunday and one at 00:30 on Monday fall in different weeks, also on
the nights the clocks change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from passengine.domain.model import Period, PeriodLimit


def period_key(period: Period, day: date) -> tuple[int, ...]:
    """The calendar period a local date falls in; equal keys mean the same period."""
    if period is Period.ABSOLUTE:
        return ()
    if period is Period.DAY:
        return (day.toordinal(),)
    if period is Period.WEEK:
        iso = day.isocalendar()  # ISO weeks run Monday to Sunday
        return (iso.year, iso.week)
    if period is Period.MONTH:
        return (day.year, day.month)
    if period is Period.QUARTER:
        return (day.year, (day.month - 1) // 3)
    return (day.year,)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(tz).date()


@dataclass(frozen=True, slots=True)
class LimitCheck:
    limit: PeriodLimit
    used: int
    remaining: int

    @property
    def reached(self) -> bool:
        return self.remaining <= 0


def check_limit(
    limit: PeriodLimit, usages: Iterable[datetime], *, at: datetime, tz: ZoneInfo
) -> LimitCheck:
    """How many of ``usages`` fall in the period containing ``at``, and what is left."""
    current = period_key(limit.period, local_date(at, tz))
    used = sum(1 for u in usages if period_key(limit.period, local_date(u, tz)) == current)
    return LimitCheck(limit=limit, used=used, remaining=max(0, limit.volume - used))


def sum_in_period(
    period: Period, amounts: Iterable[tuple[datetime, int]], *, at: datetime, tz: ZoneInfo
) -> int:
    """The total of ``amounts`` (instant, cents) in the period containing ``at`` (yearly caps)."""
    current = period_key(period, local_date(at, tz))
    return sum(c for when, c in amounts if period_key(period, local_date(when, tz)) == current)
