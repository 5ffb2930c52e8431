"""Loading the facts of a quote from storage (the shell around ``domain.tariffs.quote``).

A handful of indexed statements per quote: the card with its holder and membership, the
holder's statuses, the event with its organizer's regions, the region's current configuration
version, the holder's recent sales and, only when the region budgets that municipality, the
budget counter. Configurations are parsed once per (region, version) and cached: a new version
in the database invalidates the cache by its number.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.domain.errors import NotFound
from passengine.domain.identifiers import validate_card_number
from passengine.domain.model import CardStatus, MembershipStatus
from passengine.domain.rules import TariffConfig
from passengine.domain.tariffs import (
    EventFacts,
    GroupPassFacts,
    HolderFacts,
    Quote,
    QuoteRequest,
    StaticQuote,
    UsageFacts,
    quote,
    static_quote,
)
from passengine.services.tariff_config import parse_tariff_config
from passengine.storage import tables as t
from passengine.storage.repositories import EventRepository, PassRepository, TariffConfigRepository

_cache_lock = threading.Lock()
_config_cache: dict[tuple[int, int], TariffConfig] = {}
EMPTY_CONFIG_VERSION = 0


def tariff_config(session: Session, region_id: int) -> TariffConfig:
    """The region's current configuration (an empty one if it has none: no reduced rates)."""
    version = session.scalar(
        select(func.max(t.TariffConfigRow.version)).where(t.TariffConfigRow.region_id == region_id)
    )
    if version is None:
        return TariffConfig(region_id=region_id, version=EMPTY_CONFIG_VERSION, rules=(), keys={})
    cached = _config_cache.get((region_id, version))
    if cached is not None:
        return cached
    document = TariffConfigRepository(session).version(region_id, version)
    assert document is not None
    config, _ = parse_tariff_config(document, region_id=region_id, version=version)
    with _cache_lock:
        _config_cache[(region_id, version)] = config
    return config


@dataclass(frozen=True, slots=True)
class PricedPass:
    """Who is buying: a holder's card or a group pass, with what the engine needs to know."""

    uitpas_number: str
    region_id: int
    tz: ZoneInfo
    holder_id: str | None
    group_pass_id: str | None
    nis_code: str
    """The municipality charged (where the holder lives; the group pass's municipality)."""
    request: QuoteRequest


@dataclass(frozen=True, slots=True)
class PricedQuote:
    priced: PricedPass
    config: TariffConfig
    quote: Quote


def event_facts(session: Session, event_id: str) -> EventFacts:
    facts = EventRepository(session).tariff_facts(event_id)
    if facts is None:
        raise NotFound(f"No event with id {event_id}.", code="event-not-found")
    return facts


def price(
    session: Session,
    *,
    uitpas_number: str,
    event_id: str,
    regular_price_cents: int,
    at: datetime,
    event: EventFacts | None = None,
) -> PricedQuote:
    """Quote a ticket for the holder of this card at this event, with all facts loaded."""
    number = validate_card_number(uitpas_number)
    if event is None or event.id != event_id:
        event = event_facts(session, event_id)
    record = PassRepository(session).by_uitpas_number(number)
    if record is None:
        priced = _group_pass_facts(session, number, event, regular_price_cents, at=at)
        config = tariff_config(session, priced.region_id)
        return PricedQuote(priced, config, quote(priced.request, config, at=at, tz=priced.tz))
    if record.card_status not in (CardStatus.ACTIVE, CardStatus.BLOCKED):
        raise NotFound(f"No active pass with number {number}.", code="pass-not-found")
    tz = ZoneInfo(record.timezone)
    config = tariff_config(session, record.region_id)
    birth_date = None
    if any(
        r.conditions.min_age is not None or r.conditions.max_age is not None for r in config.rules
    ):
        # Only read when a rule needs it: the birth date is personal data a scan rarely needs.
        birth_date = session.scalar(
            select(t.PassHolder.birth_date).where(t.PassHolder.id == record.holder_id)
        )
    holder = HolderFacts(
        region_id=record.region_id,
        nis_code=record.nis_code,
        statuses=tuple(h.status for h in record.statuses),
        birth_date=birth_date,
        card_blocked=record.card_status is CardStatus.BLOCKED,
        membership_blocked=record.membership_status is MembershipStatus.BLOCKED,
    )
    usage = _holder_usage(
        session,
        record.holder_id,
        event,
        record.region_id,
        record.nis_code,
        at=at,
        tz=tz,
        budgeted=record.nis_code in config.budgets,
    )
    priced = PricedPass(
        uitpas_number=number,
        region_id=record.region_id,
        tz=tz,
        holder_id=record.holder_id,
        group_pass_id=None,
        nis_code=record.nis_code,
        request=QuoteRequest(event, regular_price_cents, holder=holder, usage=usage),
    )
    return PricedQuote(priced, config, quote(priced.request, config, at=at, tz=tz))


