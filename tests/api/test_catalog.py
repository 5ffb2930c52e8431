"""The catalogue of the UiTPAS profile: card systems, event settings, organizers, group passes,
the caller's permissions and the export of active social-tariff cards, on the demo regions
(1 Maasland, 2 Heist-op-den-Berg, 3 Halle)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.config import Settings
from passengine.storage import tables as t
from passengine.storage.db import make_engine
from tests.api.conftest import BRUSSELS, Clock

Login = Callable[[str], dict[str, str]]
Audit = Callable[[str], list[t.AuditEntry]]
Grant = Callable[[str, str], None]

EVENT = "evt-cc-maasmechelen-comedy"  # SINGLE, tonight, org-cc-maasmechelen, no own limits
PERMANENT_EVENT = "evt-sport-maasmechelen-zwemmen"  # PERMANENT, check-in limit 2 per WEEK
GROUP_PASS = "7247908007354"  # Groepspas vzw Ons Huis Maasland: 20 tickets a year
GROUP_PASS_ID = "grp-ons-huis-maasland"
ACTIVE = "6451620999770"
GRACE = "2340804679577"
EXPIRED = "7130536448614"
SUSPENDED = "5609908279923"
NO_STATUS = "1287327660058"
BLOCKED_CARD = "9609790229107"
ACTIVE_INSZ = "68031412828"
MAASLAND_ORGANIZERS = 6


@pytest.fixture
def db(app_settings: Settings) -> Iterator[Callable[[], Session]]:
    """Fresh sessions on the app's database, to arrange data and read the audit log."""
    engine = make_engine(app_settings.database_url)
    yield lambda: Session(engine)
    engine.dispose()


@pytest.fixture
def audit(db: Callable[[], Session]) -> Audit:
    def _rows(action: str) -> list[t.AuditEntry]:
        with db() as session:
            return list(
                session.scalars(
                    select(t.AuditEntry)
                    .where(t.AuditEntry.action == action)
                    .order_by(t.AuditEntry.id)
                )
            )

    return _rows


@pytest.fixture
def grant(db: Callable[[], Session]) -> Grant:
    """Give a demo client one more permission (before it logs in: tokens carry permissions)."""

    def _grant(client_id: str, permission: str) -> None:
        with db() as session, session.begin():
            session.add(t.ApiClientPermission(client_id=client_id, permission=permission))

    return _grant


def ids(body: dict[str, Any]) -> list[Any]:
    return [m["id"] for m in body["member"]]


