"""Reads of the network's catalogue for the UiTPAS profile: card systems, organizers, event
settings (and their update), group passes, the caller's permissions, and the export of the cards
that carry an active social tariff.

Who sees what. Card systems are public: any authenticated caller reads them all. Organizers and
events are the network's public partners and activities: an id outside the caller's scope answers
403, not 404, because hiding that a cultuurcentrum exists protects nobody and a 403 tells the
integrator that the problem is a permission. Group passes belong to organisations that work with
people in poverty: outside the caller's regions they answer 404, as if they did not exist. A desk
(a token with an organizer) acts for its own organizer; other clients for the organizers of their
regions (``sales.authorize_organizer``, the one rule of the point of sale).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from passengine.domain.checkins import (
    DEFAULT_DATED_CHECKIN_LIMIT,
    DEFAULT_PERMANENT_CHECKIN_LIMIT,
)
from passengine.domain.errors import InvalidInput, NotFound
from passengine.domain.identifiers import normalise_chip_number, validate_card_number
from passengine.domain.model import (
    BRUSSELS,
    CalendarType,
    CardStatus,
    MembershipStatus,
    Period,
    PeriodLimit,
    SocialTariffState,
    SocialTariffStatus,
)
from passengine.domain.statuses import status_on
from passengine.domain.tariffs import DEFAULT_PERMANENT_TICKET_LIMIT, DEFAULT_TICKET_LIMIT
from passengine.services.audit import record
from passengine.services.auth import Forbidden, Principal
from passengine.services.passes import RegionView
from passengine.services.sales import authorize_organizer
from passengine.storage import tables as t

# The spec's Permission enum. Our own permissions (REGION_ADMIN, AUDIT_READ) are not in it, so
# GET /permissions leaves them out: a UiTPAS client validates the list against this enum.
# fmt: off
SPEC_PERMISSIONS = frozenset((
    "TARIFFS_READ", "TICKETSALES_SEARCH", "TICKETSALES_REGISTER", "EVENTS_UPDATE", "EVENTS_READ",
    "EVENT_SETTINGS_READ", "EVENT_SETTINGS_UPDATE", "EVENTS_UPDATE_ALL", "EVENTS_READ_ALL",
    "EVENT_SETTINGS_READ_ALL", "EVENT_SETTINGS_UPDATE_ALL", "EVENTS_QR_CHECKINCODE",
    "CHECKINS_READ", "CHECKINS_WRITE", "ORGANIZERS_SEARCH", "ORGANIZERS_REPORTS",
    "ORGANIZERS_ADMINS_READ", "ORGANIZERS_ADMINS_WRITE", "PASSHOLDERS_PICTURE_READ",
    "PASSHOLDERS_PICTURE_WRITE", "PASSHOLDERS_PRIVATE_READ", "PASSHOLDERS_PRIVATE_WRITE",
    "PASSHOLDERS_SEARCH", "PASSHOLDERS_SEARCH_ALL", "PASSHOLDERS_SEARCH_BY_ID",
    "GROUPPASSES_SEARCH", "PASSHOLDERS_WRITE", "PASSHOLDERS_WRITE_SOCIALTARIFF_FULL_CARDSYSTEM",
    "PASSHOLDERS_WRITE_FOREIGN_COUNTRY", "PASSHOLDERS_WRITE_SOCIALTARIFF", "PASSHOLDERS_UPDATE",
    "PASSHOLDERS_DELETE", "PASSHOLDER_COUPONS_READ", "GROUPPASS_COUPONS_READ",
    "MEMBERSHIP_PRICES_READ", "PASSES_READ", "PASSES_INSZNUMBERS_READ", "PASSES_CHIPNUMBERS_READ",
    "REWARDS_WRITE", "REWARDS_READ", "REWARDS_REDEEM", "REWARDS_PASSHOLDERS_READ",
    "PASSHOLDERS_SELF_REGISTRATION", "PASSHOLDERS_SELF_CHECKIN", "PASSHOLDERS_SELF_READ",
    "PASSHOLDERS_REGISTER_UITID", "PASSHOLDERS_TRANSACTION_HISTORY", "PASSHOLDERS_FAMILY_MEMBERS",
    "ORDERS_READ", "ORDERS_CREATE", "PERMISSIONS_READ", "PERMISSIONS_WRITE", "CARDS_READ",
    "ASSOCIATIONS", "SOCIALTARIFF_EXPORT", "KIOSKS_READ", "KIOSKS_WRITE",
))
# fmt: on

# Labels a desk application can show; the spec's label is optional, so others go without.
PERMISSION_LABELS: dict[str, dict[str, str]] = {
    "TARIFFS_READ": {"nl": "Tarieven opvragen", "en": "Read tariffs"},
    "TICKETSALES_SEARCH": {"nl": "Ticketverkopen zoeken", "en": "Search ticket sales"},
    "TICKETSALES_REGISTER": {"nl": "Ticketverkopen registreren", "en": "Register ticket sales"},
    "EVENTS_READ": {"nl": "Activiteiten bekijken", "en": "Read events"},
    "EVENT_SETTINGS_READ": {"nl": "Instellingen activiteit bekijken", "en": "Read event settings"},
    "EVENT_SETTINGS_UPDATE": {
        "nl": "Instellingen activiteit wijzigen",
        "en": "Edit event settings",
    },
    "CHECKINS_READ": {"nl": "Check-ins bekijken", "en": "Read check-ins"},
    "CHECKINS_WRITE": {"nl": "Punten sparen", "en": "Collect points"},
    "ORGANIZERS_SEARCH": {"nl": "Organisatoren zoeken", "en": "Search organizers"},
    "ORGANIZERS_REPORTS": {"nl": "Financiële rapporten", "en": "Financial reports"},
    "PASSHOLDERS_SEARCH": {"nl": "Pashouders zoeken", "en": "Search passholders"},
    "PASSHOLDERS_WRITE": {"nl": "Pashouders registreren", "en": "Register passholders"},
    "PASSHOLDERS_WRITE_SOCIALTARIFF": {
        "nl": "Kansenstatuut toekennen",
        "en": "Grant the social tariff",
    },
    "PASSHOLDERS_UPDATE": {"nl": "Pashouders wijzigen", "en": "Update passholders"},
    "GROUPPASSES_SEARCH": {"nl": "Groepspassen zoeken", "en": "Search group passes"},
    "PASSES_READ": {"nl": "Passen opzoeken", "en": "Look up passes"},
    "PASSES_INSZNUMBERS_READ": {
        "nl": "Passen opzoeken op rijksregisternummer",
        "en": "Look up passes by INSZ number",
    },
    "PASSES_CHIPNUMBERS_READ": {
        "nl": "Passen opzoeken op chipnummer",
        "en": "Look up passes by chip number",
    },
    "REWARDS_READ": {"nl": "Voordelen bekijken", "en": "Read rewards"},
    "REWARDS_WRITE": {"nl": "Voordelen beheren", "en": "Manage rewards"},
    "REWARDS_REDEEM": {"nl": "Voordelen omruilen", "en": "Redeem rewards"},
    "CARDS_READ": {"nl": "Kaarten bekijken", "en": "Read cards"},
    "SOCIALTARIFF_EXPORT": {
        "nl": "Kaarten met kansentarief exporteren",
        "en": "Export social-tariff cards",
    },
}


@dataclass(frozen=True, slots=True, order=True)
class City:
    postal_code: str
    name: str
    """The municipality's name (what UiTPAS calls the city)."""
    place_name: str
    """The post's name for the postal code (Buizingen for 1501 Halle); the city filter uses it
    too."""


