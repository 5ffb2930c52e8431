"""The shape of a region fixture file (``fixtures/regions/<name>/region.toml``), validated on load.

Dates and instants may be absolute (``2026-04-30``, ``2026-12-05T20:00:00+01:00``) or relative to
the day the fixture is loaded (``+0d``, ``-20d``, ``+3d 20:00``), in the region's time zone, so the
demo always has an event today and statuses that are active, in grace or expired.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from passengine.domain.model import (
    CalendarType,
    CardStatus,
    ClientRole,
    DeskKind,
    EventDomain,
    Period,
    ReferrerKind,
)
from passengine.services.activity_history import MAX_MONTHS, HistorySpec

_RELATIVE = re.compile(r"^(?P<days>[+-]\d+)d(?:\s+(?P<hh>\d{1,2}):(?P<mm>\d{2}))?$")

NisCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
# Relative ("+3d 20:00") or absolute (ISO 8601) moments; resolved by ``resolve_*`` at load time.
Moment = Annotated[str, StringConstraints(min_length=2, max_length=40)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionIn(_Strict):
    id: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Europe/Brussels"
    primary_color: str | None = None
    secondary_color: str | None = None
    website: str | None = None
    contact_line: str | None = None
    conditions_text: str | None = None


class PostalCodeIn(_Strict):
    code: PostalCode
    place: str


class SubMunicipalityIn(_Strict):
    name: str
    postal_code: PostalCode | None = None


class MunicipalityIn(_Strict):
    nis_code: NisCode
    name: str
    joined_on: date
    postal_codes: list[PostalCodeIn] = Field(min_length=1)
    sub_municipalities: list[SubMunicipalityIn] = []
    streets: list[str] = []
    """Real street names, used for synthetic holders' addresses."""


