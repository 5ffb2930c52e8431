"""The state of a social-tariff status on a given day.

UiTPAS keeps a status ``ACTIVE`` during a grace period after its end date, so a holder whose
renewal is still on its way is not refused at the desk (domain.md, "Eligibility"); the desk is
told that the status is about to expire or has expired, never why it was granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from passengine.domain.model import SocialTariffState, SocialTariffStatus


@dataclass(frozen=True, slots=True)
class StatusView:
    state: SocialTariffState
    end_date: date
    in_grace_period: bool
    suspended_until: date | None


def status_on(status: SocialTariffStatus, day: date) -> StatusView:
    """Return what the status is on ``day`` (a date in the region's time zone)."""
    if status.ended_on is not None and day >= status.ended_on:
        return StatusView(SocialTariffState.EXPIRED, status.ended_on, False, None)
    if day < status.start_date:
        # Not yet started: treated as not holding the status at all.
        return StatusView(SocialTariffState.EXPIRED, status.end_date, False, None)
    if status.suspended_until is not None and day <= status.suspended_until:
        return StatusView(
            SocialTariffState.SUSPENDED, status.end_date, False, status.suspended_until
        )
    if day <= status.end_date:
        return StatusView(SocialTariffState.ACTIVE, status.end_date, False, None)
    if day <= status.end_date + timedelta(days=status.grace_period_days):
        return StatusView(SocialTariffState.ACTIVE, status.end_date, True, None)
    return StatusView(SocialTariffState.EXPIRED, status.end_date, False, None)


def default_end_date(granted_on: date, *, month: int = 4, day: int = 30) -> date:
    """The default end date of a new or renewed status: 30 April of the next year."""
    return date(granted_on.year + 1, month, day)
