"""Tariffs for a pass at an event (the scan path) and static tariffs for listings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api import views
from api.deps import NowDep, PrincipalDep, ReadersDep
from api.money import to_cents
from passengine.services.pricing import event_facts, price, static_price
from passengine.services.sales import authorize_organizer

router = APIRouter(tags=["tariffs"])


@router.get("/tariffs")
async def get_tariffs(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    regular_price: Annotated[str, Query(alias="regularPrice", max_length=20)],
    event_id: Annotated[str, Query(alias="eventId", min_length=1, max_length=64)],
    uitpas_number: Annotated[str, Query(alias="uitpasNumber", min_length=1, max_length=40)],
    type_: Annotated[Literal["ANY", "SOCIALTARIFF", "COUPON"], Query(alias="type")] = "ANY",
) -> dict[str, Any]:
    """What this holder pays for this event now, and why there is no reduced rate if not."""
    principal.require("TARIFFS_READ")
    cents = to_cents(regular_price)
    with readers() as session, session.begin():
        facts = event_facts(session, event_id)
        authorize_organizer(principal, facts.organizer_id, facts.region_ids)
        priced = price(
            session,
            uitpas_number=uitpas_number,
            event_id=event_id,
            regular_price_cents=cents,
            at=now,
            event=facts,
        )
    body = views.tariffs(priced.quote)
    if type_ == "COUPON":
        body["available"] = []  # coupons are not part of this profile
    return body


@router.get("/tariffs/static")
async def get_static_tariffs(
    principal: PrincipalDep,
    readers: ReadersDep,
    regular_price: Annotated[str, Query(alias="regularPrice", max_length=20)],
    event_id: Annotated[str, Query(alias="eventId", min_length=1, max_length=64)],
) -> dict[str, Any]:
    """The reduced price for an event without a holder, for calendars and ticket shops."""
    principal.require("TARIFFS_READ")
    cents = to_cents(regular_price)
    with readers() as session, session.begin():
        result = static_price(
            session, event_id=event_id, regular_price_cents=cents, region_ids=principal.region_ids
        )
    return views.static_tariffs(result)