class TargetGroupIn(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str
    default_grace_period_days: int = Field(default=0, ge=0)


class GroundIn(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str


class OrganizerIn(_Strict):
    id: Id
    name: str
    nis_code: NisCode
    street: str | None = None
    postal_code: PostalCode | None = None
    regions: list[int] = []
    """Other regions the organizer also takes part in (its own region is implied)."""


class DeskIn(_Strict):
    id: Id
    organizer_id: Id
    name: str
    kind: DeskKind
    may_register_other_municipalities: bool = False


class ReferrerIn(_Strict):
    id: Id
    name: str
    kind: ReferrerKind
    nis_code: NisCode | None = None
    may_register: bool = False
    may_grant_status: bool = False


class LimitIn(_Strict):
    volume: int = Field(ge=0)
    period: Period


class OccurrenceIn(_Strict):
    starts_at: Moment
    ends_at: Moment


class EventIn(_Strict):
    id: Id
    organizer_id: Id
    title: str
    location_nis_code: NisCode
    domain: EventDomain
    calendar_type: CalendarType
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    occurrences: list[OccurrenceIn] = []
    checkin_points: int = Field(default=1, ge=0)
    checkin_limit: LimitIn | None = None
    ticket_limit: LimitIn | None = None

    @model_validator(mode="after")
    def _dates_match_calendar(self) -> EventIn:
        if self.calendar_type is CalendarType.PERMANENT:
            if self.starts_at or self.ends_at or self.occurrences:
                raise ValueError("a PERMANENT event has no dates")
        elif self.calendar_type is CalendarType.MULTIPLE:
            if not self.occurrences:
                raise ValueError("a MULTIPLE event lists its occurrences")
        elif not (self.starts_at and self.ends_at):
            raise ValueError(f"a {self.calendar_type.value} event needs starts_at and ends_at")
        return self


class GroupPassIn(_Strict):
    id: Id
    name: str
    uitpas_number: str = Field(pattern=r"^\d{13}$")
    tickets_per_year: int = Field(ge=0)
    target_group: str | None = None


class ApiClientIn(_Strict):
    client_id: str = Field(min_length=3, max_length=100)
    secret: str = Field(min_length=8)
    name: str
    role: ClientRole
    organizer_id: Id | None = None
    desk_id: Id | None = None
    referrer_id: Id | None = None
    permissions: list[str] = Field(min_length=1)
    regions: list[int] = []
    """Other regions the client may act in (the file's region is implied)."""


class StatusIn(_Strict):
    target_group: str
    ground: str | None = None
    start_date: Moment = "-60d"
    end_date: Moment
    grace_period_days: int | None = Field(default=None, ge=0)
    suspended_until: Moment | None = None
    granted_by_referrer: Id | None = None


class DemoHolderIn(_Strict):
    """A named holder with a known card number, for the README's walk-through."""

    key: str
    first_name: str
    name: str
    birth_date: date
    insz: str | None = None
    postal_code: PostalCode
    street: str | None = None
    sub_municipality: str | None = None
    email: str | None = None
    uitpas_number: str = Field(pattern=r"^\d{13}$")
    chip_number: str | None = None
    card_status: CardStatus = CardStatus.ACTIVE
    membership_blocked: bool = False
    points: int = Field(default=0, ge=0)
    status: StatusIn | None = None
    household_with: list[str] = []
    """Keys of other demo holders in the same household."""


class SyntheticHoldersIn(_Strict):
    count: int = Field(ge=0, le=100_000)
    seed: int
    with_status_share: float = Field(default=0.4, ge=0, le=1)
    target_group: str = "KANSENSTATUUT"


class ActivityHistoryIn(_Strict):
    """A synthetic past of sales and check-ins, which ``passengine demo`` generates after loading
    the region (``services.activity_history``); plain fixture loading leaves it out."""

    months: int = Field(default=12, ge=1, le=MAX_MONTHS)
    seed: int
    status_participation: float = Field(default=0.35, ge=0, le=1)
    other_participation: float = Field(default=0.08, ge=0, le=1)
    sale_share: float = Field(default=0.85, ge=0, le=1)
    checkin_share: float = Field(default=0.6, ge=0, le=1)
    max_events_per_organizer: int = Field(default=2, ge=1, le=31)
    sales_per_month: int | None = Field(default=None, ge=0, le=10_000_000)

    def to_spec(self) -> HistorySpec:
        return HistorySpec(**self.model_dump())


class CardStockIn(_Strict):
    count: int = Field(ge=0, le=100_000)
    seed: int
    status: Literal[CardStatus.PROVISIONED, CardStatus.LOCAL_STOCK] = CardStatus.LOCAL_STOCK


RewardCategory = Literal["Eten en drinken", "Doen", "Gadget of item", "Goede doel"]
"""The categories of the UiTPAS API 4.0 spec."""


class RewardIn(_Strict):
    """A reward of the region. ``organizers`` name the region's organizers whose desks hand it
    out (none: every desk); ``regions`` other regions whose members may redeem it."""

    id: Id
    title: str = Field(min_length=1, max_length=300)
    type: Literal["POINTS", "WELCOME"]
    points: int = Field(default=0, ge=0)
    promotional_description: str = Field(min_length=1)
    categories: list[RewardCategory] = []
    all_regions: bool = False
    regions: list[int] = []
    organizers: list[Id] = []
    publication_starts_at: Moment = "-60d"
    publication_ends_at: Moment | None = None
    redeem_starts_at: Moment | None = None
    redeem_ends_at: Moment | None = None
    max_available_units: int | None = Field(default=None, ge=0)
    holder_limit: LimitIn | None = None

    @model_validator(mode="after")
    def _points_match_type(self) -> RewardIn:
        if self.type == "WELCOME" and self.points:
            raise ValueError("a WELCOME reward costs no points")
        if self.type == "POINTS" and self.points < 1:
            raise ValueError("a POINTS reward costs at least 1 point")
        return self


class RegionFile(_Strict):
    region: RegionIn
    municipalities: list[MunicipalityIn] = Field(min_length=1)
    target_groups: list[TargetGroupIn] = Field(min_length=1)
    grounds: list[GroundIn] = []
    organizers: list[OrganizerIn] = []
    desks: list[DeskIn] = []
    referrers: list[ReferrerIn] = []
    events: list[EventIn] = []
    group_passes: list[GroupPassIn] = []
    api_clients: list[ApiClientIn] = []
    demo_holders: list[DemoHolderIn] = []
    rewards: list[RewardIn] = []
    synthetic_holders: SyntheticHoldersIn | None = None
    card_stock: CardStockIn | None = None
    activity_history: ActivityHistoryIn | None = None
    source: Path | None = Field(default=None, exclude=True)
    """The file this was read from (set by the reader, not by the file)."""

    @model_validator(mode="after")
    def _references_resolve(self) -> RegionFile:
        organizers = {o.id for o in self.organizers}
        desks = {d.id for d in self.desks}
        referrers = {r.id for r in self.referrers}
        groups = {g.code for g in self.target_groups}
        grounds = {g.code for g in self.grounds}
        holders = {h.key for h in self.demo_holders}
        problems: list[str] = []
        problems += [
            f"desk {d.id}: unknown organizer {d.organizer_id}"
            for d in self.desks
            if d.organizer_id not in organizers
        ]
        problems += [
            f"event {e.id}: unknown organizer {e.organizer_id}"
            for e in self.events
            if e.organizer_id not in organizers
        ]
        for c in self.api_clients:
            if c.organizer_id and c.organizer_id not in organizers:
                problems.append(f"api client {c.client_id}: unknown organizer {c.organizer_id}")
            if c.desk_id and c.desk_id not in desks:
                problems.append(f"api client {c.client_id}: unknown desk {c.desk_id}")
            if c.referrer_id and c.referrer_id not in referrers:
                problems.append(f"api client {c.client_id}: unknown referrer {c.referrer_id}")
        for h in self.demo_holders:
            if h.status and h.status.target_group not in groups:
                problems.append(f"holder {h.key}: unknown target group {h.status.target_group}")
            if h.status and h.status.ground and h.status.ground not in grounds:
                problems.append(f"holder {h.key}: unknown ground {h.status.ground}")
            problems += [
                f"holder {h.key}: unknown household member {k}"
                for k in h.household_with
                if k not in holders
            ]
        for w in self.rewards:
            problems += [
                f"reward {w.id}: unknown organizer {o}" for o in w.organizers if o not in organizers
            ]
        if self.synthetic_holders and self.synthetic_holders.target_group not in groups:
            problems.append(
                f"synthetic holders: unknown target group {self.synthetic_holders.target_group}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def resolve_date(value: str, *, today: date) -> date:
    match = _RELATIVE.match(value.strip())
    if match:
        return today + timedelta(days=int(match["days"]))
    return date.fromisoformat(value)


def resolve_instant(value: str, *, today: date, tz: ZoneInfo) -> datetime:
    """A relative moment is a wall-clock time in the region's zone on a day relative to today."""
    match = _RELATIVE.match(value.strip())
    if match:
        day = today + timedelta(days=int(match["days"]))
        wall = time(int(match["hh"] or 0), int(match["mm"] or 0))
        return datetime.combine(day, wall, tzinfo=tz)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment
