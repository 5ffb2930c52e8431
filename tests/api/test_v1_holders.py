"""Referrers and region administrators through the native API: registration, statuses, cards,
bulk files, follow-up lists, the audit log and GDPR, on the demo regions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from passengine.domain.identifiers import make_insz
from passengine.storage import tables as t
from passengine.storage.base import Base
from passengine.storage.db import make_engine

Login = Callable[[str], dict[str, str]]
ACTIVE = "6451620999770"  # Maasland, kansenstatuut, 24 points
NO_STATUS = "1287327660058"
NEW_INSZ = make_insz(date(1990, 6, 15), 401)


def count(url: str, model: type[Base], *where: object) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(model)
            for clause in where:
                query = query.where(clause)  # type: ignore[arg-type]
            return conn.scalar(query) or 0
    finally:
        engine.dispose()


def registration(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "region_id": 1,
        "name": "Vermeulen",
        "first_name": "Sara",
        "birth_date": "1990-06-15",
        "address": {"street": "Rijksweg 12", "postal_code": "3630"},
        "insz": NEW_INSZ,
        "status": {"target_group": "KANSENSTATUUT", "ground": "LEEFLOON"},
    }
    body.update(changes)
    return body


def holder_of(client: TestClient, headers: dict[str, str], number: str) -> str:
    return str(client.get(f"/passes/{number}", headers=headers).json()["passholderId"])


class TestRegistration:
    def test_a_referrer_registers_a_person_with_a_status(
        self, client: TestClient, login: Login
    ) -> None:
        referrer = login("referrer-maasmechelen")
        response = client.post("/v1/holders", json=registration(), headers=referrer)
        assert response.status_code == 201, response.text
        holder = response.json()
        [card] = holder["cards"]
        assert card["card_type"] == "DIGITAL"
        [status] = holder["statuses"]
        assert status["state"] == "ACTIVE"
        assert status["end_date"] == "2027-04-30"  # 30 April of next year
        assert status["ground"] == "LEEFLOON"  # the referrer may see why
        assert "insz" not in holder
        desk = login("desk-maasmechelen")
        scanned = client.get(f"/passes/{card['uitpas_number']}", headers=desk).json()
        assert scanned["socialTariff"]["status"] == "ACTIVE"
        assert client.get(f"/v1/holders/{holder['id']}", headers=desk).status_code == 403

    def test_the_same_insz_cannot_register_twice(self, client: TestClient, login: Login) -> None:
        referrer = login("referrer-maasmechelen")
        assert client.post("/v1/holders", json=registration(), headers=referrer).status_code == 201
        again = client.post("/v1/holders", json=registration(first_name="Sarah"), headers=referrer)
        assert again.status_code == 409
        assert again.json()["code"] == "passholder-already-registered"

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"insz": "90061540199"}, "invalid-insz-number"),
            (
                {"address": {"street": "Markt 1", "postal_code": "2220"}},
                "postal-code-not-in-card-system",
            ),
            ({"address": {"street": "Markt 1", "postal_code": "9999"}}, "invalid-postal-code"),
            ({"status": {"target_group": "SENIOR"}}, "invalid-target-group"),
            ({"uitpas_number": ACTIVE}, "invalid-card-status"),
        ],
    )
    def test_bad_registrations_are_refused_and_write_nothing(
        self,
        client: TestClient,
        login: Login,
        demo_db_url: str,
        changes: dict[str, object],
        code: str,
    ) -> None:
        before = count(demo_db_url, t.PassHolder)
        response = client.post(
            "/v1/holders", json=registration(**changes), headers=login("referrer-maasmechelen")
        )
        assert response.status_code in (400, 409), response.text
        assert response.json()["code"] == code
        assert count(demo_db_url, t.PassHolder) == before

    def test_a_stock_card_can_be_handed_out(
        self, client: TestClient, login: Login, demo_db_url: str
    ) -> None:
        engine = make_engine(demo_db_url)
        with engine.connect() as conn:
            stock = conn.scalar(
                select(t.Card.uitpas_number)
                .where(t.Card.region_id == 1, t.Card.status == "LOCAL_STOCK")
                .limit(1)
            )
        engine.dispose()
        assert stock is not None
        response = client.post(
            "/v1/holders",
            json=registration(uitpas_number=stock),
            headers=login("referrer-maasmechelen"),
        )
        assert response.status_code == 201, response.text
        assert response.json()["cards"][0] == {
            "uitpas_number": stock,
            "status": "ACTIVE",
            "card_type": "NFC_CARD",
            "region_id": 1,
            "replaces": None,
            "block_reason": None,
        }

    def test_a_caller_without_a_mandate_cannot_register(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.post(
            "/v1/holders", json=registration(), headers=login("desk-maasmechelen")
        )
        assert response.status_code == 403


class TestStatuses:
    def test_suspend_end_and_renew_change_what_the_desk_sees(
        self, client: TestClient, login: Login
    ) -> None:
        referrer = login("referrer-maasmechelen")
        desk = login("desk-maasmechelen")
        holder = client.post("/v1/holders", json=registration(), headers=referrer).json()
        number = holder["cards"][0]["uitpas_number"]
        status_id = holder["statuses"][0]["id"]
        assert (
            client.post(
                f"/v1/statuses/{status_id}/suspend", json={"until": "2026-12-31"}, headers=referrer
            ).status_code
            == 204
        )
        assert (
            client.get(f"/passes/{number}", headers=desk).json()["socialTariff"]["status"]
            == "EXPIRED"
        )
        assert (
            client.post(f"/v1/statuses/{status_id}/end", json={}, headers=referrer).status_code
            == 204
        )
        renewed = client.post(
            f"/v1/statuses/{status_id}/renew", json={"end_date": "2027-12-31"}, headers=referrer
        )
        assert renewed.status_code == 201, renewed.text
        view = client.get(f"/v1/holders/{holder['id']}", headers=referrer).json()
        assert [s["end_date"] for s in view["statuses"]] == ["2027-04-30", "2027-12-31"]
        assert (
            client.get(f"/passes/{number}", headers=desk).json()["socialTariff"]["status"]
            == "ACTIVE"
        )

    def test_a_referrer_without_the_mandate_to_grant_cannot(
        self, client: TestClient, login: Login
    ) -> None:
        # A ticket desk may not grant statuses (only an authorised registration desk may).
        desk = login("desk-maasmechelen")
        holder_id = holder_of(client, desk, NO_STATUS)
        response = client.post(
            f"/v1/holders/{holder_id}/statuses",
            json={"region_id": 1, "target_group": "KANSENSTATUUT"},
            headers=desk,
        )
        assert response.status_code == 403


class TestBulkRenewal:
    def test_a_dry_run_reports_and_apply_renews_all_or_nothing(
        self, client: TestClient, login: Login, demo_db_url: str
    ) -> None:
        referrer = login("referrer-maasmechelen")
        client.post("/v1/holders", json=registration(), headers=referrer)
        unknown = make_insz(date(1970, 1, 1), 402)
        csv_text = f"insz\n{NEW_INSZ}\n\n{unknown}\n"
        headers = referrer | {"Content-Type": "text/csv"}
        dry = client.post(
            "/v1/regions/1/statuses/bulk-renewal?end_date=2028-04-30",
            content=csv_text,
            headers=headers,
        )
        assert dry.status_code == 200, dry.text
        assert dry.json()["counts"]["RENEW"] == 1
        assert dry.json()["counts"]["NOT_FOUND"] == 1
        statuses = count(demo_db_url, t.SocialTariffStatusRow)
        assert dry.json()["applied"] is False
        bad = client.post(
            "/v1/regions/1/statuses/bulk-renewal?apply=true",
            content=csv_text + "12345678901\n",
            headers=headers,
        )
        assert bad.status_code == 400
        assert bad.json()["code"] == "bulk-renewal-refused"
        assert count(demo_db_url, t.SocialTariffStatusRow) == statuses
        done = client.post(
            "/v1/regions/1/statuses/bulk-renewal?apply=true&end_date=2028-04-30",
            content=csv_text,
            headers=headers,
        )
        assert done.json()["changed"] == 1
        assert count(demo_db_url, t.SocialTariffStatusRow) == statuses + 1


class TestCards:
    def test_stock_import_is_all_or_nothing(
        self, client: TestClient, login: Login, demo_db_url: str
    ) -> None:
        admin = login("admin-maasmechelen") | {"Content-Type": "text/csv"}
        before = count(demo_db_url, t.Card)
        good = "chip;card\n04AA11BB22CC33;4001000000004\n04AA11BB22CC34;5203000000013\n"
        bad = good + "nonsense;6100000000011\n"
        refused = client.post("/v1/regions/1/cards/stock", content=bad, headers=admin)
        assert refused.status_code == 400
        assert refused.json()["code"] == "card-stock-refused"
        assert count(demo_db_url, t.Card) == before
        assert client.post("/v1/regions/1/cards/stock", content=good, headers=admin).json() == {
            "imported": 2
        }
        assert count(demo_db_url, t.Card) == before + 2

    def test_a_lost_card_is_replaced_and_points_and_limits_carry_over(
        self, client: TestClient, login: Login
    ) -> None:
        desk = login("desk-maasmechelen")
        admin = login("admin-maasmechelen")
        sale = [
            {
                "regularPrice": 10,
                "tariff": {"id": "SOCIALTARIFF-kansentarief"},
                "eventId": "evt-cc-maasmechelen-comedy",
                "uitpasNumber": ACTIVE,
            }
        ]
        assert client.post("/ticket-sales", json=sale, headers=desk).status_code == 200
        points = client.get(f"/passes/{ACTIVE}", headers=desk).json()["points"]
        replaced = client.post(
            f"/v1/cards/{ACTIVE}/replace", json={"reason": "LOST"}, headers=admin
        )
        assert replaced.status_code == 201, replaced.text
        new = replaced.json()["uitpas_number"]
        assert client.get(f"/passes/{ACTIVE}", headers=desk).json()["code"] == "card-blocked"
        assert client.get(f"/passes/{new}", headers=desk).json()["points"] == points
        again = client.get(
            "/tariffs",
            params={
                "uitpasNumber": new,
                "eventId": "evt-cc-maasmechelen-comedy",
                "regularPrice": "10",
            },
            headers=desk,
        ).json()
        assert again["available"] == []  # the ticket bought with the old card still counts
        holder = client.get(f"/v1/holders/{holder_of(client, desk, new)}", headers=admin).json()
        chain = {c["uitpas_number"]: c["replaces"] for c in holder["cards"]}
        assert chain[new] == ACTIVE


class TestAddressesAndMoves:
    def test_a_holder_with_a_valid_status_cannot_move_address_out_of_the_region(
        self, client: TestClient, login: Login
    ) -> None:
        referrer = login("referrer-maasmechelen")
        desk = login("desk-maasmechelen")
        with_status = holder_of(client, desk, ACTIVE)
        refused = client.patch(
            f"/v1/holders/{with_status}", json={"postal_code": "2220"}, headers=referrer
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == "postal-code-not-in-card-system"
        inside = client.patch(
            f"/v1/holders/{with_status}",
            json={"postal_code": "3620", "street": "Stationsstraat 3"},
            headers=referrer,
        )
        assert inside.status_code == 204

    def test_moving_region_gives_a_new_card_and_keeps_the_points(
        self, client: TestClient, login: Login
    ) -> None:
        desk = login("desk-maasmechelen")
        holder_id = holder_of(client, desk, ACTIVE)
        points = client.get(f"/passes/{ACTIVE}", headers=desk).json()["points"]
        moved = client.post(
            f"/v1/holders/{holder_id}/move",
            json={"region_id": 2, "address": {"street": "Bergstraat 4", "postal_code": "2220"}},
            headers=login("admin-heist"),
        )
        assert moved.status_code == 200, moved.text
        new = moved.json()["uitpas_number"]
        view = client.get(f"/passes/{new}", headers=login("desk-heist")).json()
        assert view["cardSystem"]["id"] == 2
        assert view["points"] == points
        assert client.get(f"/passes/{ACTIVE}", headers=desk).json()["code"] == "card-blocked"


class TestReferrerLists:
    def test_registered_expiring_and_inactive(self, client: TestClient, login: Login) -> None:
        referrer = login("referrer-maasmechelen")
        registered = client.get("/v1/referrer/holders", headers=referrer).json()
        assert registered["total"] >= 5
        expiring = client.get(
            "/v1/referrer/holders", params={"list": "expiring", "days": 30}, headers=referrer
        ).json()
        assert {h["uitpas_number"] for h in expiring["holders"]} >= {"2340804679577"}  # in grace
        csv_text = client.get(
            "/v1/referrer/holders",
            params={"list": "inactive", "months": 6, "format": "csv"},
            headers=referrer,
        )
        assert csv_text.headers["content-type"].startswith("text/csv")
        assert (
            csv_text.text.splitlines()[0]
            == "name;first_name;phone;email;uitpas_number;status_end_date"
        )
        assert (
            client.get("/v1/referrer/holders", headers=login("desk-maasmechelen")).status_code
            == 400
        )


class TestAuditAndGdpr:
    def test_the_audit_log_shows_who_read_a_holder(self, client: TestClient, login: Login) -> None:
        referrer = login("referrer-maasmechelen")
        admin = login("admin-maasmechelen")
        holder_id = holder_of(client, login("desk-maasmechelen"), ACTIVE)
        client.get(f"/v1/holders/{holder_id}", headers=referrer)
        log = client.get("/v1/audit", params={"holder_id": holder_id}, headers=admin).json()
        actions = [(e["action"], e["actor_client_id"]) for e in log["entries"]]
        assert ("holder.read", "demo-referrer-maasmechelen") in actions
        assert ("pass.read", "demo-desk-maasmechelen") in actions
        assert (
            client.get(
                "/v1/audit", params={"holder_id": holder_id}, headers=login("admin-heist")
            ).status_code
            == 403
        )
        assert (
            client.get("/v1/audit", params={"holder_id": holder_id}, headers=referrer).status_code
            == 403
        )

    def test_export_and_erase_keep_sales_for_the_settlement(
        self, client: TestClient, login: Login, demo_db_url: str
    ) -> None:
        desk = login("desk-maasmechelen")
        admin = login("admin-maasmechelen")
        sale = [
            {
                "regularPrice": 10,
                "tariff": {"id": "SOCIALTARIFF-kansentarief"},
                "eventId": "evt-cc-maasmechelen-comedy",
                "uitpasNumber": ACTIVE,
            }
        ]
        client.post("/ticket-sales", json=sale, headers=desk)
        holder_id = holder_of(client, desk, ACTIVE)
        exported = client.get(f"/v1/holders/{holder_id}/export", headers=admin).json()
        assert exported["insz"] == "68031412828"
        assert len(exported["ticket_sales"]) == 1
        assert client.delete(f"/v1/holders/{holder_id}", headers=admin).status_code == 204
        assert client.get(f"/passes/{ACTIVE}", headers=desk).json()["code"] == "card-blocked"
        engine = make_engine(demo_db_url)
        with engine.connect() as conn:
            holder = conn.execute(select(t.PassHolder).where(t.PassHolder.id == holder_id)).one()
        engine.dispose()
        assert holder.name == "(gewist)"
        assert holder.insz_hash is None
        assert holder.street is None
        assert count(demo_db_url, t.TicketSale, t.TicketSale.holder_id == holder_id) == 1
        assert (
            client.get(f"/v1/holders/{holder_id}/export", headers=login("admin-heist")).status_code
            == 403
        )


class TestHolderImport:
    def test_a_file_with_a_bad_row_writes_nothing(
        self, client: TestClient, login: Login, demo_db_url: str
    ) -> None:
        admin = login("admin-maasmechelen") | {"Content-Type": "text/csv"}
        header = "region_id;uitpas_number;name;first_name;birth_date;postal_code"
        good = "1;4001000000004;Peeters;An;1980-01-01;3630"
        bad = "1;4001000000005;Peeters;Bo;1980-01-01;3630"
        before = count(demo_db_url, t.PassHolder)
        refused = client.post(
            "/v1/regions/1/holders/import", content="\n".join([header, good, bad]), headers=admin
        )
        assert refused.status_code == 400
        assert refused.json()["code"] == "import-refused"
        assert count(demo_db_url, t.PassHolder) == before
        ok = client.post(
            "/v1/regions/1/holders/import", content="\n".join([header, good]), headers=admin
        )
        assert ok.status_code == 201, ok.text
        assert count(demo_db_url, t.PassHolder) == before + 1


def test_a_renewal_without_an_end_date_runs_to_the_30_april_after_its_start(
    client: TestClient, login: Login
) -> None:
    admin = login("admin-maasmechelen")
    holder_id = holder_of(client, login("desk-maasmechelen"), ACTIVE)
    [status] = client.get(f"/v1/holders/{holder_id}", headers=admin).json()["statuses"]
    renewed = client.post(f"/v1/statuses/{status['id']}/renew", json={}, headers=admin)
    assert renewed.status_code == 201, renewed.text
    statuses = client.get(f"/v1/holders/{holder_id}", headers=admin).json()["statuses"]
    new = statuses[-1]
    assert date.fromisoformat(new["start_date"]) == date.fromisoformat(
        status["end_date"]
    ).replace() + (date(2000, 1, 2) - date(2000, 1, 1))
    assert new["end_date"] == f"{date.fromisoformat(new['start_date']).year + 1}-04-30"


def test_a_referrer_of_another_region_cannot_touch_this_regions_people(
    client: TestClient, login: Login
) -> None:
    other = login("referrer-heist")
    holder_id = holder_of(client, login("desk-maasmechelen"), ACTIVE)
    assert client.get(f"/v1/holders/{holder_id}", headers=other).status_code == 403
    grant = client.post(
        f"/v1/holders/{holder_id}/statuses",
        json={"region_id": 1, "target_group": "KANSENSTATUUT"},
        headers=other,
    )
    assert grant.status_code == 403
    assert client.post("/v1/holders", json=registration(), headers=other).status_code == 403
    patch = client.patch(f"/v1/holders/{holder_id}", json={"phone": "0"}, headers=other)
    assert patch.status_code == 403
