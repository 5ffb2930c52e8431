"""JSON shapes of the UiTPAS API 4.0 profile (camelCase, euro on the wire), built from the
services' plain views. Fields the spec marks optional are left out rather than sent as null."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from api.money import to_euro
from passengine.domain.tariffs import Quote, StaticQuote
from passengine.services.checkins import CheckinView
from passengine.services.passes import PassView, RegionView
from passengine.services.sales import SaleView

BRUSSELS = ZoneInfo("Europe/Brussels")


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def end_of_day(day: date, tz: ZoneInfo = BRUSSELS) -> str:
    """A status ends at the end of its last day in the region (UiTPAS sends a moment)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).isoformat()


def card_system(region: RegionView) -> dict[str, Any]:
    body: dict[str, Any] = {"id": region.id, "name": region.name}
    branding = {
        k: v
        for k, v in (
            ("primaryColor", region.primary_color),
            ("secondaryColor", region.secondary_color),
        )
        if v
    }
    if branding:
        body["branding"] = branding
    if region.website:
        body["links"] = {"website": region.website}
    return body


def pass_(view: PassView) -> dict[str, Any]:
    social: dict[str, Any] = {"status": view.social_tariff_status}
    if view.social_tariff_end is not None:
        social["endDate"] = end_of_day(view.social_tariff_end)
    if view.social_tariff_status != "NONE":
        social["inGracePeriod"] = view.in_grace_period
    body: dict[str, Any] = {
        "passholderId": view.passholder_id,
        "passType": view.pass_type,
        "uitpasNumber": view.uitpas_number,
        "firstName": view.first_name,
        "points": view.points,
        "postalCode": view.postal_code,
        "cardSystem": card_system(view.region),
        "socialTariff": social,
    }
    if view.messages:
        body["messages"] = [{"level": m.level, "text": m.text} for m in view.messages]
    return body


def tariffs(quote: Quote) -> dict[str, Any]:
    body: dict[str, Any] = {
        "available": [
            {
                "id": tariff.id,
                "name": tariff.name,
                "price": to_euro(tariff.price_cents),
                "type": tariff.type,
                "remaining": tariff.remaining,
            }
            for tariff in quote.tariffs
        ]
    }
    if quote.messages:
        body["endUserMessage"] = quote.messages[0]
    return body


def static_tariffs(result: StaticQuote) -> dict[str, Any]:
    return {
        "available": [
            {
                "id": tariff_id,
                "name": name,
                "price": to_euro(cents),
                "type": "SOCIALTARIFF",
                "remaining": 1,
            }
            for tariff_id, name, cents in result.tariffs
        ]
    }


def sale(view: SaleView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": view.id,
        "creationDate": instant(view.created_at),
        "regularPrice": to_euro(view.regular_price_cents),
        "tariff": {
            "id": view.tariff_id,
            "name": view.tariff_name,
            "price": to_euro(view.price_cents),
            "type": view.tariff_type,
        },
        "eventId": view.event_id,
        "eventTitle": view.event_title,
        "uitpasNumber": view.uitpas_number,
    }
    if view.regular_price_label:
        body["regularPriceLabel"] = view.regular_price_label
    return body


def checkin(view: CheckinView) -> dict[str, Any]:
    return {
        "id": view.id,
        "creationDate": instant(view.created_at),
        "eventId": view.event_id,
        "eventTitle": view.event_title,
        "uitpasNumber": view.uitpas_number,
        "points": view.points,
    }
