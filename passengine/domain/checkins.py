"""The check-in decision: may this holder check in at this event now, and for how many points?

Check-ins are open from a number of minutes before the start to a number after the end (5 h
either side by default, per event), limited per calendar period (1 per DAY for dated events,
1 per WEEK for permanent offers), and earn the event's points. Group passes never check in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from passengine.domain.limits import check_limit
from passengine.domain.messages import ParamValue, render
from passengine.domain.model import Occurrence, Period, PeriodLimit

DEFAULT_DATED_CHECKIN_LIMIT = PeriodLimit(1, Period.DAY)
DEFAULT_PERMANENT_CHECKIN_LIMIT = PeriodLimit(1, Period.WEEK)


@dataclass(frozen=True, slots=True)
class CheckinEventFacts:
    id: str
    occurrences: tuple[Occurrence, ...]
    """Empty for a permanent offer (always open)."""
    points: int = 1
    limit: PeriodLimit | None = None
    opens_minutes_before: int = 300
    closes_minutes_after: int = 300


@dataclass(frozen=True, slots=True)
class CheckinDecision:
    allowed: bool
    code: str
    points: int
    remaining: int
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def message(self) -> dict[str, str]:
        return render(self.code, self.params)


def checkin_limit_for(event: CheckinEventFacts) -> PeriodLimit:
    if event.limit is not None:
        return event.limit
    return DEFAULT_DATED_CHECKIN_LIMIT if event.occurrences else DEFAULT_PERMANENT_CHECKIN_LIMIT


def decide_checkin(
    event: CheckinEventFacts,
    checkins: tuple[datetime, ...],
    *,
    at: datetime,
    tz: ZoneInfo,
    card_blocked: bool = False,
    membership_blocked: bool = False,
    group_pass: bool = False,
) -> CheckinDecision:
    """``checkins`` are this holder's earlier (not cancelled) check-ins at this event."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    limit = checkin_limit_for(event)
    if group_pass:
        return CheckinDecision(False, "group-pass-no-checkin", 0, 0)
    if card_blocked:
        return CheckinDecision(False, "card-blocked", 0, 0)
    if membership_blocked:
        return CheckinDecision(False, "passholder-blocked", 0, 0)
    if event.occurrences:
        before = timedelta(minutes=event.opens_minutes_before)
        after = timedelta(minutes=event.closes_minutes_after)
        windows = sorted((o.start - before, o.end + after) for o in event.occurrences)
        if not any(opens <= at <= closes for opens, closes in windows):
            upcoming = [opens for opens, _ in windows if opens > at]
            if upcoming:
                opens_at = min(upcoming).astimezone(tz)
                return CheckinDecision(
                    False, "checkin-not-open-yet", 0, 0, {"opens_at": f"{opens_at:%d/%m/%Y %H:%M}"}
                )
            closed_at = max(closes for _, closes in windows).astimezone(tz)
            return CheckinDecision(
                False, "checkin-closed", 0, 0, {"closed_at": f"{closed_at:%d/%m/%Y %H:%M}"}
            )
    check = check_limit(limit, checkins, at=at, tz=tz)
    if check.reached:
        return CheckinDecision(
            False,
            "checkin-maximum-reached",
            0,
            0,
            {"volume": limit.volume, "period": limit.period.value, "used": check.used},
        )
    return CheckinDecision(
        True, "checkin-allowed", event.points, check.remaining - 1, {"points": event.points}
    )
