"""JSON shapes of the UiTPAS API 4.0 profile (camelCase, euro on the wire), built from the
services' plain views. Fields the spec marks optional are left out rather than sent as null."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from api.money import to_euro
from passengine.domain.model import PeriodLimit
from passengine.domain.rewards import RewardDecision
from passengine.domain.tariffs import Quote, StaticQuote
from passengine.services.catalog import (
    CardSystemView,
    EventSettingsView,
    GroupPassView,
    OrganizerPermissions,
    OrganizerView,
    SocialTariffCard,
)
from passengine.services.checkins import CheckinView
from passengine.services.passes import PassView, RegionView
from passengine.services.rewards import RedemptionView, RewardView
from passengine.services.sales import SaleView
from passengine.services.transactions import TransactionView

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


# --- Rewards -------------------------------------------------------------------------------------

PUBLISHED_SINCE_ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)
"""The spec requires a publication start; a reward without one has always been published."""

REDEEM_STATUS_REASONS = {
    "invalid-card": "INVALID_CARD",
    "passholder-no-active-cardsystems": "PASSHOLDER_NO_ACTIVE_CARDSYSTEM",
    "reward-period-constraint": "REWARD_PERIOD",
    "reward-passholder-no-applicable-cardsystems": "PASSHOLDER_APPLICABLE_CARDSYSTEMS",
    "reward-volume-constraint": "REWARD_VOLUME",
    "reward-passholder-volume-constraint": "PASSHOLDER_VOLUME",
    "reward-passholder-points-constraint": "PASSHOLDER_POINTS",
}
"""Our refusal codes (the UiTPAS error catalogue) → the ``reason`` enum of redeem-status."""


def _period(begin: datetime, end: datetime | None) -> dict[str, Any]:
    body = {"begin": instant(begin)}
    if end is not None:
        body["end"] = instant(end)
    return body


def reward(view: RewardView) -> dict[str, Any]:
    published = view.publication_starts_at or view.redeem_starts_at or PUBLISHED_SINCE_ALWAYS
    body: dict[str, Any] = {
        "id": view.id,
        "title": view.title,
        "type": view.type,
        "promotionalDescription": view.promotional_description or view.title,
        "publicationPeriod": _period(published, view.publication_ends_at),
        "points": view.points,
        "categories": list(view.categories),
        "owningCardSystem": {"id": view.owning_region.id, "name": view.owning_region.name},
        "applicableCardSystems": [{"id": r.id, "name": r.name} for r in view.applicable_regions],
        "allCardSystems": view.all_regions,
        "organizers": [{"id": o.id, "name": o.name} for o in view.organizers],
        "status": "ACTIVE",
        "unitsTaken": view.units_taken,
    }
    if view.max_available_units is not None:
        body["maxAvailableUnits"] = view.max_available_units
    if view.redeem_starts_at is not None or view.redeem_ends_at is not None:
        body["redeemPeriod"] = _period(view.redeem_starts_at or published, view.redeem_ends_at)
    if view.holder_limit is not None:
        body["redeemConstraint"] = {
            "volume": view.holder_limit.volume,
            "period": view.holder_limit.period.value,
        }
    return body


def redeemed_reward(view: RedemptionView) -> dict[str, Any]:
    return {"id": view.id, "reward": reward(view.reward), "redeemDate": instant(view.created_at)}


def redeem_status(decision: RewardDecision) -> dict[str, Any]:
    if decision.allowed:
        return {"redeemable": True}
    message = decision.message()
    return {
        "redeemable": False,
        "reason": REDEEM_STATUS_REASONS.get(decision.code, "PASSHOLDER_NO_ACTIVE_CARDSYSTEM"),
        "message": message["nl"],
        "endUserMessage": message,
    }


# --- Catalogue: card systems, organizers, event settings, group passes, permissions, cards ------


def card_system_with_cities(view: CardSystemView) -> dict[str, Any]:
    """A card system with the places it covers today (GET /card-systems, organizers, group
    passes); a pass carries the short form of ``card_system``."""
    body = card_system(view.region)
    body["cities"] = [{"postalCode": c.postal_code, "name": c.name} for c in view.cities]
    body["permanent"] = view.permanent
    return body


def period_limit(limit: PeriodLimit) -> dict[str, Any]:
    return {"volume": limit.volume, "periodType": limit.period.value}


def event_settings(view: EventSettingsView) -> dict[str, Any]:
    return {
        "id": view.id,
        "checkinPoints": view.checkin_points,
        "passholderTicketLimit": period_limit(view.ticket_limit),
        "checkinLimit": period_limit(view.checkin_limit),
    }


def organizer(view: OrganizerView) -> dict[str, Any]:
    address: dict[str, Any] = {"city": view.city}
    if view.street:
        address["street"] = view.street
    if view.postal_code:
        address["postalCode"] = view.postal_code
    body: dict[str, Any] = {"id": view.id, "name": view.name, "address": address}
    if view.card_systems:
        body["cardSystems"] = [card_system_with_cities(s) for s in view.card_systems]
    return body


def group_pass(view: GroupPassView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": view.id,
        "name": view.name,
        "uitpasNumber": view.uitpas_number,
        "cardStatus": view.card_status,
        "cardSystem": card_system_with_cities(view.card_system),
    }
    if view.social_tariff:
        body["socialTariff"] = {
            "status": "ACTIVE",
            "totalTicketsPerYear": view.tickets_per_year,
            "availableTickets": view.available_tickets,
        }
    return body


def organizer_permissions(view: OrganizerPermissions) -> dict[str, Any]:
    details = []
    for detail in view.details:
        item: dict[str, Any] = {"id": detail.id, "cardSystemIds": list(detail.card_system_ids)}
        if detail.label:
            item["label"] = dict(detail.label)
        details.append(item)
    return {
        "organizer": organizer(view.organizer),
        "permissions": list(view.permissions),
        "permissionDetails": details,
    }


def social_tariff_card(card: SocialTariffCard) -> dict[str, Any]:
    body: dict[str, Any] = {"uitpasNumber": card.uitpas_number, "cardType": card.card_type}
    if card.available_tickets is not None:
        body["availableTickets"] = card.available_tickets
    return body


def transaction(view: TransactionView) -> dict[str, Any]:
    return {
        "title": view.title,
        "location": view.location,
        "creationDate": instant(view.created_at),
        "points": view.points,
    }
