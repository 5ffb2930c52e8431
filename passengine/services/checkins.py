"""Check-ins and the points ledger: a check-in adds the event's points, a cancellation takes
them back; the balance on the holder is updated under the holder's lock with a ledger row, and
can never go below zero (a CHECK constraint is the last line)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from passengine.domain.checkins import CheckinDecision, CheckinEventFacts, decide_checkin
from passengine.domain.errors import InvalidInput, NotFound
from passengine.domain.identifiers import validate_card_number
from passengine.domain.model import CardStatus, MembershipStatus, Occurrence, PeriodLimit
from passengine.services.audit import record
from passengine.services.auth import Forbidden, Principal
from passengine.services.sales import authorize_organizer
from passengine.storage import tables as t
from passengine.storage.locks import lock_holders
from passengine.storage.repositories import PassRepository


class CheckinRefused(InvalidInput):
    code = "checkin-not-allowed"

    def __init__(self, decision: CheckinDecision) -> None:
        message = decision.message()
        super().__init__(
            message.get("en", message["nl"]), reason=decision.code, end_user_message=message
        )


@dataclass(frozen=True, slots=True)
class CheckinView:
    id: str
    created_at: datetime
    event_id: str
    event_title: str
    uitpas_number: str
    points: int
    holder_id: str


@dataclass(frozen=True, slots=True)
class _Context:
    holder_id: str | None
    event: t.Event
    facts: CheckinEventFacts
    tz: ZoneInfo
    card_blocked: bool
    membership_blocked: bool
    group_pass: bool


def _context(session: Session, uitpas_number: str, event_id: str) -> _Context:
    number = validate_card_number(uitpas_number)
    event = session.get(t.Event, event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id}.", code="event-not-found")
    occurrences: tuple[Occurrence, ...] = ()
    if event.starts_at is not None and event.ends_at is not None:
        rows = session.execute(
            select(t.EventOccurrence.starts_at, t.EventOccurrence.ends_at)
            .where(t.EventOccurrence.event_id == event.id)
            .order_by(t.EventOccurrence.starts_at)
        ).all()
        occurrences = tuple(Occurrence(s, e) for s, e in rows) or (
            Occurrence(event.starts_at, event.ends_at),
        )
    limit = (
        PeriodLimit(event.checkin_limit_volume, event.checkin_limit_period)
        if event.checkin_limit_volume is not None and event.checkin_limit_period is not None
        else None
    )
    facts = CheckinEventFacts(
        id=event.id,
        occurrences=occurrences,
        points=event.checkin_points,
        limit=limit,
        opens_minutes_before=event.checkin_opens_minutes_before,
        closes_minutes_after=event.checkin_closes_minutes_after,
    )
    found = PassRepository(session).by_uitpas_number(number)
    if found is None:
        is_group = session.scalar(select(t.GroupPass.id).where(t.GroupPass.uitpas_number == number))
        if is_group is None:
            raise NotFound(f"No pass with number {number}.", code="pass-not-found")
        return _Context(None, event, facts, ZoneInfo("Europe/Brussels"), False, False, True)
    tz_name = session.scalar(select(t.Region.timezone).where(t.Region.id == found.region_id))
    return _Context(
        found.holder_id,
        event,
        facts,
        ZoneInfo(tz_name or "Europe/Brussels"),
        found.card_status is CardStatus.BLOCKED,
        found.membership_status is MembershipStatus.BLOCKED,
        False,
    )


def _earlier(session: Session, holder_id: str | None, event_id: str) -> tuple[datetime, ...]:
    if holder_id is None:
        return ()
    return tuple(
        session.scalars(
            select(t.Checkin.created_at).where(
                t.Checkin.holder_id == holder_id,
                t.Checkin.event_id == event_id,
                t.Checkin.cancelled_at.is_(None),
            )
        )
    )


def checkin_status(
    session: Session, *, uitpas_number: str, event_id: str, principal: Principal, at: datetime
) -> CheckinDecision:
    principal.require("CHECKINS_WRITE")
    with session.begin():
        ctx = _context(session, uitpas_number, event_id)
        _authorize(session, principal, ctx.event.organizer_id)
        return _decide(session, ctx, at=at)


def _authorize(session: Session, principal: Principal, organizer_id: str) -> None:
    regions = frozenset(
        session.scalars(
            select(t.OrganizerRegion.region_id).where(
                t.OrganizerRegion.organizer_id == organizer_id
            )
        )
    )
    authorize_organizer(principal, organizer_id, regions)


def _decide(session: Session, ctx: _Context, *, at: datetime) -> CheckinDecision:
    return decide_checkin(
        ctx.facts,
        _earlier(session, ctx.holder_id, ctx.event.id),
        at=at,
        tz=ctx.tz,
        card_blocked=ctx.card_blocked,
        membership_blocked=ctx.membership_blocked,
        group_pass=ctx.group_pass,
    )


def check_in(
    session: Session, *, uitpas_number: str, event_id: str, principal: Principal, at: datetime
) -> CheckinView:
    """Inside the caller's transaction (see ``idempotency.run_once``)."""
    principal.require("CHECKINS_WRITE")
    ctx = _context(session, uitpas_number, event_id)
    _authorize(session, principal, ctx.event.organizer_id)
    if ctx.holder_id is not None:
        lock_holders(session, [ctx.holder_id])
    decision = _decide(session, ctx, at=at)  # again, under the lock
    if not decision.allowed or ctx.holder_id is None:
        raise CheckinRefused(decision)
    checkin_id = str(uuid.uuid4())
    number = validate_card_number(uitpas_number)
    session.add(
        t.Checkin(
            id=checkin_id,
            created_at=at,
            event_id=ctx.event.id,
            organizer_id=ctx.event.organizer_id,
            holder_id=ctx.holder_id,
            uitpas_number=number,
            points=decision.points,
            client_id=principal.client_id,
            desk_id=principal.desk_id,
        )
    )
    session.flush()
    _add_points(session, ctx.holder_id, decision.points, "CHECKIN", at=at, checkin_id=checkin_id)
    record(
        session,
        principal.actor,
        "checkin.registered",
        holder_id=ctx.holder_id,
        subject=f"checkin:{checkin_id}",
        details={"event_id": ctx.event.id, "points": decision.points},
    )
    return CheckinView(
        checkin_id, at, ctx.event.id, ctx.event.title, number, decision.points, ctx.holder_id
    )