class TestCardSystems:
    def test_every_region_is_listed_with_its_places_and_branding(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get("/card-systems", headers=login("desk-maasmechelen"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalItems"] == 3
        assert ids(body) == [1, 2, 3]
        assert body["member"][0] == {
            "id": 1,
            "name": "UiTPAS Maasland",
            "branding": {"primaryColor": "#e4002b", "secondaryColor": "#1d1d1b"},
            "links": {"website": "https://uitpas-maasland.example.org"},
            "cities": [
                {"postalCode": "3620", "name": "Lanaken"},
                {"postalCode": "3630", "name": "Maasmechelen"},
                {"postalCode": "3650", "name": "Dilsen-Stokkem"},
            ],
            "permanent": True,
        }
        halle = body["member"][2]
        assert [c["postalCode"] for c in halle["cities"]] == ["1500", "1501", "1502"]
        assert {c["name"] for c in halle["cities"]} == {"Halle"}

    def test_a_municipality_is_listed_from_the_day_it_joins(
        self, client: TestClient, login: Login, clock: Clock
    ) -> None:
        clock.now = datetime(2025, 12, 31, 23, 30, tzinfo=BRUSSELS)
        before = client.get("/card-systems/1", headers=login("desk-maasmechelen")).json()
        assert [c["postalCode"] for c in before["cities"]] == ["3620", "3630"]
        clock.now = datetime(2026, 1, 1, 0, 30, tzinfo=BRUSSELS)  # Dilsen-Stokkem joined today
        after = client.get("/card-systems/1", headers=login("desk-maasmechelen")).json()
        assert [c["postalCode"] for c in after["cities"]] == ["3620", "3630", "3650"]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"postalCode": "1501"}, [3]),
            ({"postalCode": ["3650", "2222"]}, [1, 2]),
            ({"city": "Buizingen"}, [3]),  # the post's place name of 1501 Halle
            ({"city": "heist-op-den-berg"}, [2]),
            ({"city": "Halle", "postalCode": "3630"}, []),  # filters must all match
            ({"permanent": "false"}, []),  # no temporary card systems here
            ({"city": "Gent"}, []),
        ],
    )
    def test_filters(
        self, client: TestClient, login: Login, params: dict[str, Any], expected: list[int]
    ) -> None:
        response = client.get("/card-systems", params=params, headers=login("desk-heist"))
        assert response.status_code == 200, response.text
        assert ids(response.json()) == expected
        assert response.json()["totalItems"] == len(expected)

    def test_pages_with_start_and_limit(self, client: TestClient, login: Login) -> None:
        desk = login("desk-halle")
        page = client.get("/card-systems", params={"start": 1, "limit": 1}, headers=desk).json()
        assert page["totalItems"] == 3
        assert ids(page) == [2]
        too_many = client.get("/card-systems", params={"limit": 501}, headers=desk)
        assert too_many.status_code == 400
        assert too_many.json()["code"] == "query-limit-exceeded"

    def test_a_malformed_postal_code_is_refused(self, client: TestClient, login: Login) -> None:
        response = client.get(
            "/card-systems", params={"postalCode": "36300"}, headers=login("desk-maasmechelen")
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-postal-code"

    @pytest.mark.parametrize("card_system_id", ["99", "abc", "-1"])
    def test_an_unknown_card_system_is_404(
        self, client: TestClient, login: Login, card_system_id: str
    ) -> None:
        response = client.get(f"/card-systems/{card_system_id}", headers=login("referrer-halle"))
        assert response.status_code == 404
        assert response.json()["code"] == "cardsystem-not-found"

    def test_a_token_is_needed(self, client: TestClient) -> None:
        assert client.get("/card-systems").status_code == 401


class TestGetEventSettings:
    def test_an_event_without_limits_shows_the_defaults_of_dated_events(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get(f"/events/{EVENT}/settings", headers=login("desk-maasmechelen"))
        assert response.status_code == 200, response.text
        assert response.json() == {
            "id": EVENT,
            "checkinPoints": 1,
            "passholderTicketLimit": {"volume": 1, "periodType": "ABSOLUTE"},
            "checkinLimit": {"volume": 1, "periodType": "DAY"},
        }

    def test_a_permanent_offer_defaults_to_one_ticket_a_week_and_keeps_its_own_limit(
        self, client: TestClient, login: Login
    ) -> None:
        body = client.get(
            f"/events/{PERMANENT_EVENT}/settings", headers=login("admin-maasmechelen")
        ).json()
        assert body["passholderTicketLimit"] == {"volume": 1, "periodType": "WEEK"}
        assert body["checkinLimit"] == {"volume": 2, "periodType": "WEEK"}  # its own

    def test_a_permanent_offer_without_a_checkin_limit_defaults_to_one_a_week(
        self, client: TestClient, login: Login
    ) -> None:
        body = client.get(
            "/events/evt-bib-lanaken-lidmaatschap/settings", headers=login("admin-maasmechelen")
        ).json()
        assert body["passholderTicketLimit"] == {"volume": 1, "periodType": "YEAR"}  # its own
        assert body["checkinLimit"] == {"volume": 1, "periodType": "WEEK"}

    def test_an_unknown_event_is_404(self, client: TestClient, login: Login) -> None:
        response = client.get("/events/nope/settings", headers=login("desk-maasmechelen"))
        assert response.status_code == 404
        assert response.json()["code"] == "event-not-found"

    def test_another_organizers_desk_is_refused(self, client: TestClient, login: Login) -> None:
        response = client.get(f"/events/{EVENT}/settings", headers=login("desk-heist"))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_a_client_without_the_permission_is_refused(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get(f"/events/{EVENT}/settings", headers=login("referrer-maasmechelen"))
        assert response.status_code == 403


class TestPutEventSettings:
    def test_a_region_admin_sets_a_limit_that_the_tariffs_then_apply(
        self, client: TestClient, login: Login, audit: Audit
    ) -> None:
        admin = login("admin-maasmechelen")
        response = client.put(
            f"/events/{EVENT}/settings",
            json={
                "id": EVENT,
                "checkinPoints": 3,
                "passholderTicketLimit": {"volume": 2, "periodType": "WEEK"},
            },
            headers=admin,
        )
        assert response.status_code == 204, response.text
        assert response.content == b""
        assert client.get(f"/events/{EVENT}/settings", headers=admin).json() == {
            "id": EVENT,
            "checkinPoints": 3,
            "passholderTicketLimit": {"volume": 2, "periodType": "WEEK"},
            "checkinLimit": {"volume": 1, "periodType": "DAY"},  # left out: the default
        }
        tariffs = client.get(
            "/tariffs",
            params={"uitpasNumber": ACTIVE, "eventId": EVENT, "regularPrice": "12.50"},
            headers=login("desk-maasmechelen"),
        ).json()
        assert tariffs["available"][0]["remaining"] == 2
        [row] = audit("event.settings.updated")
        assert row.actor_client_id == "demo-admin-maasmechelen"
        assert row.subject == f"event:{EVENT}"
        assert row.details == {
            "before": {"checkin_points": 1, "ticket_limit": None, "checkin_limit": None},
            "after": {
                "checkin_points": 3,
                "ticket_limit": {"volume": 2, "period": "WEEK"},
                "checkin_limit": None,
            },
        }

    def test_a_limit_left_out_falls_back_to_the_default_again(
        self, client: TestClient, login: Login
    ) -> None:
        admin = login("admin-maasmechelen")
        url = f"/events/{PERMANENT_EVENT}/settings"
        assert client.put(url, json={"checkinPoints": 1}, headers=admin).status_code == 204
        body = client.get(url, headers=admin).json()
        assert body["checkinLimit"] == {"volume": 1, "periodType": "WEEK"}

    def test_the_events_own_desk_may_update_with_the_permission(
        self, client: TestClient, login: Login, grant: Grant
    ) -> None:
        grant("demo-desk-maasmechelen", "EVENT_SETTINGS_UPDATE")
        desk = login("desk-maasmechelen")
        response = client.put(
            f"/events/{EVENT}/settings",
            json={"checkinPoints": 2, "checkinLimit": {"volume": 3, "periodType": "MONTH"}},
            headers=desk,
        )
        assert response.status_code == 204, response.text
        body = client.get(f"/events/{EVENT}/settings", headers=desk).json()
        assert body["checkinLimit"] == {"volume": 3, "periodType": "MONTH"}

    def test_a_desk_of_another_organizer_is_refused_even_with_the_permission(
        self, client: TestClient, login: Login, grant: Grant, audit: Audit
    ) -> None:
        grant("demo-desk-heist", "EVENT_SETTINGS_UPDATE")
        response = client.put(
            f"/events/{EVENT}/settings", json={"checkinPoints": 50}, headers=login("desk-heist")
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        body = client.get(f"/events/{EVENT}/settings", headers=login("desk-maasmechelen")).json()
        assert body["checkinPoints"] == 1
        assert audit("event.settings.updated") == []

    def test_a_desk_without_the_permission_is_refused(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.put(
            f"/events/{EVENT}/settings",
            json={"checkinPoints": 2},
            headers=login("desk-maasmechelen"),
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_the_admin_of_another_region_is_refused(self, client: TestClient, login: Login) -> None:
        response = client.put(
            f"/events/{EVENT}/settings", json={"checkinPoints": 2}, headers=login("admin-heist")
        )
        assert response.status_code == 403

    def test_an_unknown_event_is_404(self, client: TestClient, login: Login) -> None:
        response = client.put(
            "/events/nope/settings", json={"checkinPoints": 1}, headers=login("admin-heist")
        )
        assert response.status_code == 404
        assert response.json()["code"] == "event-not-found"

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"checkinPoints": -1},
            {"checkinPoints": "2"},
            {"checkinPoints": 1.5},
            {"checkinPoints": 1, "checkinLimit": {"volume": 1, "periodType": "FORTNIGHT"}},
            {"checkinPoints": 1, "checkinLimit": {"volume": -1, "periodType": "DAY"}},
            {"checkinPoints": 1, "passholderTicketLimit": {"volume": 1}},
            {"checkinPoints": 1, "id": "evt-cc-maasmechelen-familie"},
        ],
    )
    def test_an_invalid_body_is_refused(
        self, client: TestClient, login: Login, body: dict[str, Any]
    ) -> None:
        response = client.put(
            f"/events/{EVENT}/settings", json=body, headers=login("admin-maasmechelen")
        )
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid-data"


class TestOrganizers:
    def test_a_desk_sees_its_own_organizer(self, client: TestClient, login: Login) -> None:
        response = client.get("/organizers", headers=login("desk-maasmechelen"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalItems"] == 1
        [organizer] = body["member"]
        assert organizer["id"] == "org-cc-maasmechelen"
        assert organizer["address"] == {
            "street": "Koninginnelaan 30",
            "postalCode": "3630",
            "city": "Maasmechelen",
        }
        assert [s["id"] for s in organizer["cardSystems"]] == [1]
        assert len(organizer["cardSystems"][0]["cities"]) == 3

    def test_a_region_admin_sees_the_organizers_of_its_region_sorted_by_name(
        self, client: TestClient, login: Login
    ) -> None:
        admin = login("admin-maasmechelen")
        body = client.get("/organizers", headers=admin).json()
        assert body["totalItems"] == MAASLAND_ORGANIZERS
        names = [o["name"] for o in body["member"]]
        assert names == sorted(names)
        assert "org-zwaneberg" not in ids(body)
        reverse = client.get("/organizers", params={"sort[name]": "desc"}, headers=admin).json()
        assert [o["name"] for o in reverse["member"]] == names[::-1]
        page = client.get("/organizers", params={"start": 2, "limit": 2}, headers=admin).json()
        assert [o["name"] for o in page["member"]] == names[2:4]

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("*maasmechelen*", 4),
            ("sportdienst*", 1),
            ("Bibliotheek De Bron Lanaken", 1),
            ("bibliotheek de bron lanaken", 1),
            ("Bibliotheek", 0),  # without a wildcard the whole name must match
            ("%", 0),  # SQL wildcards are matched literally
        ],
    )
    def test_the_name_filter_takes_a_wildcard(
        self, client: TestClient, login: Login, name: str, expected: int
    ) -> None:
        body = client.get(
            "/organizers", params={"name": name}, headers=login("admin-maasmechelen")
        ).json()
        assert body["totalItems"] == expected

    def test_the_card_system_filter(self, client: TestClient, login: Login) -> None:
        admin = login("admin-maasmechelen")
        own = client.get("/organizers", params={"cardSystemId": 1}, headers=admin).json()
        assert own["totalItems"] == MAASLAND_ORGANIZERS
        other = client.get("/organizers", params={"cardSystemId": 2}, headers=admin).json()
        assert other == {"totalItems": 0, "member": []}
        unknown = client.get("/organizers", params={"cardSystemId": 99}, headers=admin)
        assert unknown.status_code == 400
        assert unknown.json()["code"] == "cardsystem-not-found"

    def test_one_organizer_by_id(self, client: TestClient, login: Login) -> None:
        response = client.get("/organizers/org-bib-lanaken", headers=login("admin-maasmechelen"))
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Bibliotheek De Bron Lanaken"
        assert response.json()["address"]["city"] == "Lanaken"

    def test_an_unknown_organizer_is_404(self, client: TestClient, login: Login) -> None:
        response = client.get("/organizers/nope", headers=login("admin-maasmechelen"))
        assert response.status_code == 404
        assert response.json()["code"] == "organizer-not-found"

    @pytest.mark.parametrize(
        ("who", "organizer_id"),
        [
            ("desk-maasmechelen", "org-sport-maasmechelen"),  # another organizer
            ("admin-heist", "org-cc-maasmechelen"),  # another region
        ],
    )
    def test_an_organizer_outside_the_scope_is_403(
        self, client: TestClient, login: Login, who: str, organizer_id: str
    ) -> None:
        response = client.get(f"/organizers/{organizer_id}", headers=login(who))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_a_client_without_organizers_search_is_refused(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get("/organizers", headers=login("referrer-maasmechelen"))
        assert response.status_code == 403


class TestGroupPasses:
    def sell(self, client: TestClient, desk: dict[str, str]) -> str:
        tariffs = client.get(
            "/tariffs",
            params={"uitpasNumber": GROUP_PASS, "eventId": EVENT, "regularPrice": "10"},
            headers=desk,
        ).json()
        [tariff] = tariffs["available"]
        sale = client.post(
            "/ticket-sales",
            json=[
                {
                    "regularPrice": 10,
                    "tariff": {"id": tariff["id"]},
                    "eventId": EVENT,
                    "uitpasNumber": GROUP_PASS,
                }
            ],
            headers=desk,
        )
        assert sale.status_code == 200, sale.text
        sale_id: str = sale.json()[0]["id"]
        return sale_id

    def test_search_by_uitpas_number(self, client: TestClient, login: Login) -> None:
        response = client.get(
            "/grouppasses", params={"uitpasNumber": GROUP_PASS}, headers=login("desk-maasmechelen")
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalItems"] == 1
        [group] = body["member"]
        assert group["id"] == GROUP_PASS_ID
        assert group["name"] == "Groepspas vzw Ons Huis Maasland"
        assert group["uitpasNumber"] == GROUP_PASS
        assert group["cardStatus"] == "ACTIVE"
        assert group["socialTariff"] == {
            "status": "ACTIVE",
            "totalTicketsPerYear": 20,
            "availableTickets": 20,
        }
        assert group["cardSystem"]["id"] == 1

    def test_remaining_tickets_count_this_years_sales_until_cancelled(
        self, client: TestClient, login: Login, clock: Clock
    ) -> None:
        desk = login("desk-maasmechelen")
        sale_id = self.sell(client, desk)
        url = f"/grouppasses/{GROUP_PASS_ID}"
        assert client.get(url, headers=desk).json()["socialTariff"]["availableTickets"] == 19
        self.sell(client, desk)
        assert client.get(url, headers=desk).json()["socialTariff"]["availableTickets"] == 18
        assert client.delete(f"/ticket-sales/{sale_id}", headers=desk).status_code == 204
        assert client.get(url, headers=desk).json()["socialTariff"]["availableTickets"] == 19
        clock.now = datetime(2027, 1, 1, 0, 5, tzinfo=BRUSSELS)  # a new year in Brussels
        desk = login("desk-maasmechelen")
        assert client.get(url, headers=desk).json()["socialTariff"]["availableTickets"] == 20

    def test_a_group_pass_of_another_region_does_not_exist_for_the_caller(
        self, client: TestClient, login: Login
    ) -> None:
        desk = login("desk-heist")
        found = client.get("/grouppasses", params={"uitpasNumber": GROUP_PASS}, headers=desk)
        assert found.json() == {"totalItems": 0, "member": []}
        response = client.get(f"/grouppasses/{GROUP_PASS_ID}", headers=desk)
        assert response.status_code == 404
        assert response.json()["code"] == "passholder-not-found"

    def test_an_unknown_group_pass_is_404(self, client: TestClient, login: Login) -> None:
        response = client.get("/grouppasses/nope", headers=login("desk-maasmechelen"))
        assert response.status_code == 404
        assert response.json()["code"] == "passholder-not-found"

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"uitpasNumber": "7247908007355"}, "invalid-uitpas-number"),
            ({}, "invalid-data"),
            ({"chipNumber": "not-hex"}, "invalid-chip-number"),
        ],
    )
    def test_bad_searches_are_refused(
        self, client: TestClient, login: Login, params: dict[str, str], code: str
    ) -> None:
        response = client.get("/grouppasses", params=params, headers=login("desk-maasmechelen"))
        assert response.status_code == 400
        assert response.json()["code"] == code

    def test_a_chip_number_of_a_holders_card_finds_no_group_pass(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get(
            "/grouppasses",
            params={"chipNumber": "04A1C35B7E2D80"},
            headers=login("desk-maasmechelen"),
        )
        assert response.json() == {"totalItems": 0, "member": []}

    def test_a_client_without_grouppasses_search_is_refused(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get(
            "/grouppasses",
            params={"uitpasNumber": GROUP_PASS},
            headers=login("referrer-maasmechelen"),
        )
        assert response.status_code == 403


class TestPermissions:
    def test_a_desk_gets_its_organizer_and_its_permissions(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get("/permissions", headers=login("desk-maasmechelen"))
        assert response.status_code == 200, response.text
        [entry] = response.json()
        assert entry["organizer"]["id"] == "org-cc-maasmechelen"
        assert "TICKETSALES_REGISTER" in entry["permissions"]
        assert entry["permissions"] == sorted(entry["permissions"])
        assert [d["id"] for d in entry["permissionDetails"]] == entry["permissions"]
        tariffs = next(d for d in entry["permissionDetails"] if d["id"] == "TARIFFS_READ")
        assert tariffs == {
            "id": "TARIFFS_READ",
            "label": {"nl": "Tarieven opvragen", "en": "Read tariffs"},
            "cardSystemIds": [1],
        }

    def test_a_region_admin_gets_every_organizer_of_its_region_without_our_own_permissions(
        self, client: TestClient, login: Login
    ) -> None:
        body = client.get("/permissions", headers=login("admin-maasmechelen")).json()
        assert len(body) == MAASLAND_ORGANIZERS
        assert {e["organizer"]["id"] for e in body} >= {"org-cc-maasmechelen", "org-bib-lanaken"}
        for entry in body:
            assert "EVENT_SETTINGS_UPDATE" in entry["permissions"]
            assert not {"REGION_ADMIN", "AUDIT_READ"} & set(entry["permissions"])
            assert all(d["cardSystemIds"] == [1] for d in entry["permissionDetails"])

    def test_a_referrer_acts_for_no_organizer(self, client: TestClient, login: Login) -> None:
        response = client.get("/permissions", headers=login("referrer-halle"))
        assert response.status_code == 200
        assert response.json() == []


class TestActiveSocialTariffCards:
    def test_lists_the_cards_with_an_active_status_today_and_nothing_more(
        self, client: TestClient, login: Login, audit: Audit
    ) -> None:
        response = client.get("/cards/social-tariff/1/active", headers=login("admin-maasmechelen"))
        assert response.status_code == 200, response.text
        cards = response.json()
        regular = {c["uitpasNumber"] for c in cards if c["cardType"] == "REGULAR"}
        assert {ACTIVE, GRACE} <= regular  # the grace period still counts
        assert not {EXPIRED, SUSPENDED, NO_STATUS, BLOCKED_CARD} & regular
        assert {"uitpasNumber": GROUP_PASS, "cardType": "GROUP", "availableTickets": 20} in cards
        for card in cards:
            assert set(card) <= {"uitpasNumber", "cardType", "availableTickets"}
            assert ("availableTickets" in card) == (card["cardType"] == "GROUP")
        assert ACTIVE_INSZ not in response.text
        assert "VERHOOGDE" not in response.text
        [row] = audit("cards.social_tariff.exported")
        assert row.actor_client_id == "demo-admin-maasmechelen"
        assert row.subject == "region:1"
        assert row.holder_id is None
        assert row.details["regular"] == len(regular)

    def test_agrees_with_what_a_desk_sees_on_the_pass(
        self, client: TestClient, login: Login
    ) -> None:
        cards = client.get("/cards/social-tariff/1/active", headers=login("admin-maasmechelen"))
        regular = sorted(c["uitpasNumber"] for c in cards.json() if c["cardType"] == "REGULAR")
        assert len(regular) > 10  # demo holders and synthetic holders with a status
        desk = login("desk-maasmechelen")
        for number in regular[:5]:
            found = client.get(f"/passes/{number}", headers=desk).json()
            assert found["socialTariff"]["status"] == "ACTIVE", number

    @pytest.mark.parametrize(
        ("who", "card_system_id"),
        [
            ("admin-heist", "1"),  # another region
            ("admin-maasmechelen", "99"),  # unknown: the spec documents no 404 here
            ("admin-maasmechelen", "x"),
            ("desk-maasmechelen", "1"),  # not region staff
            ("referrer-maasmechelen", "1"),
        ],
    )
    def test_only_region_staff_of_that_region(
        self, client: TestClient, login: Login, who: str, card_system_id: str
    ) -> None:
        response = client.get(f"/cards/social-tariff/{card_system_id}/active", headers=login(who))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
