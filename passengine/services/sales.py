"""Registering and cancelling reduced-rate ticket sales.

A batch is all or nothing. Each sale is priced again under the holder's lock, so two desks
selling the last reduced-rate ticket of a limit at the same moment sell it once; the sale stores
every share and the configuration version, and its audit row is written in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput, NotFound, PassEngineError
from passengine.domain.identifiers import validate_card_number
from passengine.domain.rules import Payer
from passengine.domain.tariffs import EventFacts, Quote
from passengine.services.audit import record
from passengine.services.auth import Forbidden, Principal
from passengine.services.pricing import event_facts, price
from passengine.storage import tables as t
from passengine.storage.locks import lock_budgets, lock_group_passes, lock_holders
from passengine.storage.repositories import PassRepository

MAX_BATCH = 100


class SaleRefused(InvalidInput):
    """No reduced rate for this ticket; ``code`` says why (the engine's outcome)."""

    code = "social-tariff-not-available"

    def __init__(self, message: str, *, code: str, end_user_message: dict[str, str]) -> None:
        super().__init__(message, code=code, end_user_message=end_user_message)


@dataclass(frozen=True, slots=True)
class SaleRequest:
    uitpas_number: str
    event_id: str
    regular_price_cents: int
    tariff_id: str
    regular_price_label: str | None = None


@dataclass(frozen=True, slots=True)
class SaleView:
    id: str
    created_at: datetime
    event_id: str
    event_title: str
    uitpas_number: str
    regular_price_cents: int
    regular_price_label: str | None
    tariff_id: str
    tariff_name: str
    tariff_type: str
    price_cents: int
    holder_id: str | None
    cancelled: bool = False


def authorize_organizer(
    principal: Principal, organizer_id: str, organizer_regions: frozenset[int]
) -> None:
    """A desk acts for its own organizer; a client without one, for organizers of its regions."""
    if principal.organizer_id is not None:
        if principal.organizer_id != organizer_id:
            raise Forbidden("This client cannot act for another organizer's events.")
    elif not principal.region_ids & organizer_regions:
        raise Forbidden("This organizer is outside the client's regions.")


def register_sales(
    session: Session, requests: Sequence[SaleRequest], *, principal: Principal, at: datetime
) -> list[SaleView]:
    """All or nothing, inside the caller's transaction (see ``idempotency.run_once``)."""
    principal.require("TICKETSALES_REGISTER")
    if not 1 <= len(requests) <= MAX_BATCH:
        raise InvalidInput(
            f"Register 1 to {MAX_BATCH} ticket sales at a time.", code="invalid-number-of-tickets"
        )
    numbers = [validate_card_number(r.uitpas_number) for r in requests]  # before the database
    events = {r.event_id: event_facts(session, r.event_id) for r in requests}
    for facts in events.values():
        authorize_organizer(principal, facts.organizer_id, facts.region_ids)
    _lock_buyers(session, numbers)
    return [
        _register_one(
            session, request, number, events[request.event_id], principal=principal, at=at
        )
        for request, number in zip(requests, numbers, strict=True)
    ]


def _lock_buyers(session: Session, numbers: list[str]) -> None:
    """Lock every holder or group pass of the batch, then the budget counters they draw on."""
    repository = PassRepository(session)
    holders, groups = [], []
    for number in numbers:
        found = repository.by_uitpas_number(number)
        if found is not None:
            holders.append(found.holder_id)
        else:
            group_id = session.scalar(
                select(t.GroupPass.id).where(t.GroupPass.uitpas_number == number)
            )
            if group_id is not None:
                groups.append(group_id)
    lock_holders(session, holders)
    lock_group_passes(session, groups)


def _register_one(
    session: Session,
    request: SaleRequest,
    number: str,
    event_facts_: EventFacts,
    *,
    principal: Principal,
    at: datetime,
) -> SaleView:
    priced = price(
        session,
        uitpas_number=number,
        event_id=request.event_id,
        regular_price_cents=request.regular_price_cents,
        at=at,
        event=event_facts_,
    )
    tariff = priced.quote.social_tariff
    if tariff is None:
        raise _refusal(priced.quote)
    if request.tariff_id != tariff.id:
        raise InvalidInput(
            f"Tariff {request.tariff_id!r} is not available for this ticket; "
            f"the available tariff is {tariff.id!r}.",
            code="invalid-tariff",
        )
    shares = tariff.shares
    nis = priced.priced.nis_code
    year = at.astimezone(priced.priced.tz).year
    budget = priced.config.budgets.get(nis)
    if budget is not None and shares[Payer.MUNICIPALITY] > 0:
        # Lock the counter, then price again: the budget check must see every earlier sale.
        lock_budgets(session, [(priced.priced.region_id, nis, year)])
        priced = price(
            session,
            uitpas_number=number,
            event_id=request.event_id,
            regular_price_cents=request.regular_price_cents,
            at=at,
        )
        tariff = priced.quote.social_tariff
        if tariff is None:
            raise _refusal(priced.quote)
        shares = tariff.shares
    rule = next(r for r in priced.config.rules if r.id == tariff.rule_id)
    event = session.get(t.Event, request.event_id)
    assert event is not None
    sale_id = str(uuid.uuid4())
    session.add(
        t.TicketSale(
            id=sale_id,
            created_at=at,
            event_id=event.id,
            organizer_id=event.organizer_id,
            region_id=priced.priced.region_id,
            holder_id=priced.priced.holder_id,
            group_pass_id=priced.priced.group_pass_id,
            uitpas_number=number,
            tariff_id=tariff.id,
            tariff_name=tariff.name,
            tariff_type=tariff.type,
            rule_id=tariff.rule_id,
            config_version=tariff.config_version,
            key_id=tariff.key_id,
            regular_price_cents=request.regular_price_cents,
            regular_price_label=request.regular_price_label,
            holder_cents=shares[Payer.HOLDER],
            organizer_cents=shares[Payer.ORGANIZER],
            municipality_cents=shares[Payer.MUNICIPALITY],
            region_cents=shares[Payer.REGION],
            municipality_nis_code=nis,
            holder_is_local=shares.local,
            reimbursement_kind=rule.reimbursement_kind,
            client_id=principal.client_id,
            desk_id=principal.desk_id,
        )
    )
    if budget is not None and shares[Payer.MUNICIPALITY] > 0:
        session.execute(
            update(t.BudgetUsage)
            .where(
                t.BudgetUsage.region_id == priced.priced.region_id,
                t.BudgetUsage.nis_code == nis,
                t.BudgetUsage.year == year,
            )
            .values(consumed_cents=t.BudgetUsage.consumed_cents + shares[Payer.MUNICIPALITY])
        )
    session.flush()
    record(
        session,
        principal.actor,
        "ticket_sale.registered",
        holder_id=priced.priced.holder_id,
        subject=f"ticket_sale:{sale_id}",
        details={
            "event_id": event.id,
            "tariff_id": tariff.id,
            "config_version": tariff.config_version,
        },
    )
    return SaleView(
        id=sale_id,
        created_at=at,
        event_id=event.id,
        event_title=event.title,
        uitpas_number=number,
        regular_price_cents=request.regular_price_cents,
        regular_price_label=request.regular_price_label,
        tariff_id=tariff.id,
        tariff_name=tariff.name,
        tariff_type=tariff.type,
        price_cents=tariff.price_cents,
        holder_id=priced.priced.holder_id,
    )


def _refusal(quote: Quote) -> PassEngineError:
    notice = quote.notices[0] if quote.notices else None
    code = notice.code if notice else "social-tariff-not-available"
    message = notice.message() if notice else {"nl": "Geen kansentarief voor dit ticket."}
    return SaleRefused(
        f"No reduced rate for this ticket: {message.get('en', message['nl'])}",
        code=code,
        end_user_message=message,
    )


def cancel_sale(session: Session, sale_id: str, *, principal: Principal, at: datetime) -> None:
    """Cancel (never delete) a sale: it stops counting for limits, caps, budgets and
    settlements. Cancelling twice is fine (a desk may retry)."""
    principal.require("TICKETSALES_REGISTER")
    sale = session.get(t.TicketSale, sale_id)
    if sale is None:
        raise NotFound(f"No ticket sale {sale_id}.", code="ticket-sale-not-found")
    regions = frozenset(
        session.scalars(
            select(t.OrganizerRegion.region_id).where(
                t.OrganizerRegion.organizer_id == sale.organizer_id
            )
        )
    )
    authorize_organizer(principal, sale.organizer_id, regions)
    if sale.cancelled_at is not None:
        return
    if sale.holder_id:
        lock_holders(session, [sale.holder_id])
    sale.cancelled_at = at
    sale.cancelled_by_client_id = principal.client_id
    sale.cancelled_by_desk_id = principal.desk_id
    if sale.municipality_cents:
        tz_name = session.scalar(select(t.Region.timezone).where(t.Region.id == sale.region_id))
        year = sale.created_at.astimezone(ZoneInfo(tz_name or "Europe/Brussels")).year
        session.execute(
            update(t.BudgetUsage)
            .where(
                t.BudgetUsage.region_id == sale.region_id,
                t.BudgetUsage.nis_code == sale.municipality_nis_code,
                t.BudgetUsage.year == year,
            )
            .values(consumed_cents=t.BudgetUsage.consumed_cents - sale.municipality_cents)
        )
    session.flush()
    record(
        session,
        principal.actor,
        "ticket_sale.cancelled",
        holder_id=sale.holder_id,
        subject=f"ticket_sale:{sale.id}",
    )


def list_sales(
    session: Session,
    *,
    principal: Principal,
    event_id: str | None = None,
    passholder_id: str | None = None,
    organizer_id: str | None = None,
    limit: int = 50,
    start: int = 0,
) -> tuple[int, list[SaleView]]:
    principal.require("TICKETSALES_SEARCH")
    query = select(t.TicketSale, t.Event.title).join(t.Event, t.Event.id == t.TicketSale.event_id)
    if principal.organizer_id is not None:
        query = query.where(t.TicketSale.organizer_id == principal.organizer_id)
    else:
        query = query.where(t.TicketSale.region_id.in_(principal.region_ids))
    if event_id:
        query = query.where(t.TicketSale.event_id == event_id)
    if passholder_id:
        query = query.where(t.TicketSale.holder_id == passholder_id)
    if organizer_id:
        query = query.where(t.TicketSale.organizer_id == organizer_id)
    query = query.where(t.TicketSale.cancelled_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(t.TicketSale.created_at.desc(), t.TicketSale.id).offset(start).limit(limit)
    ).all()
    views = [
        SaleView(
            id=s.id,
            created_at=s.created_at,
            event_id=s.event_id,
            event_title=title,
            uitpas_number=s.uitpas_number,
            regular_price_cents=s.regular_price_cents,
            regular_price_label=s.regular_price_label,
            tariff_id=s.tariff_id,
            tariff_name=s.tariff_name or s.tariff_id,
            tariff_type=s.tariff_type,
            price_cents=s.holder_cents,
            holder_id=s.holder_id,
        )
        for s, title in rows
    ]
    return total, views
