"""Card prices by age, status and reason, kept as dated lists (``passengine.domain.card_prices``).

A list that has started is never changed, so what a card cost on a day stays known; a new list
from a later day replaces it as a whole.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from passengine.domain.card_prices import (
    CardPrice,
    CardPriceReason,
    card_price,
    list_in_force,
    validate_card_prices,
)
from passengine.domain.distribution import ConfigIssue, IssueLevel
from passengine.domain.errors import Conflict, InvalidInput
from passengine.services.administration import (
    AdminScope,
    IssueRead,
    Read,
    Shape,
    jsonable,
    region_row,
    region_today,
    transaction,
)
from passengine.services.audit import record
from passengine.storage import tables as t

# --- Card prices ----------------------------------------------------------------------------------


class CardPriceIn(Shape):
    reason: CardPriceReason
    price_cents: int = Field(ge=0, le=100_000)
    min_age: int | None = Field(default=None, ge=0, le=130)
    max_age: int | None = Field(default=None, ge=0, le=130)
    with_status: bool | None = None
    """true: holders with a status; false: without; null: both."""


class CardPriceListIn(Shape):
    prices: list[CardPriceIn] = Field(max_length=200)


class CardPriceListRead(Read):
    valid_from: date
    in_force: bool
    prices: list[CardPriceIn]


class CardPricesRead(Read):
    region_id: int
    lists: list[CardPriceListRead]


class CardPricesSaved(Read):
    region_id: int
    valid_from: date
    prices: list[CardPriceIn]
    warnings: list[IssueRead]


class CardPricesError(InvalidInput):
    code = "invalid-card-prices"

    def __init__(self, issues: list[ConfigIssue]) -> None:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{first.field}: {first.message}{more}", issues=issues)
        self.issues = issues


def _core_price(row: t.CardPriceRow) -> CardPrice:
    return CardPrice(
        reason=row.reason,
        price_cents=row.price_cents,
        valid_from=row.valid_from,
        min_age=row.min_age,
        max_age=row.max_age,
        with_status=row.with_status,
    )


def _price_in(p: CardPrice) -> CardPriceIn:
    return CardPriceIn(
        reason=p.reason,
        price_cents=p.price_cents,
        min_age=p.min_age,
        max_age=p.max_age,
        with_status=p.with_status,
    )


def _stored_prices(session: Session, region_id: int) -> list[CardPrice]:
    return [
        _core_price(r)
        for r in session.scalars(
            select(t.CardPriceRow)
            .where(t.CardPriceRow.region_id == region_id)
            .order_by(t.CardPriceRow.valid_from, t.CardPriceRow.id)
        )
    ]


def get_card_prices(
    session: Session, region_id: int, *, scope: AdminScope, at: datetime
) -> CardPricesRead:
    """Every list, newest first, with the one in force today marked."""
    with transaction(session):
        region = region_row(session, region_id, scope)
        prices = _stored_prices(session, region_id)
        today = region_today(region, at)
    in_force = {p.valid_from for p in list_in_force(prices, on=today)}
    by_day: dict[date, list[CardPrice]] = defaultdict(list)
    for p in prices:
        by_day[p.valid_from].append(p)
    return CardPricesRead(
        region_id=region_id,
        lists=[
            CardPriceListRead(
                valid_from=day, in_force=day in in_force, prices=[_price_in(p) for p in rows]
            )
            for day, rows in sorted(by_day.items(), reverse=True)
        ],
    )


def set_card_prices(
    session: Session,
    region_id: int,
    valid_from: date,
    data: CardPriceListIn,
    *,
    scope: AdminScope,
    at: datetime,
) -> CardPricesSaved:
    """Create or replace the list that starts on ``valid_from``. A list that has started is
    never changed (what a card cost must stay known); a list may start today at the earliest.
    An empty list removes a list that has not started."""
    core = [
        CardPrice(
            reason=p.reason,
            price_cents=p.price_cents,
            valid_from=valid_from,
            min_age=p.min_age,
            max_age=p.max_age,
            with_status=p.with_status,
        )
        for p in data.prices
    ]
    issues = validate_card_prices(core)
    errors = [i for i in issues if i.level is IssueLevel.ERROR]
    if errors:
        raise CardPricesError(errors)
    with transaction(session):
        region = region_row(session, region_id, scope)
        today = region_today(region, at)
        existing = list(
            session.scalars(
                select(t.CardPriceRow).where(
                    t.CardPriceRow.region_id == region_id, t.CardPriceRow.valid_from == valid_from
                )
            )
        )
        if valid_from < today or (existing and valid_from <= today):
            raise Conflict(
                f"The card prices from {valid_from.isoformat()} have started (today is "
                f"{today.isoformat()} in the region); add a list from today or later instead.",
                code="card-prices-in-force",
            )
        before = [jsonable(_price_in(_core_price(r)).model_dump()) for r in existing]
        session.execute(
            delete(t.CardPriceRow).where(
                t.CardPriceRow.region_id == region_id, t.CardPriceRow.valid_from == valid_from
            )
        )
        session.add_all(
            t.CardPriceRow(region_id=region_id, valid_from=valid_from, **p.model_dump())
            for p in data.prices
        )
        session.flush()
        record(
            session,
            scope.actor,
            "config.card_prices.set",
            subject=f"region:{region_id}",
            details={
                "valid_from": valid_from.isoformat(),
                "before": before,
                "after": [jsonable(p.model_dump()) for p in data.prices],
            },
        )
    return CardPricesSaved(
        region_id=region_id,
        valid_from=valid_from,
        prices=list(data.prices),
        warnings=[IssueRead.of(i) for i in issues],
    )


def card_price_for(
    session: Session,
    region_id: int,
    *,
    age: int,
    has_status: bool,
    reason: CardPriceReason,
    on: date,
) -> CardPrice | None:
    """The price of a card in the region (inside the caller's transaction, for registration and
    card replacement); ``None`` when the region has no price for the case."""
    return card_price(
        _stored_prices(session, region_id), age=age, has_status=has_status, reason=reason, on=on
    )