def _group_pass_facts(
    session: Session, number: str, event: EventFacts, regular_price_cents: int, *, at: datetime
) -> PricedPass:
    group = session.scalars(
        select(t.GroupPass).where(t.GroupPass.uitpas_number == number)
    ).one_or_none()
    if group is None:
        raise NotFound(f"No pass with number {number}.", code="pass-not-found")
    target = session.get(t.TargetGroup, group.target_group_id) if group.target_group_id else None
    nis = session.scalar(
        select(t.RegionMunicipality.nis_code)
        .where(t.RegionMunicipality.region_id == group.region_id)
        .order_by(t.RegionMunicipality.joined_on, t.RegionMunicipality.nis_code)
        .limit(1)
    )
    nis_code = nis or event.organizer_nis_code
    since = at - timedelta(days=400)
    sales = tuple(
        session.scalars(
            select(t.TicketSale.created_at).where(
                t.TicketSale.group_pass_id == group.id,
                t.TicketSale.cancelled_at.is_(None),
                t.TicketSale.created_at >= since,
            )
        )
    )
    return PricedPass(
        uitpas_number=number,
        region_id=group.region_id,
        tz=_zone(session, group.region_id),
        holder_id=None,
        group_pass_id=group.id,
        nis_code=nis_code,
        request=QuoteRequest(
            event,
            regular_price_cents,
            group_pass=GroupPassFacts(
                region_id=group.region_id,
                nis_code=nis_code,
                tickets_per_year=group.tickets_per_year,
                target_group=target.code if target else None,
                blocked=group.status is MembershipStatus.BLOCKED,
            ),
            usage=UsageFacts(group_pass_sales=sales),
        ),
    )


def _zone(session: Session, region_id: int) -> ZoneInfo:
    name = session.scalar(select(t.Region.timezone).where(t.Region.id == region_id))
    return ZoneInfo(name or "Europe/Brussels")


def _holder_usage(
    session: Session,
    holder_id: str,
    event: EventFacts,
    region_id: int,
    nis_code: str,
    *,
    at: datetime,
    tz: ZoneInfo,
    budgeted: bool,
) -> UsageFacts:
    """The holder's non-cancelled sales at this event (ever) and everywhere in the last 400 days:
    enough for every period a limit or cap can use (the core picks what is in its period)."""
    since = at - timedelta(days=400)
    rows = session.execute(
        select(
            t.TicketSale.created_at,
            t.TicketSale.event_id,
            t.TicketSale.organizer_id,
            t.TicketSale.holder_cents,
            t.TicketSale.regular_price_cents,
            t.TicketSale.reimbursement_kind,
        ).where(
            t.TicketSale.holder_id == holder_id,
            t.TicketSale.cancelled_at.is_(None),
            (t.TicketSale.event_id == event.id) | (t.TicketSale.created_at >= since),
        )
    ).all()
    reimbursements: dict[str, list[tuple[datetime, int]]] = {}
    for created, _, _, holder_cents, regular, kind in rows:
        if kind:
            reimbursements.setdefault(kind, []).append((created, regular - holder_cents))
    consumed = None
    if budgeted:
        consumed = session.scalar(
            select(t.BudgetUsage.consumed_cents).where(
                t.BudgetUsage.region_id == region_id,
                t.BudgetUsage.nis_code == nis_code,
                t.BudgetUsage.year == at.astimezone(tz).year,
            )
        )
    return UsageFacts(
        event_sales=tuple(r[0] for r in rows if r[1] == event.id),
        organizer_sales=tuple(r[0] for r in rows if r[2] == event.organizer_id),
        holder_contributions=tuple((r[0], r[3]) for r in rows),
        reimbursements={k: tuple(v) for k, v in reimbursements.items()},
        municipality_consumed_cents=consumed or 0,
    )


def static_price(
    session: Session, *, event_id: str, regular_price_cents: int, region_ids: frozenset[int]
) -> StaticQuote:
    """The reduced price for an event in the first of the caller's regions that has one."""
    event = event_facts(session, event_id)
    empty = StaticQuote(regular_price_cents, (), ())
    for region_id in sorted(event.region_ids & region_ids) or sorted(event.region_ids):
        result = static_quote(event, regular_price_cents, tariff_config(session, region_id))
        if result.tariffs:
            return result
        empty = result
    return empty