def _add_points(
    session: Session,
    holder_id: str,
    delta: int,
    reason: str,
    *,
    at: datetime,
    checkin_id: str | None = None,
    redemption_id: str | None = None,
) -> None:
    if delta == 0:
        return
    session.add(
        t.PointsTransaction(
            holder_id=holder_id,
            created_at=at,
            delta=delta,
            reason=reason,
            checkin_id=checkin_id,
            redemption_id=redemption_id,
        )
    )
    session.execute(
        update(t.PassHolder)
        .where(t.PassHolder.id == holder_id)
        .values(points=t.PassHolder.points + delta)
    )
    session.flush()


class PointsAlreadySpent(InvalidInput):
    code = "insufficient-points"


def cancel_checkin(
    session: Session, checkin_id: str, *, principal: Principal, at: datetime
) -> None:
    """Take the check-in's points back; refused if the holder already spent them."""
    principal.require("CHECKINS_WRITE")
    checkin = session.get(t.Checkin, checkin_id)
    if checkin is None:
        raise NotFound(f"No check-in {checkin_id}.", code="checkin-not-found")
    _authorize(session, principal, checkin.organizer_id)
    if checkin.cancelled_at is not None:
        return
    lock_holders(session, [checkin.holder_id])
    balance = (
        session.scalar(select(t.PassHolder.points).where(t.PassHolder.id == checkin.holder_id)) or 0
    )
    if balance < checkin.points:
        raise PointsAlreadySpent(
            f"The holder has {balance} points left; this check-in gave {checkin.points}. "
            "Points already spent on a reward cannot be taken back."
        )
    checkin.cancelled_at = at
    checkin.cancelled_by_client_id = principal.client_id
    _add_points(
        session,
        checkin.holder_id,
        -checkin.points,
        "CHECKIN_CANCELLED",
        at=at,
        checkin_id=checkin.id,
    )
    record(
        session,
        principal.actor,
        "checkin.cancelled",
        holder_id=checkin.holder_id,
        subject=f"checkin:{checkin.id}",
    )


def list_checkins(
    session: Session,
    *,
    principal: Principal,
    passholder_id: str,
    organizer_id: str,
    limit: int = 50,
    start: int = 0,
) -> tuple[int, list[CheckinView]]:
    principal.require("CHECKINS_READ")
    if principal.organizer_id is not None and principal.organizer_id != organizer_id:
        raise Forbidden("This client cannot read another organizer's check-ins.")
    query = (
        select(t.Checkin, t.Event.title)
        .join(t.Event, t.Event.id == t.Checkin.event_id)
        .where(
            t.Checkin.holder_id == passholder_id,
            t.Checkin.organizer_id == organizer_id,
            t.Checkin.cancelled_at.is_(None),
        )
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(t.Checkin.created_at.desc(), t.Checkin.id).offset(start).limit(limit)
    ).all()
    return total, [
        CheckinView(c.id, c.created_at, c.event_id, title, c.uitpas_number, c.points, c.holder_id)
        for c, title in rows
    ]
