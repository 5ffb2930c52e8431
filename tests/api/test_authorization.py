"""Every operation of the point-of-sale profile × every kind of caller, against resources of the
Maasland region (organizer org-cc-maasmechelen): the expected status of each cell is in the table
below, and a route that is not in the table fails the test.

Callers: no token; the desk of the resource's own organizer; a desk of another organizer in
another region (Heist); the Maasland referrer (OCMW); the Maasland administrator; the Heist
administrator (another region).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from passengine.config import Settings

ACTIVE = "6451620999770"
CHIP = "04A1C35B7E2D80"
EVENT = "evt-cc-maasmechelen-comedy"
ORGANIZER = "org-cc-maasmechelen"
REWARD = "rwd-maasland-20-punten"
GROUP_PASS = "grp-ons-huis-maasland"
CALLERS = ("anonymous", "desk-own", "desk-foreign", "referrer", "admin-own", "admin-foreign")
LOGINS = {
    "desk-own": "desk-maasmechelen",
    "desk-foreign": "desk-heist",
    "referrer": "referrer-maasmechelen",
    "admin-own": "admin-maasmechelen",
    "admin-foreign": "admin-heist",
}
REGISTRATION = {
    "region_id": 1,
    "name": "Vermeulen",
    "first_name": "Sara",
    "birth_date": "1990-06-15",
    "address": {"street": "Rijksweg 12", "postal_code": "3630"},
    "insz": "90061540114",
}
UITPAS_REGISTRATION = {
    "name": "Lombardi",
    "firstName": "Giuseppina",
    "dateOfBirth": "1968-03-14",
    "address": {"street": "Kastanjelaan 57", "postalCode": "3630", "city": "Maasmechelen"},
    "registrationCardSystemId": 1,
    "registrationCardType": "DIGITAL",
}
REPORT_PERIOD = {"region_id": "1", "start": "2026-11-01", "end": "2026-11-30"}
REPORT_JOB = {
    "kind": "settlement",
    "format": "csv",
    "region_id": 1,
    "period": {"start": "2026-11-01", "end": "2026-11-30"},
}
FINANCIAL_PERIOD = {"startDate": "2026-11-01", "endDate": "2026-11-30"}
SALE = [
    {
        "regularPrice": 10,
        "tariff": {"id": "SOCIALTARIFF-kansentarief"},
        "eventId": EVENT,
        "uitpasNumber": ACTIVE,
    }
]


# Bodies of the region-configuration operations (all in region 1, Maasland).
CONFIG_MUNICIPALITY = {
    "nis_code": "73109",
    "name": "Voeren",
    "postal_codes": [{"code": "3790", "place": "Moelingen"}],
}
CONFIG_ORGANIZER = {"id": "org-new", "name": "Nieuw", "nis_code": "73107", "regions": [1]}
CONFIG_EVENT = {
    "id": "evt-new",
    "organizer_id": ORGANIZER,
    "title": "Nieuw",
    "location_nis_code": "73107",
    "domain": "CULTURE",
    "calendar_type": "PERMANENT",
}
CONFIG_REWARD = {
    "id": "rwd-new",
    "region_id": 1,
    "title": "Nieuw",
    "type": "POINTS",
    "points": 2,
    "promotional_description": "Nieuw voordeel.",
}
CONFIG_CLIENT = {
    "client_id": "client-new",
    "name": "Nieuw",
    "role": "REGION_ADMIN",
    "permissions": ["REGION_ADMIN"],
    "regions": [1],
}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str] | None = None
    json: Any = None
    setup: str | None = None
    """A write made first by the own desk, whose id the call uses: sale, checkin, redemption;
    or ``status``: the id of the active demo holder's status."""
    content: str | None = None
    """A text/csv body instead of JSON."""


def holder_id(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get(f"/passes/{ACTIVE}", headers=headers).json()["passholderId"])


