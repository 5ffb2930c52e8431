"""The local network a region administrator configures: organizers and the regions they take
part in, their desks, the referrers (toeleiders), events and rewards.

Who may change what. An organizer, its desks and its events are configured by an administrator
of any region the organizer takes part in (a cultuurcentrum shared by two regions is a partner
of both); adding or removing a region needs that region's administrator. A referrer and a reward
belong to one region and need its administrator. Event settings (points, limits) are not here:
they are the UiTPAS profile's ``PUT /events/{id}/settings`` (``catalog.update_event_settings``),
so desks and administrators change them through one code path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from passengine.domain.errors import Conflict, InvalidInput, NotFound
from passengine.domain.model import CalendarType, DeskKind, EventDomain, Period, ReferrerKind
from passengine.services.administration import (
    AdminScope,
    Name,
    Patch,
    Read,
    Shape,
    apply_changes,
    flush_or_conflict,
    jsonable,
    patch_fields,
    region_row,
    transaction,
    utc,
)
from passengine.services.audit import record
from passengine.services.fixture_files import Id, NisCode, PostalCode, RewardCategory
from passengine.storage import tables as t

Street = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


def _known_municipality(session: Session, nis_code: str | None) -> None:
    if nis_code is not None and session.get(t.Municipality, nis_code) is None:
        raise InvalidInput(
            f"No municipality with NIS code {nis_code}.", code="unknown-municipality"
        )


def _known_regions(session: Session, region_ids: list[int]) -> None:
    known = set(session.scalars(select(t.Region.id).where(t.Region.id.in_(sorted(region_ids)))))
    missing = sorted(set(region_ids) - known)
    if missing:
        raise InvalidInput(
            f"Unknown region(s) {', '.join(str(r) for r in missing)}.", code="unknown-region"
        )


def organizer_regions(session: Session, organizer_id: str) -> set[int]:
    return set(
        session.scalars(
            select(t.OrganizerRegion.region_id).where(
                t.OrganizerRegion.organizer_id == organizer_id
            )
        )
    )


# --- Organizers and desks -------------------------------------------------------------------------


class OrganizerCreate(Shape):
    id: Id
    name: Name
    nis_code: NisCode
    """The municipality the organizer is based in (the "local" of a distribution key)."""
    street: Street | None = None
    postal_code: PostalCode | None = None
    regions: list[int] = Field(min_length=1, max_length=50)
    """Every region the organizer takes part in; each needs the caller as administrator."""


class OrganizerUpdate(Patch):
    REQUIRED = ("name", "nis_code", "regions")
    name: Name | None = None
    nis_code: NisCode | None = None
    street: Street | None = None
    postal_code: PostalCode | None = None
    regions: list[int] | None = Field(default=None, min_length=1, max_length=50)
    """Replaces the list; regions added or removed need the caller as their administrator."""


class DeskCreate(Shape):
    id: Id
    organizer_id: Id
    name: Name
    kind: DeskKind
    may_register_other_municipalities: bool = False


class DeskUpdate(Patch):
    REQUIRED = ("name", "kind", "may_register_other_municipalities")
    name: Name | None = None
    kind: DeskKind | None = None
    may_register_other_municipalities: bool | None = None


class DeskRead(Read):
    id: str
    organizer_id: str
    name: str
    kind: DeskKind
    may_register_other_municipalities: bool


class OrganizerRead(Read):
    id: str
    name: str
    nis_code: str
    street: str | None
    postal_code: str | None
    regions: list[int]
    desks: list[DeskRead]


def _desk_view(d: t.Desk) -> DeskRead:
    return DeskRead(
        id=d.id,
        organizer_id=d.organizer_id,
        name=d.name,
        kind=d.kind,
        may_register_other_municipalities=d.may_register_other_municipalities,
    )


def _organizer_view(session: Session, o: t.Organizer) -> OrganizerRead:
    desks = session.scalars(
        select(t.Desk).where(t.Desk.organizer_id == o.id).order_by(t.Desk.id)
    ).all()
    return OrganizerRead(
        id=o.id,
        name=o.name,
        nis_code=o.nis_code,
        street=o.street,
        postal_code=o.postal_code,
        regions=sorted(organizer_regions(session, o.id)),
        desks=[_desk_view(d) for d in desks],
    )


def _organizer(session: Session, organizer_id: str, scope: AdminScope) -> t.Organizer:
    """404 ``organizer-not-found``, then 403 unless the caller administers one of its regions."""
    organizer = session.get(t.Organizer, organizer_id)
    if organizer is None:
        raise NotFound(f"No organizer {organizer_id}.", code="organizer-not-found")
    scope.require_any(organizer_regions(session, organizer_id), what=f"Organizer {organizer_id}")
    return organizer


def create_organizer(
    session: Session, data: OrganizerCreate, *, scope: AdminScope
) -> OrganizerRead:
    with transaction(session):
        scope.require_all(data.regions)
        _known_regions(session, data.regions)
        _known_municipality(session, data.nis_code)
        if session.get(t.Organizer, data.id) is not None:
            raise _exists("organizer", data.id)
        organizer = t.Organizer(**data.model_dump(exclude={"regions"}))
        session.add(organizer)
        flush_or_conflict(session, f"Organizer {data.id} exists already.", code="organizer-exists")
        session.add_all(
            t.OrganizerRegion(organizer_id=data.id, region_id=r) for r in sorted(set(data.regions))
        )
        session.flush()
        record(
            session,
            scope.actor,
            "config.organizer.created",
            subject=f"organizer:{data.id}",
            details=jsonable(data.model_dump()),
        )
        return _organizer_view(session, organizer)


def get_organizer(session: Session, organizer_id: str, *, scope: AdminScope) -> OrganizerRead:
    with transaction(session):
        return _organizer_view(session, _organizer(session, organizer_id, scope))


def update_organizer(
    session: Session, organizer_id: str, changes: OrganizerUpdate, *, scope: AdminScope
) -> OrganizerRead:
    with transaction(session):
        organizer = _organizer(session, organizer_id, scope)
        wanted = patch_fields(changes)
        regions = wanted.pop("regions", None)
        if "nis_code" in wanted:
            _known_municipality(session, wanted["nis_code"])
        diff = apply_changes(organizer, wanted)
        if regions is not None:
            before, after = organizer_regions(session, organizer_id), set(regions)
            scope.require_all(before ^ after)
            _known_regions(session, sorted(after - before))
            session.execute(
                delete(t.OrganizerRegion).where(
                    t.OrganizerRegion.organizer_id == organizer_id,
                    t.OrganizerRegion.region_id.in_(sorted(before - after)),
                )
            )
            session.add_all(
                t.OrganizerRegion(organizer_id=organizer_id, region_id=r)
                for r in sorted(after - before)
            )
            if before != after:
                diff.setdefault("before", {})["regions"] = sorted(before)
                diff.setdefault("after", {})["regions"] = sorted(after)
        session.flush()
        if diff:
            record(
                session,
                scope.actor,
                "config.organizer.updated",
                subject=f"organizer:{organizer_id}",
                details=diff,
            )
        return _organizer_view(session, organizer)


def create_desk(session: Session, data: DeskCreate, *, scope: AdminScope) -> DeskRead:
    with transaction(session):
        if session.get(t.Organizer, data.organizer_id) is None:
            raise InvalidInput(f"No organizer {data.organizer_id}.", code="unknown-organizer")
        _organizer(session, data.organizer_id, scope)
        if session.get(t.Desk, data.id) is not None:
            raise _exists("desk", data.id)
        desk = t.Desk(**data.model_dump())
        session.add(desk)
        flush_or_conflict(session, f"Desk {data.id} exists already.", code="desk-exists")
        record(
            session,
            scope.actor,
            "config.desk.created",
            subject=f"desk:{data.id}",
            details=jsonable(data.model_dump()),
        )
        return _desk_view(desk)


def update_desk(
    session: Session, desk_id: str, changes: DeskUpdate, *, scope: AdminScope
) -> DeskRead:
    with transaction(session):
        desk = session.get(t.Desk, desk_id)
        if desk is None:
            raise NotFound(f"No desk {desk_id}.", code="desk-not-found")
        _organizer(session, desk.organizer_id, scope)
        diff = apply_changes(desk, patch_fields(changes))
        session.flush()
        if diff:
            record(
                session,
                scope.actor,
                "config.desk.updated",
                subject=f"desk:{desk_id}",
                details=diff,
            )
        return _desk_view(desk)


def _exists(noun: str, id_: str) -> Conflict:
    return Conflict(f"{noun.capitalize()} {id_} exists already.", code=f"{noun}-exists")


# --- Referrers ------------------------------------------------------------------------------------


class ReferrerCreate(Shape):
    id: Id
    region_id: int
    name: Name
    kind: ReferrerKind
    nis_code: NisCode | None = None
    may_register: bool = False
    """The region allows this referrer to register holders itself."""
    may_grant_status: bool = False
    """The region allows this referrer to grant, renew, suspend and end statuses."""


class ReferrerUpdate(Patch):
    REQUIRED = ("name", "kind", "may_register", "may_grant_status")
    name: Name | None = None
    kind: ReferrerKind | None = None
    nis_code: NisCode | None = None
    may_register: bool | None = None
    may_grant_status: bool | None = None


class ReferrerRead(Read):
    id: str
    region_id: int
    name: str
    kind: ReferrerKind
    nis_code: str | None
    may_register: bool
    may_grant_status: bool


def _referrer_view(r: t.Referrer) -> ReferrerRead:
    return ReferrerRead(
        id=r.id,
        region_id=r.region_id,
        name=r.name,
        kind=r.kind,
        nis_code=r.nis_code,
        may_register=r.may_register,
        may_grant_status=r.may_grant_status,
    )


def list_referrers(session: Session, region_id: int, *, scope: AdminScope) -> list[ReferrerRead]:
    with transaction(session):
        region_row(session, region_id, scope)
        referrers = session.scalars(
            select(t.Referrer).where(t.Referrer.region_id == region_id).order_by(t.Referrer.id)
        )
        return [_referrer_view(r) for r in referrers]


def create_referrer(session: Session, data: ReferrerCreate, *, scope: AdminScope) -> ReferrerRead:
    with transaction(session):
        scope.require(data.region_id)
        _known_regions(session, [data.region_id])
        _known_municipality(session, data.nis_code)
        if session.get(t.Referrer, data.id) is not None:
            raise _exists("referrer", data.id)
        referrer = t.Referrer(**data.model_dump())
        session.add(referrer)
        flush_or_conflict(session, f"Referrer {data.id} exists already.", code="referrer-exists")
        record(
            session,
            scope.actor,
            "config.referrer.created",
            subject=f"referrer:{data.id}",
            details=jsonable(data.model_dump()),
        )
        return _referrer_view(referrer)


def update_referrer(
    session: Session, referrer_id: str, changes: ReferrerUpdate, *, scope: AdminScope
) -> ReferrerRead:
    with transaction(session):
        referrer = session.get(t.Referrer, referrer_id)
        if referrer is None:
            raise NotFound(f"No referrer {referrer_id}.", code="referrer-not-found")
        scope.require(referrer.region_id)
        wanted = patch_fields(changes)
        _known_municipality(session, wanted.get("nis_code"))
        diff = apply_changes(referrer, wanted)
        session.flush()
        if diff:
            record(
                session,
                scope.actor,
                "config.referrer.updated",
                subject=f"referrer:{referrer_id}",
                details=diff,
            )
        return _referrer_view(referrer)


# --- Events ---------------------------------------------------------------------------------------


class OccurrenceIn(Shape):
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> OccurrenceIn:
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class EventCreate(Shape):
    """An activity. SINGLE and PERIODIC events have ``starts_at`` and ``ends_at``; a MULTIPLE
    event lists its ``occurrences`` (its first start and last end become its dates); a PERMANENT
    offer has no dates. Settings start at the defaults (``GET /v1/regions/{id}/limit-defaults``)
    and change through ``PUT /events/{id}/settings``."""

    id: Id
    organizer_id: Id
    title: Title
    location_nis_code: NisCode
    domain: EventDomain
    calendar_type: CalendarType
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    occurrences: list[OccurrenceIn] = Field(default=[], max_length=1000)


class EventUpdate(Patch):
    """The fields sent change. Switching to PERMANENT drops the dates; switching away from
    MULTIPLE drops the occurrences; ``occurrences`` replaces the list."""

    REQUIRED = ("title", "location_nis_code", "domain", "calendar_type", "occurrences")
    title: Title | None = None
    location_nis_code: NisCode | None = None
    domain: EventDomain | None = None
    calendar_type: CalendarType | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    occurrences: list[OccurrenceIn] | None = Field(default=None, max_length=1000)


class LimitRead(Read):
    volume: int
    period: Period


class EventRead(Read):
    id: str
    organizer_id: str
    title: str
    location_nis_code: str
    domain: EventDomain
    calendar_type: CalendarType
    starts_at: datetime | None
    ends_at: datetime | None
    occurrences: list[OccurrenceIn]
    checkin_points: int
    ticket_limit: LimitRead | None
    """The event's own limit; null: the default applies."""
    checkin_limit: LimitRead | None


