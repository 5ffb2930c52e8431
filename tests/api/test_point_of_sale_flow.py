"""The README's walk-through: look up a demo card, get the kansentarief for a demo event, sell,
see the sale, cancel it, check in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import Clock

ACTIVE = "6451620999770"  # Maasland demo holder with an active kansenstatuut
EXPIRED = "7130536448614"
BLOCKED = "9609790229107"
EVENT = "evt-cc-maasmechelen-comedy"  # tonight, 20:00, organizer org-cc-maasmechelen

Login = Callable[[str], dict[str, str]]


class TestScanAndSell:
    def test_the_whole_flow(self, client: TestClient, login: Login, clock: Clock) -> None:
        desk = login("desk-maasmechelen")
        found = client.get("/passes", params={"identifier": ACTIVE}, headers=desk)
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["socialTariff"]["status"] == "ACTIVE"
        assert body["cardSystem"]["id"] == 1
        assert "inszNumber" not in body
        assert not {"ground", "name", "street", "birthDate"} & set(body)

        tariffs = client.get(
            "/tariffs",
            params={"uitpasNumber": ACTIVE, "eventId": EVENT, "regularPrice": "12.50"},
            headers=desk,
        )
        assert tariffs.status_code == 200, tariffs.text
        [tariff] = tariffs.json()["available"]
        assert tariff == {
            "id": "SOCIALTARIFF-kansentarief",
            "name": "UiTPAS Kansentarief",
            "price": 2.5,
            "type": "SOCIALTARIFF",
            "remaining": 1,
        }

        sale = client.post(
            "/ticket-sales",
            json=[
                {
                    "regularPrice": 12.5,
                    "tariff": {"id": tariff["id"]},
                    "eventId": EVENT,
                    "uitpasNumber": ACTIVE,
                }
            ],
            headers=desk | {"Idempotency-Key": "sale-1"},
        )
        assert sale.status_code == 200, sale.text
        [sold] = sale.json()
        assert sold["tariff"]["price"] == 2.5
        assert sold["regularPrice"] == 12.5

        again = client.get(
            "/tariffs",
            params={"uitpasNumber": ACTIVE, "eventId": EVENT, "regularPrice": "12.50"},
            headers=desk,
        )
        assert again.json()["available"] == []
        assert "maximum" in again.json()["endUserMessage"]["nl"]

        listed = client.get("/ticket-sales", params={"eventId": EVENT}, headers=desk).json()
        assert [s["id"] for s in listed["member"]] == [sold["id"]]
        assert listed["member"][0]["tariff"]["name"] == "UiTPAS Kansentarief"

        assert client.delete(f"/ticket-sales/{sold['id']}", headers=desk).status_code == 204
        assert client.delete(f"/ticket-sales/{sold['id']}", headers=desk).status_code == 204
        restored = client.get(
            "/tariffs",
            params={"uitpasNumber": ACTIVE, "eventId": EVENT, "regularPrice": "12.50"},
            headers=desk,
        )
        assert restored.json()["available"][0]["remaining"] == 1

        points_before = body["points"]
        checkin = client.post(
            "/checkins", json={"eventId": EVENT, "uitpasNumber": ACTIVE}, headers=desk
        )
        assert checkin.status_code == 201, checkin.text
        points = checkin.json()["points"]
        after = client.get(f"/passes/{ACTIVE}", headers=desk).json()
        assert after["points"] == points_before + points
        status = client.get(
            "/checkin-status", params={"uitpasNumber": ACTIVE, "eventId": EVENT}, headers=desk
        ).json()
        assert status["allowed"] is False
        clock.now += timedelta(days=1)
        desk = login("desk-maasmechelen")  # yesterday's token has expired
        assert (
            client.get(
                "/checkin-status", params={"uitpasNumber": ACTIVE, "eventId": EVENT}, headers=desk
            ).json()["allowed"]
            is False  # the event is over by tomorrow evening
        )

    def test_an_expired_status_is_explained(self, client: TestClient, login: Login) -> None:
        desk = login("desk-maasmechelen")
        response = client.get(
            "/tariffs",
            params={"uitpasNumber": EXPIRED, "eventId": EVENT, "regularPrice": "10"},
            headers=desk,
        )
        assert response.status_code == 200
        assert response.json()["available"] == []
        assert "verlopen" in response.json()["endUserMessage"]["nl"]
        sale = client.post(
            "/ticket-sales",
            json=[
                {
                    "regularPrice": 10,
                    "tariff": {"id": "SOCIALTARIFF-kansentarief"},
                    "eventId": EVENT,
                    "uitpasNumber": EXPIRED,
                }
            ],
            headers=desk,
        )
        assert sale.status_code == 400
        assert sale.json()["code"] == "social-tariff-expired"
        assert "verlopen" in sale.json()["endUserMessage"]["nl"]

    def test_a_blocked_card_is_refused_at_lookup(self, client: TestClient, login: Login) -> None:
        response = client.get(
            "/passes", params={"identifier": BLOCKED}, headers=login("desk-maasmechelen")
        )
        assert response.status_code == 400
        assert response.json()["code"] == "card-blocked"

    def test_a_malformed_card_number_is_refused_before_the_database(
        self, client: TestClient, login: Login
    ) -> None:
        desk = login("desk-maasmechelen")
        for bad in ("6451620999771", "645162099977", "64516209997A0"):
            response = client.get(f"/passes/{bad}", headers=desk)
            assert response.status_code == 400, bad
            assert response.json()["code"] == "invalid-uitpas-number"

    def test_another_organizers_desk_cannot_sell_for_this_event(
        self, client: TestClient, login: Login
    ) -> None:
        other = login("desk-heist")
        response = client.post(
            "/ticket-sales",
            json=[
                {
                    "regularPrice": 10,
                    "tariff": {"id": "SOCIALTARIFF-kansentarief"},
                    "eventId": EVENT,
                    "uitpasNumber": ACTIVE,
                }
            ],
            headers=other,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_an_idempotency_key_replays_the_first_answer(
        self, client: TestClient, login: Login
    ) -> None:
        desk = login("desk-maasmechelen") | {"Idempotency-Key": "retry-me"}
        payload = [
            {
                "regularPrice": 10,
                "tariff": {"id": "SOCIALTARIFF-kansentarief"},
                "eventId": EVENT,
                "uitpasNumber": ACTIVE,
            }
        ]
        first = client.post("/ticket-sales", json=payload, headers=desk)
        second = client.post("/ticket-sales", json=payload, headers=desk)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        listed = client.get("/ticket-sales", params={"eventId": EVENT}, headers=desk).json()
        assert listed["totalItems"] == 1
        changed = client.post(
            "/ticket-sales", json=[payload[0] | {"regularPrice": 11}], headers=desk
        )
        assert changed.status_code == 400
        assert changed.json()["code"] == "idempotency-key-reused"

    def test_no_token_is_401_and_a_wrong_secret_is_audited(self, client: TestClient) -> None:
        response = client.get("/passes", params={"identifier": ACTIVE})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        bad = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "demo-desk-maasmechelen",
                "client_secret": "nope",
            },
        )
        assert bad.status_code == 401
        assert bad.json()["code"] == "invalid-client"

    def test_an_expired_token_is_refused(
        self, client: TestClient, login: Login, clock: Clock
    ) -> None:
        desk = login("desk-maasmechelen")
        clock.now += timedelta(minutes=16)
        response = client.get(f"/passes/{ACTIVE}", headers=desk)
        assert response.status_code == 401
        assert response.json()["code"] == "token-expired"