# operation → (call, expected status per caller, in the order of CALLERS)
MATRIX: dict[str, tuple[Call, tuple[int, ...]]] = {
    "GET /passes": (Call("GET", "/passes", {"identifier": ACTIVE}), (401, 200, 200, 200, 200, 200)),
    "GET /passes/{uitpasNumber}": (
        Call("GET", f"/passes/{ACTIVE}"),
        (401, 200, 200, 200, 200, 200),
    ),
    "GET /chip-numbers/{chipNumber}": (
        Call("GET", f"/chip-numbers/{CHIP}"),
        (401, 200, 200, 403, 403, 403),
    ),
    "GET /tariffs": (
        Call("GET", "/tariffs", {"uitpasNumber": ACTIVE, "eventId": EVENT, "regularPrice": "10"}),
        (401, 200, 403, 403, 403, 403),
    ),
    "GET /tariffs/static": (
        Call("GET", "/tariffs/static", {"eventId": EVENT, "regularPrice": "10"}),
        (401, 200, 200, 403, 403, 403),
    ),
    "POST /ticket-sales": (
        Call("POST", "/ticket-sales", json=SALE),
        (401, 200, 403, 403, 403, 403),
    ),
    "GET /ticket-sales": (
        Call("GET", "/ticket-sales", {"eventId": EVENT}),
        (401, 200, 200, 403, 403, 403),
    ),
    "DELETE /ticket-sales/{ticketSaleId}": (
        Call("DELETE", "/ticket-sales/{id}", setup="sale"),
        (401, 204, 403, 403, 403, 403),
    ),
    "POST /checkins": (
        Call("POST", "/checkins", json={"eventId": EVENT, "uitpasNumber": ACTIVE}),
        (401, 201, 403, 403, 403, 403),
    ),
    "GET /checkins": (
        Call("GET", "/checkins", {"passholderId": "{holder}", "organizerId": ORGANIZER}),
        (401, 200, 403, 403, 403, 403),
    ),
    "DELETE /checkins/{checkinId}": (
        Call("DELETE", "/checkins/{id}", setup="checkin"),
        (401, 204, 403, 403, 403, 403),
    ),
    "GET /checkin-status": (
        Call("GET", "/checkin-status", {"uitpasNumber": ACTIVE, "eventId": EVENT}),
        (401, 200, 403, 403, 403, 403),
    ),
    "GET /rewards": (Call("GET", "/rewards"), (401, 200, 200, 403, 200, 200)),
    "GET /rewards/{rewardId}": (Call("GET", f"/rewards/{REWARD}"), (401, 200, 200, 403, 200, 200)),
    "GET /rewards/{rewardId}/redeem-status": (
        Call("GET", f"/rewards/{REWARD}/redeem-status", {"uitpasNumber": ACTIVE}),
        (401, 200, 403, 403, 403, 403),
    ),
    "POST /rewards/redeemed": (
        Call("POST", "/rewards/redeemed", json={"rewardId": REWARD, "uitpasNumber": ACTIVE}),
        (401, 201, 403, 403, 403, 403),
    ),
    "GET /rewards/redeemed": (
        Call("GET", "/rewards/redeemed", {"uitpasNumber": ACTIVE}),
        (401, 200, 200, 403, 200, 200),
    ),
    "DELETE /rewards/redeemed/{redeemedRewardId}": (
        Call("DELETE", "/rewards/redeemed/{id}", setup="redemption"),
        (401, 204, 403, 403, 403, 403),
    ),
    "GET /passholders/{passholderId}/transactions": (
        Call("GET", "/passholders/{holder}/transactions"),
        (401, 403, 403, 200, 200, 403),
    ),
    "GET /card-systems": (Call("GET", "/card-systems"), (401, 200, 200, 200, 200, 200)),
    "GET /card-systems/{cardSystemId}": (
        Call("GET", "/card-systems/1"),
        (401, 200, 200, 200, 200, 200),
    ),
    "GET /events/{eventId}/settings": (
        Call("GET", f"/events/{EVENT}/settings"),
        (401, 200, 403, 403, 200, 403),
    ),
    "PUT /events/{eventId}/settings": (
        Call("PUT", f"/events/{EVENT}/settings", json={"id": EVENT, "checkinPoints": 2}),
        (401, 403, 403, 403, 204, 403),
    ),
    "GET /organizers": (Call("GET", "/organizers"), (401, 200, 200, 403, 200, 200)),
    "GET /organizers/{id}": (
        Call("GET", f"/organizers/{ORGANIZER}"),
        (401, 200, 403, 403, 200, 403),
    ),
    "GET /grouppasses": (
        Call("GET", "/grouppasses", {"uitpasNumber": "7247908007354"}),
        (401, 200, 200, 403, 403, 403),
    ),
    "GET /grouppasses/{passholderId}": (
        Call("GET", f"/grouppasses/{GROUP_PASS}"),
        (401, 200, 404, 403, 403, 403),
    ),
    "GET /permissions": (Call("GET", "/permissions"), (401, 200, 200, 200, 200, 200)),
    "GET /cards/social-tariff/{cardSystemId}/active": (
        Call("GET", "/cards/social-tariff/1/active"),
        (401, 403, 403, 403, 200, 403),
    ),
    # --- native API: holders, statuses, cards, lists, audit, GDPR (issue 5) ---
    "POST /v1/holders": (
        Call("POST", "/v1/holders", json=REGISTRATION),
        (401, 403, 403, 201, 201, 403),
    ),
    "GET /v1/holders/{holder_id}": (
        Call("GET", "/v1/holders/{holder}"),
        (401, 403, 403, 200, 200, 403),
    ),
    "PATCH /v1/holders/{holder_id}": (
        Call("PATCH", "/v1/holders/{holder}", json={"phone": "089 00 00 00"}),
        (401, 403, 403, 204, 204, 403),
    ),
    "POST /v1/holders/{holder_id}/move": (
        Call(
            "POST",
            "/v1/holders/{holder}/move",
            json={"region_id": 2, "address": {"street": "Bergstraat 4", "postal_code": "2220"}},
        ),
        (401, 403, 403, 403, 403, 200),
    ),
    "POST /v1/holders/{holder_id}/statuses": (
        Call(
            "POST",
            "/v1/holders/{holder}/statuses",
            json={"region_id": 1, "target_group": "KANSENSTATUUT"},
        ),
        (401, 403, 403, 201, 201, 403),
    ),
    "POST /v1/statuses/{status_id}/renew": (
        Call("POST", "/v1/statuses/{id}/renew", json={}, setup="status"),
        (401, 403, 403, 201, 201, 403),
    ),
    "POST /v1/statuses/{status_id}/suspend": (
        Call("POST", "/v1/statuses/{id}/suspend", json={"until": "2026-12-31"}, setup="status"),
        (401, 403, 403, 204, 204, 403),
    ),
    "POST /v1/statuses/{status_id}/end": (
        Call("POST", "/v1/statuses/{id}/end", json={}, setup="status"),
        (401, 403, 403, 204, 204, 403),
    ),
    "POST /v1/regions/{region_id}/statuses/bulk-renewal": (
        Call("POST", "/v1/regions/1/statuses/bulk-renewal", content="68031412828\n"),
        (401, 403, 403, 200, 200, 403),
    ),
    "POST /v1/regions/{region_id}/cards/stock": (
        Call(
            "POST", "/v1/regions/1/cards/stock", content="chip;card\n04AA11BB22CC33;4001000000004\n"
        ),
        (401, 403, 403, 201, 201, 403),
    ),
    "POST /v1/regions/{region_id}/holders/import": (
        Call(
            "POST",
            "/v1/regions/1/holders/import",
            content="region_id;uitpas_number;name;first_name;birth_date;postal_code\n"
            "1;4001000000004;Peeters;An;1980-01-01;3630\n",
        ),
        (401, 403, 403, 201, 201, 403),
    ),
    "POST /v1/cards/{uitpas_number}/block": (
        Call("POST", f"/v1/cards/{ACTIVE}/block", json={"reason": "LOST"}),
        (401, 403, 403, 204, 204, 403),
    ),
    "POST /v1/cards/{uitpas_number}/replace": (
        Call("POST", f"/v1/cards/{ACTIVE}/replace", json={"reason": "LOST"}),
        (401, 403, 403, 201, 201, 403),
    ),
    "GET /v1/referrer/holders": (
        Call("GET", "/v1/referrer/holders"),
        (401, 400, 400, 200, 400, 400),
    ),
    "GET /v1/audit": (
        Call("GET", "/v1/audit", {"holder_id": "{holder}"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/holders/{holder_id}/export": (
        Call("GET", "/v1/holders/{holder}/export"),
        (401, 403, 403, 403, 200, 403),
    ),
    "DELETE /v1/holders/{holder_id}": (
        Call("DELETE", "/v1/holders/{holder}"),
        (401, 403, 403, 403, 204, 403),
    ),
    # --- UiTPAS registration operations (issue 5) ---
    "POST /passholders": (
        Call("POST", "/passholders", json=UITPAS_REGISTRATION),
        (401, 403, 403, 200, 200, 403),
    ),
    "GET /passholders": (
        Call("GET", "/passholders", {"inszNumber": "68031412828"}),
        (401, 403, 403, 200, 200, 200),
    ),
    "GET /passholders/{passholderId}": (
        Call("GET", "/passholders/{holder}"),
        (401, 403, 403, 200, 200, 403),
    ),
    "PUT /passholders/{passholderId}": (
        Call("PUT", "/passholders/{holder}", json=UITPAS_REGISTRATION),
        (401, 403, 403, 204, 204, 403),
    ),
    "GET /passholders/{passholderId}/memberships/{cardSystemId}": (
        Call(
            "GET",
            "/passholders/{holder}/memberships/2",
            {"socialTariff": "false", "organizerId": "org-zwaneberg"},
        ),
        (401, 403, 403, 200, 200, 200),
    ),
    "POST /passholders/{passholderId}/memberships/{cardSystemId}": (
        Call(
            "POST",
            "/passholders/{holder}/memberships/2",
            json={
                "cardType": "DIGITAL",
                "registrationOrganizer": {"id": "org-zwaneberg"},
                "address": {"street": "Kerkplein 1", "postalCode": "2220", "city": "Heist"},
            },
        ),
        (401, 403, 403, 403, 403, 201),
    ),
    # --- native API: region configuration (issue 5) ---
    "GET /v1/regions": (Call("GET", "/v1/regions"), (401, 403, 403, 403, 200, 200)),
    "GET /v1/regions/{region_id}": (
        Call("GET", "/v1/regions/1"),
        (401, 403, 403, 403, 200, 403),
    ),
    "PATCH /v1/regions/{region_id}": (
        Call("PATCH", "/v1/regions/1", json={"contact_line": "Vragen? Bel het UiTPAS-loket."}),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/municipalities": (
        Call("POST", "/v1/municipalities", json=CONFIG_MUNICIPALITY),
        (401, 403, 403, 403, 201, 201),
    ),
    "GET /v1/municipalities/{nis_code}": (
        Call("GET", "/v1/municipalities/73107"),
        (401, 403, 403, 403, 200, 200),
    ),
    "PATCH /v1/municipalities/{nis_code}": (
        Call("PATCH", "/v1/municipalities/73107", json={"name": "Maasmechelen"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/regions/{region_id}/municipalities": (
        Call(
            "POST",
            "/v1/regions/1/municipalities",
            json={"nis_code": "73042", "joined_on": "2020-01-01", "left_on": "2025-01-01"},
        ),
        (401, 403, 403, 403, 201, 403),
    ),
    "PATCH /v1/regions/{region_id}/municipalities/{nis_code}": (
        Call("PATCH", "/v1/regions/1/municipalities/73042", json={"left_on": "2027-01-01"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "DELETE /v1/regions/{region_id}/municipalities/{nis_code}": (
        Call("DELETE", "/v1/regions/1/municipalities/73042"),
        (401, 403, 403, 403, 409, 403),  # Lanaken's period has started: 409 past the check
    ),
    "GET /v1/regions/{region_id}/target-groups": (
        Call("GET", "/v1/regions/1/target-groups"),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/regions/{region_id}/target-groups": (
        Call("POST", "/v1/regions/1/target-groups", json={"code": "SENIOR", "name": "Senioren"}),
        (401, 403, 403, 403, 201, 403),
    ),
    "PATCH /v1/regions/{region_id}/target-groups/{code}": (
        Call("PATCH", "/v1/regions/1/target-groups/KANSENSTATUUT", json={"name": "Kansen"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/regions/{region_id}/grounds": (
        Call("GET", "/v1/regions/1/grounds"),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/regions/{region_id}/grounds": (
        Call("POST", "/v1/regions/1/grounds", json={"code": "JEUGDHULP", "name": "Jeugdhulp"}),
        (401, 403, 403, 403, 201, 403),
    ),
    "PATCH /v1/regions/{region_id}/grounds/{code}": (
        Call("PATCH", "/v1/regions/1/grounds/LEEFLOON", json={"name": "Leefloon"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/regions/{region_id}/tariffs": (
        Call("GET", "/v1/regions/1/tariffs"),
        (401, 403, 403, 403, 200, 403),
    ),
    "PUT /v1/regions/{region_id}/tariffs": (
        Call("PUT", "/v1/regions/1/tariffs", json={"tariff_name": "Kansentarief"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/regions/{region_id}/tariffs/versions": (
        Call("GET", "/v1/regions/1/tariffs/versions"),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/regions/{region_id}/tariffs/versions/{version}": (
        Call("GET", "/v1/regions/1/tariffs/versions/1"),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/regions/{region_id}/limit-defaults": (
        Call("GET", "/v1/regions/1/limit-defaults"),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/regions/{region_id}/card-prices": (
        Call("GET", "/v1/regions/1/card-prices"),
        (401, 403, 403, 403, 200, 403),
    ),
    "PUT /v1/regions/{region_id}/card-prices/{valid_from}": (
        Call(
            "PUT",
            "/v1/regions/1/card-prices/2027-01-01",
            json={"prices": [{"reason": "FIRST_CARD", "price_cents": 500}]},
        ),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/organizers": (
        Call("POST", "/v1/organizers", json=CONFIG_ORGANIZER),
        (401, 403, 403, 403, 201, 403),
    ),
    "GET /v1/organizers/{organizer_id}": (
        Call("GET", f"/v1/organizers/{ORGANIZER}"),
        (401, 403, 403, 403, 200, 403),
    ),
    "PATCH /v1/organizers/{organizer_id}": (
        Call("PATCH", f"/v1/organizers/{ORGANIZER}", json={"street": "Kastanjelaan 2"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/desks": (
        Call(
            "POST",
            "/v1/desks",
            json={"id": "desk-new", "organizer_id": ORGANIZER, "name": "Kassa", "kind": "TICKETS"},
        ),
        (401, 403, 403, 403, 201, 403),
    ),
    "PATCH /v1/desks/{desk_id}": (
        Call("PATCH", "/v1/desks/desk-cc-maasmechelen", json={"name": "Ticketbalie"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/regions/{region_id}/referrers": (
        Call("GET", "/v1/regions/1/referrers"),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/referrers": (
        Call(
            "POST",
            "/v1/referrers",
            json={"id": "ref-new", "region_id": 1, "name": "Buurtwerk", "kind": "OTHER"},
        ),
        (401, 403, 403, 403, 201, 403),
    ),
    "PATCH /v1/referrers/{referrer_id}": (
        Call("PATCH", "/v1/referrers/ref-ocmw-maasmechelen", json={"may_grant_status": True}),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/events": (
        Call("POST", "/v1/events", json=CONFIG_EVENT),
        (401, 403, 403, 403, 201, 403),
    ),
    "GET /v1/events/{event_id}": (
        Call("GET", f"/v1/events/{EVENT}"),
        (401, 403, 403, 403, 200, 403),
    ),
    "PATCH /v1/events/{event_id}": (
        Call("PATCH", f"/v1/events/{EVENT}", json={"title": "Comedy-avond"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/rewards": (
        Call("POST", "/v1/rewards", json=CONFIG_REWARD),
        (401, 403, 403, 403, 201, 403),
    ),
    "PATCH /v1/rewards/{reward_id}": (
        Call("PATCH", f"/v1/rewards/{REWARD}", json={"points": 25}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/clients": (Call("GET", "/v1/clients"), (401, 403, 403, 403, 200, 200)),
    "POST /v1/clients": (
        Call("POST", "/v1/clients", json=CONFIG_CLIENT),
        (401, 403, 403, 403, 201, 403),
    ),
    "GET /v1/clients/{client_id}": (
        Call("GET", "/v1/clients/demo-desk-maasmechelen"),
        (401, 403, 403, 403, 200, 403),
    ),
    "PATCH /v1/clients/{client_id}": (
        Call("PATCH", "/v1/clients/demo-desk-maasmechelen", json={"name": "Ticketbalie CC"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/clients/{client_id}/rotate-secret": (
        Call("POST", "/v1/clients/demo-referrer-maasmechelen/rotate-secret"),
        (401, 403, 403, 403, 200, 403),
    ),
    # --- the desk page's own endpoint (issue 8) ---
    "GET /v1/desk/events": (Call("GET", "/v1/desk/events"), (401, 200, 200, 403, 403, 403)),
    # --- printed cards (issue 6) ---
    "GET /v1/cards/{uitpas_number}/pdf": (
        Call("GET", f"/v1/cards/{ACTIVE}/pdf"),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/cards/pdf": (
        Call("POST", "/v1/cards/pdf", json={"uitpas_numbers": [ACTIVE]}),
        (401, 403, 403, 403, 200, 403),
    ),
    # --- reports (issue 7) ---
    "GET /v1/reports/settlement": (
        Call("GET", "/v1/reports/settlement", REPORT_PERIOD),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/reports/budgets": (
        Call("GET", "/v1/reports/budgets", {"region_id": "1", "year": "2026"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/reports/participation": (
        Call("GET", "/v1/reports/participation", REPORT_PERIOD),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/reports/annual": (
        Call("GET", "/v1/reports/annual", {"region_id": "1", "year": "2026", "format": "json"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "POST /v1/reports/jobs": (
        Call("POST", "/v1/reports/jobs", json=REPORT_JOB),
        (401, 403, 403, 403, 202, 403),
    ),
    "GET /v1/reports/jobs": (
        Call("GET", "/v1/reports/jobs", {"region_id": "1"}),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/reports/jobs/{job_id}": (
        Call("GET", "/v1/reports/jobs/{id}", setup="report"),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /v1/reports/jobs/{job_id}/file": (
        Call("GET", "/v1/reports/jobs/{id}/file", setup="report"),
        (401, 403, 403, 403, 200, 403),
    ),
    "GET /organizers/{organizerId}/financial-reports/periods": (
        Call("GET", f"/organizers/{ORGANIZER}/financial-reports/periods"),
        (401, 200, 403, 403, 200, 403),
    ),
    "POST /organizers/{organizerId}/financial-reports": (
        Call("POST", f"/organizers/{ORGANIZER}/financial-reports", json=FINANCIAL_PERIOD),
        (401, 200, 403, 403, 200, 403),
    ),
    "GET /organizers/{organizerId}/financial-reports": (
        Call("GET", f"/organizers/{ORGANIZER}/financial-reports"),
        (401, 200, 403, 403, 200, 403),
    ),
    "GET /organizers/{organizerId}/financial-reports/{reportId}": (
        Call("GET", f"/organizers/{ORGANIZER}/financial-reports/{{id}}", setup="financial"),
        (401, 200, 403, 403, 200, 403),
    ),
    "GET /organizers/{organizerId}/financial-reports/{reportId}/download-link": (
        Call(
            "GET",
            f"/organizers/{ORGANIZER}/financial-reports/{{id}}/download-link",
            setup="financial",
        ),
        (401, 200, 403, 403, 200, 403),
    ),
    "GET /organizers/{organizerId}/financial-reports/{reportId}.zip": (
        Call("GET", f"/organizers/{ORGANIZER}/financial-reports/{{id}}.zip", setup="financial"),
        (401, 200, 403, 403, 200, 403),
    ),
}

# Routes outside the profile's authorisation (no caller identity needed or not a spec route).
UNGUARDED = {"POST /oauth/token", "GET /health", "GET /desk", "GET /desk/static/{name}"}
"""The desk page and its static files are public; the page signs in with the desk's secret."""


def _setup(client: TestClient, own: dict[str, str], kind: str | None) -> str | None:
    if kind == "sale":
        return str(client.post("/ticket-sales", json=SALE, headers=own).json()[0]["id"])
    if kind == "checkin":
        body = {"eventId": EVENT, "uitpasNumber": ACTIVE}
        return str(client.post("/checkins", json=body, headers=own).json()["id"])
    if kind == "status":
        holder = holder_id(client, own)
        admin = _login_cache(client)
        view = client.get(f"/v1/holders/{holder}", headers=admin).json()
        return str(view["statuses"][0]["id"])
    if kind == "report":
        admin = _login_cache(client)
        return str(client.post("/v1/reports/jobs", json=REPORT_JOB, headers=admin).json()["id"])
    if kind == "financial":
        admin = _login_cache(client)
        path = f"/organizers/{ORGANIZER}/financial-reports"
        return str(client.post(path, json=FINANCIAL_PERIOD, headers=admin).json()["id"])
    if kind == "redemption":
        body = {"rewardId": REWARD, "uitpasNumber": ACTIVE}
        return str(client.post("/rewards/redeemed", json=body, headers=own).json()["id"])
    return None


def _login_cache(client: TestClient) -> dict[str, str]:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-admin-maasmechelen",
            "client_secret": "demo-admin-secret",
        },
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def observe(
    client: TestClient, login: Callable[[str], dict[str, str]], operation: str, caller: str
) -> int:
    call, _ = MATRIX[operation]
    own = login(LOGINS["desk-own"])
    created = _setup(client, own, call.setup)
    holder = holder_id(client, own)
    headers = login(LOGINS[caller]) if caller != "anonymous" else {}
    path = call.path.replace("{id}", created or "").replace("{holder}", holder)
    params = {k: v.replace("{holder}", holder) for k, v in (call.params or {}).items()}
    if call.content is not None:
        headers = headers | {"Content-Type": "text/csv"}
        response = client.request(
            call.method, path, params=params, content=call.content, headers=headers
        )
    else:
        response = client.request(call.method, path, params=params, json=call.json, headers=headers)
    return response.status_code


CELLS = [
    pytest.param(operation, caller, expected[index], id=f"{operation} as {caller}")
    for operation, (_, expected) in MATRIX.items()
    for index, caller in enumerate(CALLERS)
]


@pytest.mark.parametrize(("operation", "caller", "expected"), CELLS)
def test_cell(
    client: TestClient,
    login: Callable[[str], dict[str, str]],
    operation: str,
    caller: str,
    expected: int,
) -> None:
    assert observe(client, login, operation, caller) == expected


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI wraps those since 0.16x)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from api_routes(original.routes)


def test_every_route_is_in_the_matrix() -> None:
    app = create_app(Settings(environment="test", database_url="sqlite://"))
    routes = {
        f"{method} {route.path}"
        for route in api_routes(app.routes)
        for method in route.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert len(routes) > 60  # the walk reaches into the included routers
    unlisted = sorted(routes - set(MATRIX) - UNGUARDED)
    assert unlisted == [], f"add these routes to the authorisation matrix: {unlisted}"


def test_lists_a_caller_may_read_show_nothing_outside_its_scope(
    client: TestClient, login: Callable[[str], dict[str, str]]
) -> None:
    own = login(LOGINS["desk-own"])
    _setup(client, own, "redemption")
    _setup(client, own, "sale")
    mine = client.get("/rewards/redeemed", params={"uitpasNumber": ACTIVE}, headers=own).json()
    assert mine["totalItems"] == 1
    for caller in ("admin-foreign",):
        other = login(LOGINS[caller])
        seen = client.get("/rewards/redeemed", params={"uitpasNumber": ACTIVE}, headers=other)
        assert seen.json()["totalItems"] == 0
    foreign_desk = login(LOGINS["desk-foreign"])
    sales = client.get("/ticket-sales", params={"eventId": EVENT}, headers=foreign_desk).json()
    assert sales["totalItems"] == 0