def _limit(volume: int | None, period: Period | None) -> LimitRead | None:
    return None if volume is None or period is None else LimitRead(volume=volume, period=period)


def _event_view(session: Session, e: t.Event) -> EventRead:
    occurrences = session.scalars(
        select(t.EventOccurrence)
        .where(t.EventOccurrence.event_id == e.id)
        .order_by(t.EventOccurrence.starts_at, t.EventOccurrence.id)
    )
    return EventRead(
        id=e.id,
        organizer_id=e.organizer_id,
        title=e.title,
        location_nis_code=e.location_nis_code,
        domain=e.domain,
        calendar_type=e.calendar_type,
        starts_at=utc(e.starts_at),
        ends_at=utc(e.ends_at),
        occurrences=[
            OccurrenceIn(starts_at=o.starts_at.astimezone(UTC), ends_at=o.ends_at.astimezone(UTC))
            for o in occurrences
        ],
        checkin_points=e.checkin_points,
        ticket_limit=_limit(e.ticket_limit_volume, e.ticket_limit_period),
        checkin_limit=_limit(e.checkin_limit_volume, e.checkin_limit_period),
    )


def _calendar(
    calendar_type: CalendarType,
    starts_at: datetime | None,
    ends_at: datetime | None,
    occurrences: list[OccurrenceIn],
) -> tuple[datetime | None, datetime | None]:
    """The event's own dates for its calendar type, or InvalidInput saying what is missing."""
    if calendar_type is CalendarType.PERMANENT:
        if starts_at or ends_at or occurrences:
            raise InvalidInput("A PERMANENT event has no dates.", code="invalid-calendar")
        return None, None
    if calendar_type is CalendarType.MULTIPLE:
        if starts_at or ends_at:
            raise InvalidInput(
                "A MULTIPLE event takes its dates from its occurrences; send occurrences only.",
                code="invalid-calendar",
            )
        if not occurrences:
            raise InvalidInput("A MULTIPLE event lists its occurrences.", code="invalid-calendar")
        return min(o.starts_at for o in occurrences), max(o.ends_at for o in occurrences)
    if occurrences:
        raise InvalidInput(
            f"A {calendar_type.value} event has starts_at and ends_at, not occurrences.",
            code="invalid-calendar",
        )
    if starts_at is None or ends_at is None:
        raise InvalidInput(
            f"A {calendar_type.value} event needs starts_at and ends_at.", code="invalid-calendar"
        )
    if ends_at < starts_at:
        raise InvalidInput("ends_at is before starts_at.", code="invalid-calendar")
    return starts_at, ends_at