@dataclass(frozen=True, slots=True)
class CardSystemView:
    region: RegionView
    cities: tuple[City, ...]
    tz: ZoneInfo
    permanent: bool = True
    """Every region here is a permanent card system; UiTPAS's temporary ones (a festival pass)
    do not exist in passengine."""


@dataclass(frozen=True, slots=True)
class OrganizerView:
    id: str
    name: str
    street: str | None
    postal_code: str | None
    city: str
    card_systems: tuple[CardSystemView, ...] = ()


@dataclass(frozen=True, slots=True)
class EventSettingsView:
    id: str
    checkin_points: int
    ticket_limit: PeriodLimit
    checkin_limit: PeriodLimit


@dataclass(frozen=True, slots=True)
class GroupPassView:
    id: str
    name: str
    uitpas_number: str
    card_status: str  # ACTIVE or BLOCKED
    social_tariff: bool
    """True when the group pass is tied to a target group (it buys at the reduced rate)."""
    tickets_per_year: int
    available_tickets: int
    card_system: CardSystemView


@dataclass(frozen=True, slots=True)
class PermissionDetail:
    id: str
    label: dict[str, str] | None
    card_system_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OrganizerPermissions:
    organizer: OrganizerView
    permissions: tuple[str, ...]
    details: tuple[PermissionDetail, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class SocialTariffCard:
    uitpas_number: str
    card_type: str  # REGULAR or GROUP
    available_tickets: int | None = None


# --- Card systems ---------------------------------------------------------------------------------


def _card_systems(
    session: Session, region_ids: Iterable[int] | None, *, at: datetime
) -> dict[int, CardSystemView]:
    """Regions with the postal codes of the municipalities taking part on the region's today:
    a municipality that joins on 1 January is listed from that day, not before."""
    query = select(t.Region).order_by(t.Region.id)
    if region_ids is not None:
        query = query.where(t.Region.id.in_(sorted(set(region_ids))))
    regions = session.scalars(query).all()
    if not regions:
        return {}
    rows = session.execute(
        select(
            t.RegionMunicipality.region_id,
            t.RegionMunicipality.joined_on,
            t.RegionMunicipality.left_on,
            t.PostalCode.postal_code,
            t.Municipality.name,
            t.PostalCode.place_name,
        )
        .join(t.Municipality, t.Municipality.nis_code == t.RegionMunicipality.nis_code)
        .join(t.PostalCode, t.PostalCode.nis_code == t.RegionMunicipality.nis_code)
        .where(t.RegionMunicipality.region_id.in_([r.id for r in regions]))
    ).all()
    zones = {r.id: ZoneInfo(r.timezone or BRUSSELS) for r in regions}
    today = {r.id: at.astimezone(zones[r.id]).date() for r in regions}
    cities: dict[int, set[City]] = defaultdict(set)
    for region_id, joined_on, left_on, postal_code, name, place in rows:
        day = today[region_id]
        if joined_on <= day and (left_on is None or day < left_on):
            cities[region_id].add(City(postal_code, name, place))
    return {
        r.id: CardSystemView(
            region=RegionView(r.id, r.name, r.primary_color, r.secondary_color, r.website),
            cities=tuple(sorted(cities[r.id])),
            tz=zones[r.id],
        )
        for r in regions
    }


def _check_postal_code(code: str) -> str:
    code = code.strip()
    if len(code) != 4 or not code.isascii() or not code.isdigit():
        raise InvalidInput(
            f"{code!r} is not a Belgian postal code (4 digits).", code="invalid-postal-code"
        )
    return code


def list_card_systems(
    session: Session,
    *,
    at: datetime,
    permanent: bool = True,
    cities: Sequence[str] = (),
    postal_codes: Sequence[str] = (),
    start: int = 0,
    limit: int = 20,
) -> tuple[int, list[CardSystemView]]:
    """Card systems, filtered in memory: a network has tens of regions, not thousands. Several
    values of one filter mean any of them; different filters must all match."""
    wanted_codes = {_check_postal_code(c) for c in postal_codes}
    wanted_cities = {c.strip().casefold() for c in cities if c.strip()}
    with session.begin():
        systems = list(_card_systems(session, None, at=at).values())
    systems = [s for s in systems if s.permanent is permanent]
    if wanted_cities:
        systems = [
            s
            for s in systems
            if any(
                c.name.casefold() in wanted_cities or c.place_name.casefold() in wanted_cities
                for c in s.cities
            )
        ]
    if wanted_codes:
        systems = [s for s in systems if any(c.postal_code in wanted_codes for c in s.cities)]
    return len(systems), systems[start : start + limit]


def _region_id(value: str) -> int | None:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


def get_card_system(session: Session, card_system_id: str, *, at: datetime) -> CardSystemView:
    region_id = _region_id(card_system_id)
    with session.begin():
        found = _card_systems(session, [region_id], at=at) if region_id is not None else {}
    if region_id is None or region_id not in found:
        raise NotFound(f"No card system {card_system_id}.", code="cardsystem-not-found")
    return found[region_id]


# --- Organizers -----------------------------------------------------------------------------------


def _organizer_regions(session: Session, organizer_ids: Iterable[str]) -> dict[str, set[int]]:
    regions: dict[str, set[int]] = defaultdict(set)
    for organizer_id, region_id in session.execute(
        select(t.OrganizerRegion.organizer_id, t.OrganizerRegion.region_id).where(
            t.OrganizerRegion.organizer_id.in_(sorted(set(organizer_ids)))
        )
    ):
        regions[organizer_id].add(region_id)
    return regions


def _organizers_in_scope(
    query: Select[t.Organizer, str], principal: Principal
) -> Select[t.Organizer, str]:
    if principal.organizer_id is not None:
        return query.where(t.Organizer.id == principal.organizer_id)
    return query.where(
        t.Organizer.id.in_(
            select(t.OrganizerRegion.organizer_id).where(
                t.OrganizerRegion.region_id.in_(sorted(principal.region_ids))
            )
        )
    )


def _organizer_query() -> Select[t.Organizer, str]:
    return select(t.Organizer, t.Municipality.name).join(
        t.Municipality, t.Municipality.nis_code == t.Organizer.nis_code
    )


def _organizer_views(
    session: Session,
    rows: Sequence[tuple[t.Organizer, str]],
    *,
    at: datetime | None,
) -> list[OrganizerView]:
    """With their card systems as of ``at``; without them when ``at`` is None."""
    systems: dict[int, CardSystemView] = {}
    regions: dict[str, set[int]] = {}
    if at is not None and rows:
        regions = _organizer_regions(session, (o.id for o, _ in rows))
        systems = _card_systems(session, {r for rs in regions.values() for r in rs}, at=at)
    return [
        OrganizerView(
            id=o.id,
            name=o.name,
            street=o.street,
            postal_code=o.postal_code,
            city=city,
            card_systems=tuple(systems[r] for r in sorted(regions.get(o.id, ())) if r in systems),
        )
        for o, city in rows
    ]


def _like_pattern(name: str) -> str:
    """``*`` is the spec's wildcard; SQL's own wildcards in a name are matched literally."""
    escaped = name.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def list_organizers(
    session: Session,
    *,
    principal: Principal,
    at: datetime,
    name: str | None = None,
    card_system_id: int | None = None,
    descending: bool = False,
    start: int = 0,
    limit: int = 20,
) -> tuple[int, list[OrganizerView]]:
    """The organizers the caller may act for that match; an unknown card system is a bad
    request (the spec's 400 ``cardsystem-not-found``), one outside the scope gives no results."""
    principal.require("ORGANIZERS_SEARCH")
    with session.begin():
        query = _organizers_in_scope(_organizer_query(), principal)
        if card_system_id is not None:
            if session.get(t.Region, card_system_id) is None:
                raise InvalidInput(f"No card system {card_system_id}.", code="cardsystem-not-found")
            query = query.where(
                t.Organizer.id.in_(
                    select(t.OrganizerRegion.organizer_id).where(
                        t.OrganizerRegion.region_id == card_system_id
                    )
                )
            )
        if name and name.strip():
            query = query.where(func.lower(t.Organizer.name).like(_like_pattern(name), escape="\\"))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        order = t.Organizer.name.desc() if descending else t.Organizer.name.asc()
        rows = session.execute(query.order_by(order, t.Organizer.id).offset(start).limit(limit))
        views = _organizer_views(session, [(o, city) for o, city in rows], at=at)
    return total, views


def get_organizer(
    session: Session, organizer_id: str, *, principal: Principal, at: datetime
) -> OrganizerView:
    """404 ``organizer-not-found`` for an unknown id, 403 for one outside the caller's scope."""
    principal.require("ORGANIZERS_SEARCH")
    with session.begin():
        row = session.execute(
            _organizer_query().where(t.Organizer.id == organizer_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"No organizer {organizer_id}.", code="organizer-not-found")
        organizer, city = row
        regions = _organizer_regions(session, [organizer.id]).get(organizer.id, set())
        authorize_organizer(principal, organizer.id, frozenset(regions))
        [view] = _organizer_views(session, [(organizer, city)], at=at)
    return view


# --- Event settings -------------------------------------------------------------------------------


def _event(session: Session, event_id: str) -> tuple[t.Event, frozenset[int]]:
    event = session.get(t.Event, event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id}.", code="event-not-found")
    regions = _organizer_regions(session, [event.organizer_id]).get(event.organizer_id, set())
    return event, frozenset(regions)


def _settings(event: t.Event) -> EventSettingsView:
    """The limits that apply: the event's own, else the defaults of the field (domain.md), which
    are the ones the tariff engine and the check-in decision fall back to."""
    permanent = event.calendar_type is CalendarType.PERMANENT
    if event.ticket_limit_volume is not None and event.ticket_limit_period is not None:
        tickets = PeriodLimit(event.ticket_limit_volume, event.ticket_limit_period)
    else:
        tickets = DEFAULT_PERMANENT_TICKET_LIMIT if permanent else DEFAULT_TICKET_LIMIT
    if event.checkin_limit_volume is not None and event.checkin_limit_period is not None:
        checkins = PeriodLimit(event.checkin_limit_volume, event.checkin_limit_period)
    else:
        checkins = DEFAULT_PERMANENT_CHECKIN_LIMIT if permanent else DEFAULT_DATED_CHECKIN_LIMIT
    return EventSettingsView(event.id, event.checkin_points, tickets, checkins)


def event_settings(session: Session, event_id: str, *, principal: Principal) -> EventSettingsView:
    principal.require("EVENT_SETTINGS_READ")
    with session.begin():
        event, regions = _event(session, event_id)
        authorize_organizer(principal, event.organizer_id, regions)
        return _settings(event)


def _authorize_settings_update(
    principal: Principal, organizer_id: str, organizer_regions: frozenset[int]
) -> None:
    """Stricter than reading: the event's own organizer, or the staff of a region it takes part
    in. A referrer or another client of the region may not change what desks enforce."""
    if principal.organizer_id is not None:
        if principal.organizer_id != organizer_id:
            raise Forbidden("Only the event's organizer or its region may change its settings.")
    elif not (principal.has("REGION_ADMIN") and principal.region_ids & organizer_regions):
        raise Forbidden("Only the event's organizer or its region may change its settings.")


def _limit_json(volume: int | None, period: Period | None) -> dict[str, Any] | None:
    return None if volume is None or period is None else {"volume": volume, "period": period.value}


def _raw(event: t.Event) -> dict[str, Any]:
    """The stored settings for the audit row; a limit of None means the default applies."""
    return {
        "checkin_points": event.checkin_points,
        "ticket_limit": _limit_json(event.ticket_limit_volume, event.ticket_limit_period),
        "checkin_limit": _limit_json(event.checkin_limit_volume, event.checkin_limit_period),
    }


def update_event_settings(
    session: Session,
    event_id: str,
    *,
    principal: Principal,
    checkin_points: int,
    ticket_limit: PeriodLimit | None,
    checkin_limit: PeriodLimit | None,
) -> None:
    """Replace the settings (PUT semantics): a limit left out falls back to the default again.
    The audit row keeps the values before and after, in the same transaction."""
    principal.require("EVENT_SETTINGS_UPDATE")
    if checkin_points < 0:
        raise InvalidInput("checkinPoints cannot be negative.", code="invalid-data")
    with session.begin():
        event, regions = _event(session, event_id)
        _authorize_settings_update(principal, event.organizer_id, regions)
        before = _raw(event)
        event.checkin_points = checkin_points
        event.ticket_limit_volume = ticket_limit.volume if ticket_limit else None
        event.ticket_limit_period = ticket_limit.period if ticket_limit else None
        event.checkin_limit_volume = checkin_limit.volume if checkin_limit else None
        event.checkin_limit_period = checkin_limit.period if checkin_limit else None
        session.flush()
        record(
            session,
            principal.actor,
            "event.settings.updated",
            subject=f"event:{event.id}",
            details={"before": before, "after": _raw(event)},
        )


# --- Group passes ---------------------------------------------------------------------------------


def _year_bounds(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    year = at.astimezone(tz).year
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def _group_views(
    session: Session, groups: Sequence[t.GroupPass], *, at: datetime
) -> list[GroupPassView]:
    """Remaining tickets: the yearly allowance minus this calendar year's sales (not cancelled)
    in the region's time zone, the same count the tariff engine applies at the desk."""
    if not groups:
        return []
    systems = _card_systems(session, {g.region_id for g in groups}, at=at)
    used: dict[str, int] = {}
    by_zone: dict[str, list[str]] = defaultdict(list)
    for g in groups:
        by_zone[systems[g.region_id].tz.key].append(g.id)
    for zone, ids in by_zone.items():
        begin, end = _year_bounds(at, ZoneInfo(zone))
        for group_id, count in session.execute(
            select(t.TicketSale.group_pass_id, func.count())
            .where(
                t.TicketSale.group_pass_id.in_(ids),
                t.TicketSale.cancelled_at.is_(None),
                t.TicketSale.created_at >= begin,
                t.TicketSale.created_at < end,
            )
            .group_by(t.TicketSale.group_pass_id)
        ):
            if group_id is not None:
                used[group_id] = count
    return [
        GroupPassView(
            id=g.id,
            name=g.name,
            uitpas_number=g.uitpas_number,
            card_status="BLOCKED" if g.status is MembershipStatus.BLOCKED else "ACTIVE",
            social_tariff=g.target_group_id is not None,
            tickets_per_year=g.tickets_per_year,
            available_tickets=max(0, g.tickets_per_year - used.get(g.id, 0)),
            card_system=systems[g.region_id],
        )
        for g in groups
    ]


def search_group_passes(
    session: Session,
    *,
    principal: Principal,
    at: datetime,
    uitpas_number: str | None = None,
    chip_number: str | None = None,
    start: int = 0,
    limit: int = 20,
) -> tuple[int, list[GroupPassView]]:
    """By card or chip number, as the spec requires one of them; numbers are checked before the
    database. Group passes carry no chip of their own: a chip finds one only through a card row
    with the group pass's number."""
    principal.require("GROUPPASSES_SEARCH")
    if not uitpas_number and not chip_number:
        raise InvalidInput("Search by uitpasNumber or chipNumber.", code="invalid-data")
    number = validate_card_number(uitpas_number.strip()) if uitpas_number else None
    chip = normalise_chip_number(chip_number) if chip_number else None
    with session.begin():
        query = select(t.GroupPass).where(t.GroupPass.region_id.in_(sorted(principal.region_ids)))
        if number is not None:
            query = query.where(t.GroupPass.uitpas_number == number)
        if chip is not None:
            query = query.where(
                t.GroupPass.uitpas_number.in_(
                    select(t.Card.uitpas_number).where(t.Card.chip_number == chip)
                )
            )
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        groups = session.scalars(
            query.order_by(t.GroupPass.name, t.GroupPass.id).offset(start).limit(limit)
        ).all()
        return total, _group_views(session, groups, at=at)


def get_group_pass(
    session: Session, group_pass_id: str, *, principal: Principal, at: datetime
) -> GroupPassView:
    """404 ``passholder-not-found`` also for a group pass of another region (see the module)."""
    principal.require("GROUPPASSES_SEARCH")
    with session.begin():
        group = session.get(t.GroupPass, group_pass_id)
        if group is None or group.region_id not in principal.region_ids:
            raise NotFound(f"No group pass {group_pass_id}.", code="passholder-not-found")
        [view] = _group_views(session, [group], at=at)
    return view


# --- Permissions ----------------------------------------------------------------------------------


def caller_permissions(session: Session, *, principal: Principal) -> list[OrganizerPermissions]:
    """Per organizer the caller acts for (a desk: its own; region staff: every organizer of
    their regions; a referrer acts for no organizer), the token's permissions that the spec
    knows, valid in the card systems the caller and the organizer share."""
    if principal.organizer_id is None and not principal.has("REGION_ADMIN"):
        return []
    names = tuple(sorted(p for p in principal.permissions if p in SPEC_PERMISSIONS))
    with session.begin():
        query = _organizers_in_scope(_organizer_query(), principal)
        rows = session.execute(query.order_by(t.Organizer.name, t.Organizer.id)).all()
        organizers = [(o, city) for o, city in rows]
        regions = _organizer_regions(session, (o.id for o, _ in organizers))
        views = _organizer_views(session, organizers, at=None)
    result = []
    for view in views:
        shared = tuple(sorted(regions.get(view.id, set()) & principal.region_ids))
        details = tuple(PermissionDetail(n, PERMISSION_LABELS.get(n), shared) for n in names)
        result.append(OrganizerPermissions(view, names, details))
    return result


# --- Social-tariff cards --------------------------------------------------------------------------


def _active_holders(session: Session, region_id: int, today: date) -> set[str]:
    """Holders whose newest grant of some target group is ACTIVE today (the grace period
    included, a suspension not), through a membership of the region that is not blocked."""
    rows = session.execute(
        select(
            t.Membership.holder_id,
            t.SocialTariffStatusRow.target_group_id,
            t.SocialTariffStatusRow.start_date,
            t.SocialTariffStatusRow.end_date,
            t.SocialTariffStatusRow.grace_period_days,
            t.SocialTariffStatusRow.suspended_until,
            t.SocialTariffStatusRow.ended_on,
        )
        .join(t.Membership, t.Membership.id == t.SocialTariffStatusRow.membership_id)
        .join(t.PassHolder, t.PassHolder.id == t.Membership.holder_id)
        .where(
            t.Membership.region_id == region_id,
            t.Membership.status == MembershipStatus.ACTIVE,
            t.PassHolder.erased_at.is_(None),
        )
        .order_by(t.SocialTariffStatusRow.granted_at, t.SocialTariffStatusRow.id)
    ).all()
    newest: dict[tuple[str, int], SocialTariffStatus] = {}
    for holder_id, group_id, start, end, grace, suspended, ended in rows:
        newest[(holder_id, group_id)] = SocialTariffStatus(
            str(group_id), start, end, grace, suspended, ended
        )
    return {
        holder_id
        for (holder_id, _), status in newest.items()
        if status_on(status, today).state is SocialTariffState.ACTIVE
    }


def active_social_tariff_cards(
    session: Session, card_system_id: str, *, principal: Principal, at: datetime
) -> list[SocialTariffCard]:
    """The cards that get the reduced rate today in one region, for ticketing systems that work
    offline. Only card numbers leave: no names, grounds or INSZ numbers. Region staff only; an
    unknown region and another region both answer 403 (the spec has no 404 here). The export is
    audited: it lists everyone with a status in the region."""
    principal.require("REGION_ADMIN")
    region_id = _region_id(card_system_id)
    if region_id is None or region_id not in principal.region_ids:
        raise Forbidden("This card system is outside the client's regions.")
    with session.begin():
        region = session.get(t.Region, region_id)
        if region is None:
            raise Forbidden("This card system is outside the client's regions.")
        today = at.astimezone(ZoneInfo(region.timezone or BRUSSELS)).date()
        holders = _active_holders(session, region_id, today)
        numbers = sorted(
            number
            for number, holder_id in session.execute(
                select(t.Card.uitpas_number, t.Card.holder_id).where(
                    t.Card.region_id == region_id,
                    t.Card.status == CardStatus.ACTIVE,
                    t.Card.holder_id.is_not(None),
                )
            )
            if holder_id in holders
        )
        groups = session.scalars(
            select(t.GroupPass)
            .where(
                t.GroupPass.region_id == region_id,
                t.GroupPass.status == MembershipStatus.ACTIVE,
                t.GroupPass.target_group_id.is_not(None),
            )
            .order_by(t.GroupPass.uitpas_number)
        ).all()
        cards = [SocialTariffCard(n, "REGULAR") for n in numbers] + [
            SocialTariffCard(g.uitpas_number, "GROUP", g.available_tickets)
            for g in _group_views(session, groups, at=at)
        ]
        record(
            session,
            principal.actor,
            "cards.social_tariff.exported",
            subject=f"region:{region_id}",
            details={"regular": len(numbers), "group": len(groups)},
        )
    return cards
