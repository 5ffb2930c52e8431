"""The UiTPAS registration operations: register, search, read, update, memberships."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

Login = Callable[[str], dict[str, str]]
INSZ = "01030440234"
BODY: dict[str, object] = {
    "name": "Janssens",
    "firstName": "Noor",
    "dateOfBirth": "2001-03-04",
    "address": {"street": "Rijksweg 20", "postalCode": "3630", "city": "Maasmechelen"},
    "inszNumber": INSZ,
    "registrationCardSystemId": 1,
    "registrationCardType": "DIGITAL",
    "registrationSocialTariffEndDate": "2027-04-30",
}


class TestPassholders:
    def test_register_read_search_and_update(self, client: TestClient, login: Login) -> None:
        referrer = login("referrer-maasmechelen")
        created = client.post("/passholders", json=BODY, headers=referrer)
        assert created.status_code == 200, created.text
        holder = created.json()
        [membership] = holder["cardSystemMemberships"]
        assert membership["socialTariff"]["status"] == "ACTIVE"
        assert membership["currentCard"]["cardType"] == "DIGITAL"
        assert holder["address"]["city"] == "Maasmechelen"
        assert "inszNumber" not in holder
        found = client.get("/passholders", params={"inszNumber": INSZ}, headers=referrer)
        assert found.json()["totalItems"] == 1
        assert found.json()["member"][0]["id"] == holder["id"]
        update = BODY | {"phoneNumber": "089 12 34 56"}
        assert (
            client.put(f"/passholders/{holder['id']}", json=update, headers=referrer).status_code
            == 204
        )
        again = client.get(f"/passholders/{holder['id']}", headers=referrer).json()
        assert again["phoneNumber"] == "089 12 34 56"

    def test_a_search_outside_ones_regions_finds_nothing(
        self, client: TestClient, login: Login
    ) -> None:
        client.post("/passholders", json=BODY, headers=login("referrer-maasmechelen"))
        other = client.get(
            "/passholders",
            params={"inszNumber": INSZ},
            headers=login("referrer-heist"),
        )
        assert other.json()["totalItems"] == 0

    def test_membership_preview_and_move(self, client: TestClient, login: Login) -> None:
        created = client.post(
            "/passholders", json=BODY, headers=login("referrer-maasmechelen")
        ).json()
        admin = login("admin-heist")
        params = {"socialTariff": "true", "organizerId": "org-zwaneberg"}
        preview = client.get(
            f"/passholders/{created['id']}/memberships/2", params=params, headers=admin
        )
        assert preview.status_code == 200, preview.text
        assert preview.json()["type"] == "REPLACE_MEMBERSHIP"
        assert preview.json()["addressChangeRequired"] is True
        moved = client.post(
            f"/passholders/{created['id']}/memberships/2",
            json={
                "cardType": "DIGITAL",
                "registrationOrganizer": {"id": "org-zwaneberg"},
                "address": {
                    "street": "Kerkplein 1",
                    "postalCode": "2220",
                    "city": "Heist-op-den-Berg",
                },
            },
            headers=admin,
        )
        assert moved.status_code == 201, moved.text
        same = client.get(
            f"/passholders/{created['id']}/memberships/2", params=params, headers=admin
        )
        assert same.json()["type"] == "NOT_POSSIBLE"