def _replace_occurrences(session: Session, event_id: str, occurrences: list[OccurrenceIn]) -> None:
    session.execute(delete(t.EventOccurrence).where(t.EventOccurrence.event_id == event_id))
    session.add_all(
        t.EventOccurrence(event_id=event_id, starts_at=o.starts_at, ends_at=o.ends_at)
        for o in occurrences
    )


def _event_json(view: EventRead) -> dict[str, Any]:
    return {
        k: v
        for k, v in jsonable(view.model_dump()).items()
        if k not in ("checkin_points", "ticket_limit", "checkin_limit")
    }


def create_event(session: Session, data: EventCreate, *, scope: AdminScope) -> EventRead:
    starts_at, ends_at = _calendar(
        data.calendar_type, data.starts_at, data.ends_at, data.occurrences
    )
    with transaction(session):
        if session.get(t.Organizer, data.organizer_id) is None:
            raise InvalidInput(f"No organizer {data.organizer_id}.", code="unknown-organizer")
        _organizer(session, data.organizer_id, scope)
        _known_municipality(session, data.location_nis_code)
        if session.get(t.Event, data.id) is not None:
            raise _exists("event", data.id)
        event = t.Event(
            id=data.id,
            organizer_id=data.organizer_id,
            title=data.title,
            location_nis_code=data.location_nis_code,
            domain=data.domain,
            calendar_type=data.calendar_type,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        session.add(event)
        flush_or_conflict(session, f"Event {data.id} exists already.", code="event-exists")
        _replace_occurrences(session, data.id, data.occurrences)
        session.flush()
        view = _event_view(session, event)
        record(
            session,
            scope.actor,
            "config.event.created",
            subject=f"event:{data.id}",
            details=_event_json(view),
        )
        return view


def _event(session: Session, event_id: str, scope: AdminScope) -> t.Event:
    event = session.get(t.Event, event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id}.", code="event-not-found")
    _organizer(session, event.organizer_id, scope)
    return event


def get_event(session: Session, event_id: str, *, scope: AdminScope) -> EventRead:
    with transaction(session):
        return _event_view(session, _event(session, event_id, scope))


def update_event(
    session: Session, event_id: str, changes: EventUpdate, *, scope: AdminScope
) -> EventRead:
    with transaction(session):
        event = _event(session, event_id, scope)
        before = _event_view(session, event)
        wanted = patch_fields(changes)
        if "location_nis_code" in wanted:
            _known_municipality(session, wanted["location_nis_code"])
        calendar_type: CalendarType = wanted.get("calendar_type", event.calendar_type)
        kept = before.occurrences if calendar_type is CalendarType.MULTIPLE else []
        occurrences: list[OccurrenceIn] = wanted.pop("occurrences", kept)
        dated = calendar_type in (CalendarType.SINGLE, CalendarType.PERIODIC)
        starts_at, ends_at = _calendar(
            calendar_type,
            wanted.get("starts_at", before.starts_at if dated else None),
            wanted.get("ends_at", before.ends_at if dated else None),
            occurrences,
        )
        wanted.update(starts_at=starts_at, ends_at=ends_at)
        apply_changes(event, wanted)
        if occurrences != before.occurrences:
            _replace_occurrences(session, event_id, occurrences)
        session.flush()
        after = _event_view(session, event)
        old, new = _event_json(before), _event_json(after)
        changed = sorted(k for k in new if old[k] != new[k])
        if changed:
            record(
                session,
                scope.actor,
                "config.event.updated",
                subject=f"event:{event_id}",
                details={
                    "before": {k: old[k] for k in changed},
                    "after": {k: new[k] for k in changed},
                },
            )
        return after


# --- Rewards --------------------------------------------------------------------------------------


class LimitIn(Shape):
    volume: int = Field(ge=0, le=1_000_000)
    period: Period


class RewardCreate(Shape):
    """A reward of the region, in the shape of the fixture's ``[[rewards]]`` with absolute
    moments: ``organizers`` are the region's organizers whose desks hand it out (none: every
    desk), ``regions`` other regions whose members may redeem it."""

    id: Id
    region_id: int
    title: Title
    type: Literal["POINTS", "WELCOME"]
    points: int = Field(default=0, ge=0, le=1_000_000)
    promotional_description: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    categories: list[RewardCategory] = Field(default=[], max_length=4)
    all_regions: bool = False
    regions: list[int] = Field(default=[], max_length=100)
    organizers: list[Id] = Field(default=[], max_length=500)
    publication_starts_at: AwareDatetime | None = None
    publication_ends_at: AwareDatetime | None = None
    redeem_starts_at: AwareDatetime | None = None
    redeem_ends_at: AwareDatetime | None = None
    max_available_units: int | None = Field(default=None, ge=0, le=10_000_000)
    holder_limit: LimitIn | None = None


class RewardUpdate(Patch):
    REQUIRED = (
        "title",
        "type",
        "points",
        "promotional_description",
        "categories",
        "all_regions",
        "regions",
        "organizers",
    )
    title: Title | None = None
    type: Literal["POINTS", "WELCOME"] | None = None
    points: int | None = Field(default=None, ge=0, le=1_000_000)
    promotional_description: (
        Annotated[str, StringConstraints(min_length=1, max_length=5000)] | None
    ) = None
    categories: list[RewardCategory] | None = None
    all_regions: bool | None = None
    regions: list[int] | None = Field(default=None, max_length=100)
    organizers: list[Id] | None = Field(default=None, max_length=500)
    publication_starts_at: AwareDatetime | None = None
    publication_ends_at: AwareDatetime | None = None
    redeem_starts_at: AwareDatetime | None = None
    redeem_ends_at: AwareDatetime | None = None
    max_available_units: int | None = Field(default=None, ge=0, le=10_000_000)
    holder_limit: LimitIn | None = None


class RewardRead(Read):
    id: str
    region_id: int
    title: str
    type: str
    points: int
    promotional_description: str | None
    categories: list[str]
    all_regions: bool
    regions: list[int]
    organizers: list[str]
    publication_starts_at: datetime | None
    publication_ends_at: datetime | None
    redeem_starts_at: datetime | None
    redeem_ends_at: datetime | None
    max_available_units: int | None
    redeemed_units: int
    holder_limit: LimitRead | None


_REWARD_COLUMNS = (
    "title",
    "type",
    "points",
    "promotional_description",
    "categories",
    "all_regions",
    "publication_starts_at",
    "publication_ends_at",
    "redeem_starts_at",
    "redeem_ends_at",
    "max_available_units",
)


def _reward_view(session: Session, r: t.Reward) -> RewardRead:
    return RewardRead(
        id=r.id,
        region_id=r.owning_region_id,
        title=r.title,
        type=r.type,
        points=r.points,
        promotional_description=r.promotional_description,
        categories=list(r.categories),
        all_regions=r.all_regions,
        regions=sorted(
            session.scalars(
                select(t.RewardRegion.region_id).where(t.RewardRegion.reward_id == r.id)
            )
        ),
        organizers=sorted(
            session.scalars(
                select(t.RewardOrganizer.organizer_id).where(t.RewardOrganizer.reward_id == r.id)
            )
        ),
        publication_starts_at=utc(r.publication_starts_at),
        publication_ends_at=utc(r.publication_ends_at),
        redeem_starts_at=utc(r.redeem_starts_at),
        redeem_ends_at=utc(r.redeem_ends_at),
        max_available_units=r.max_available_units,
        redeemed_units=r.redeemed_units,
        holder_limit=_limit(r.holder_limit_volume, r.holder_limit_period),
    )


def _check_reward(session: Session, view: RewardRead) -> None:
    """The rules of the fixture loader's ``RewardIn``, on the reward as it will be stored."""
    if view.type == "WELCOME" and view.points:
        raise InvalidInput("A WELCOME reward costs no points.", code="invalid-reward")
    if view.type == "POINTS" and view.points < 1:
        raise InvalidInput("A POINTS reward costs at least 1 point.", code="invalid-reward")
    for start, end, what in (
        (view.publication_starts_at, view.publication_ends_at, "publication"),
        (view.redeem_starts_at, view.redeem_ends_at, "redeem"),
    ):
        if start is not None and end is not None and end < start:
            raise InvalidInput(f"The {what} period ends before it starts.", code="invalid-reward")
    if view.max_available_units is not None and view.max_available_units < view.redeemed_units:
        raise InvalidInput(
            f"{view.redeemed_units} units were redeemed already; max_available_units cannot be "
            "lower.",
            code="invalid-reward",
        )
    _known_regions(session, view.regions)
    taking_part = set(
        session.scalars(
            select(t.OrganizerRegion.organizer_id).where(
                t.OrganizerRegion.region_id == view.region_id,
                t.OrganizerRegion.organizer_id.in_(view.organizers),
            )
        )
    )
    strangers = sorted(set(view.organizers) - taking_part)
    if strangers:
        raise InvalidInput(
            f"Organizer(s) {', '.join(strangers)} take no part in region {view.region_id}.",
            code="unknown-organizer",
        )


def _write_reward_links(session: Session, reward_id: str, view: RewardRead) -> None:
    session.execute(delete(t.RewardRegion).where(t.RewardRegion.reward_id == reward_id))
    session.execute(delete(t.RewardOrganizer).where(t.RewardOrganizer.reward_id == reward_id))
    session.add_all(
        t.RewardRegion(reward_id=reward_id, region_id=r)
        for r in sorted(set(view.regions) - {view.region_id})
    )
    session.add_all(
        t.RewardOrganizer(reward_id=reward_id, organizer_id=o) for o in sorted(set(view.organizers))
    )


def _reward_values(view: RewardRead) -> dict[str, Any]:
    values = {name: getattr(view, name) for name in _REWARD_COLUMNS}
    values["holder_limit_volume"] = view.holder_limit.volume if view.holder_limit else None
    values["holder_limit_period"] = view.holder_limit.period if view.holder_limit else None
    return values


def create_reward(session: Session, data: RewardCreate, *, scope: AdminScope) -> RewardRead:
    with transaction(session):
        region_row(session, data.region_id, scope)
        if session.get(t.Reward, data.id) is not None:
            raise _exists("reward", data.id)
        view = RewardRead(
            **data.model_dump(exclude={"holder_limit", "regions"}),
            regions=sorted(set(data.regions) - {data.region_id}),
            redeemed_units=0,
            holder_limit=(
                LimitRead(volume=data.holder_limit.volume, period=data.holder_limit.period)
                if data.holder_limit
                else None
            ),
        )
        _check_reward(session, view)
        reward = t.Reward(
            id=data.id, owning_region_id=data.region_id, redeemed_units=0, **_reward_values(view)
        )
        session.add(reward)
        flush_or_conflict(session, f"Reward {data.id} exists already.", code="reward-exists")
        _write_reward_links(session, data.id, view)
        session.flush()
        record(
            session,
            scope.actor,
            "config.reward.created",
            subject=f"reward:{data.id}",
            details=jsonable(view.model_dump()),
        )
        return _reward_view(session, reward)


def update_reward(
    session: Session, reward_id: str, changes: RewardUpdate, *, scope: AdminScope
) -> RewardRead:
    """Changes apply from now; redemptions already made keep what they cost."""
    with transaction(session):
        reward = session.get(t.Reward, reward_id, with_for_update=True)
        if reward is None:
            raise NotFound(f"No reward {reward_id}.", code="reward-not-found")
        scope.require(reward.owning_region_id)
        before = _reward_view(session, reward)
        wanted = patch_fields(changes)
        if "regions" in wanted:
            wanted["regions"] = sorted(set(wanted["regions"]) - {reward.owning_region_id})
        if "holder_limit" in wanted and wanted["holder_limit"] is not None:
            limit: LimitIn = wanted["holder_limit"]
            wanted["holder_limit"] = LimitRead(volume=limit.volume, period=limit.period)
        after = before.model_copy(update=wanted)
        _check_reward(session, after)
        apply_changes(reward, _reward_values(after))
        _write_reward_links(session, reward_id, after)
        session.flush()
        old, new = jsonable(before.model_dump()), jsonable(after.model_dump())
        changed = sorted(k for k in new if old[k] != new[k])
        if changed:
            record(
                session,
                scope.actor,
                "config.reward.updated",
                subject=f"reward:{reward_id}",
                details={
                    "before": {k: old[k] for k in changed},
                    "after": {k: new[k] for k in changed},
                },
            )
        return _reward_view(session, reward)
