"""What the desk web page shows before the first scan: today's events of the desk's organizer.

The UiTPAS profile has no "events of today" operation (a ticketing system knows its own
programme), so the page gets this small list from the native API. "Today" is the calendar day in
the time zone of the organizer's region, as for every per-day rule (design.md); an event is on
today's list when one of its dates overlaps that day, and permanent offers (a swimming pool, a
library membership) are always on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from passengine.domain.model import CalendarType
from passengine.services.auth import Forbidden, Principal
from passengine.storage import tables as t

DEFAULT_TIMEZONE = "Europe/Brussels"


@dataclass(frozen=True, slots=True)
class DeskEvent:
    id: str
    title: str
    calendar_type: str
    starts_at: datetime | None
    """Today's date of the event (the occurrence of a MULTIPLE event); None when permanent."""
    ends_at: datetime | None
    checkin_points: int
    checkin_opens_at: datetime | None
    checkin_closes_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeskDay:
    organizer_id: str
    organizer_name: str
    desk_id: str | None
    desk_name: str | None
    day: date
    timezone: str
    events: tuple[DeskEvent, ...]


def _timezone(session: Session, organizer_id: str) -> str:
    name = session.scalar(
        select(t.Region.timezone)
        .join(t.OrganizerRegion, t.OrganizerRegion.region_id == t.Region.id)
        .where(t.OrganizerRegion.organizer_id == organizer_id)
        .order_by(t.Region.id)
        .limit(1)
    )
    return name or DEFAULT_TIMEZONE


def _today_dates(
    session: Session, events: list[t.Event], start: datetime, end: datetime
) -> dict[str, tuple[datetime, datetime]]:
    """The first date of each dated event that overlaps [start, end). A MULTIPLE event is on the
    list only through an occurrence of today; an event without occurrences is its own date (as
    for check-ins, ``services.checkins``)."""
    multiple = [e.id for e in events if e.calendar_type is CalendarType.MULTIPLE]
    with_occurrences = set(
        session.scalars(
            select(t.EventOccurrence.event_id).where(t.EventOccurrence.event_id.in_(multiple))
        )
    )
    found: dict[str, tuple[datetime, datetime]] = {}
    if with_occurrences:
        rows = session.execute(
            select(
                t.EventOccurrence.event_id, t.EventOccurrence.starts_at, t.EventOccurrence.ends_at
            )
            .where(
                t.EventOccurrence.event_id.in_(with_occurrences),
                t.EventOccurrence.starts_at < end,
                t.EventOccurrence.ends_at > start,
            )
            .order_by(t.EventOccurrence.starts_at)
        ).all()
        for event_id, starts, ends in rows:
            found.setdefault(event_id, (starts, ends))
    for event in events:
        if event.id in with_occurrences or event.starts_at is None or event.ends_at is None:
            continue
        found[event.id] = (event.starts_at, event.ends_at)
    return found


def _desk_event(event: t.Event, today: tuple[datetime, datetime] | None) -> DeskEvent:
    starts, ends = today or (None, None)
    return DeskEvent(
        id=event.id,
        title=event.title,
        calendar_type=event.calendar_type.value,
        starts_at=starts,
        ends_at=ends,
        checkin_points=event.checkin_points,
        checkin_opens_at=(
            starts - timedelta(minutes=event.checkin_opens_minutes_before) if starts else None
        ),
        checkin_closes_at=(
            ends + timedelta(minutes=event.checkin_closes_minutes_after) if ends else None
        ),
    )


def todays_events(session: Session, *, principal: Principal, at: datetime) -> DeskDay:
    """Today's events and the permanent offers of the caller's organizer, earliest first."""
    principal.require("EVENTS_READ")
    organizer_id = principal.organizer_id
    if organizer_id is None:
        raise Forbidden("This list is for desks: the client does not act for an organizer.")
    with session.begin():
        organizer = session.get(t.Organizer, organizer_id)
        if organizer is None:
            raise Forbidden("The client's organizer no longer exists.")
        desk = session.get(t.Desk, principal.desk_id) if principal.desk_id else None
        zone = _timezone(session, organizer_id)
        day = at.astimezone(ZoneInfo(zone)).date()
        # Midnight to midnight in the region: 23 or 25 hours on the days the clocks change.
        start = datetime.combine(day, time(), tzinfo=ZoneInfo(zone))
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone))
        candidates = list(
            session.scalars(
                select(t.Event)
                .where(
                    t.Event.organizer_id == organizer_id,
                    or_(
                        t.Event.calendar_type == CalendarType.PERMANENT,
                        (t.Event.starts_at < end) & (t.Event.ends_at > start),
                    ),
                )
                .order_by(t.Event.title, t.Event.id)
            )
        )
        dates = _today_dates(session, candidates, start, end)
        listed = [
            _desk_event(event, dates.get(event.id))
            for event in candidates
            if event.calendar_type is CalendarType.PERMANENT or event.id in dates
        ]
        return DeskDay(
            organizer_id=organizer.id,
            organizer_name=organizer.name,
            desk_id=desk.id if desk else None,
            desk_name=desk.name if desk else None,
            day=day,
            timezone=zone,
            # Dated events by their time today, then the permanent offers by title.
            events=tuple(sorted(listed, key=lambda e: (e.starts_at is None, e.starts_at or start))),
        )
