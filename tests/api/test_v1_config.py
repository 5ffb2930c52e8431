"""Region configuration through the native API, on the demo regions: Maasland (region 1, with
Lanaken from 2025 and Dilsen-Stokkem from 2026) administered by ``admin-maasmechelen``, and
Heist-op-den-Berg (region 2) by ``admin-heist``. Today is 23 November 2026."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from passengine.config import Settings
from passengine.domain.card_prices import CardPriceReason
from passengine.services.card_prices import card_price_for
from passengine.storage import tables as t
from passengine.storage.db import make_engine

Login = Callable[[str], dict[str, str]]
VOEREN = {
    "nis_code": "73109",
    "name": "Voeren",
    "postal_codes": [
        {"code": "3790", "place": "Moelingen"},
        {"code": "3798", "place": "'s-Gravenvoeren"},
    ],
    "sub_municipalities": [
        {"name": "Moelingen", "postal_code": "3790"},
        {"name": "'s-Gravenvoeren", "postal_code": "3798"},
    ],
}


@pytest.fixture
def db(app_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(app_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def admin(login: Login) -> dict[str, str]:
    return login("admin-maasmechelen")


@pytest.fixture
def heist(login: Login) -> dict[str, str]:
    return login("admin-heist")


def audit(db: Engine, action: str) -> list[t.AuditEntry]:
    with db.connect() as conn:
        rows = conn.execute(
            select(t.AuditEntry).where(t.AuditEntry.action == action).order_by(t.AuditEntry.id)
        ).all()
    return [t.AuditEntry(**row._mapping) for row in rows]


def problem_code(response: Any) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return str(response.json()["code"])


class TestRegion:
    def test_shows_the_municipalities_with_their_joining_dates(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.get("/v1/regions/1", headers=admin)
        assert response.status_code == 200, response.text
        region = response.json()
        assert region["name"] == "UiTPAS Maasland"
        joined = {m["name"]: (m["joined_on"], m["current"]) for m in region["municipalities"]}
        assert joined == {
            "Maasmechelen": ("2016-01-01", True),
            "Lanaken": ("2025-01-01", True),
            "Dilsen-Stokkem": ("2026-01-01", True),
        }
        assert "3630" in region["municipalities"][0]["postal_codes"]

    def test_lists_only_the_regions_the_caller_administers(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        assert [r["id"] for r in client.get("/v1/regions", headers=admin).json()] == [1]

    def test_an_update_changes_what_it_names_and_is_audited_with_before_and_after(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        body = {"primary_color": "#123abc", "contact_line": "Bel 089 00 00 00"}
        response = client.patch("/v1/regions/1", json=body, headers=admin)
        assert response.status_code == 200, response.text
        region = response.json()
        assert region["primary_color"] == "#123abc"
        assert region["name"] == "UiTPAS Maasland"  # not sent, not changed
        [entry] = audit(db, "config.region.updated")
        assert entry.subject == "region:1"
        assert entry.actor_client_id == "demo-admin-maasmechelen"
        assert entry.details["after"] == body
        assert set(entry.details["before"]) == set(body)

    @pytest.mark.parametrize(
        "body",
        [{"name": None}, {"primary_color": "red"}, {"website": "ftp://x"}, {"nmae": "typo"}],
    )
    def test_bad_values_are_refused(
        self, client: TestClient, admin: dict[str, str], body: dict[str, Any]
    ) -> None:
        response = client.patch("/v1/regions/1", json=body, headers=admin)
        assert response.status_code == 400
        assert problem_code(response) == "invalid-data"

    def test_another_region_is_forbidden_and_an_unknown_one_not_found(
        self, client: TestClient, admin: dict[str, str], login: Login
    ) -> None:
        assert client.get("/v1/regions/2", headers=admin).status_code == 403
        missing = client.get("/v1/regions/99", headers=admin)
        assert missing.status_code == 404
        assert problem_code(missing) == "region-not-found"
        desk = client.get("/v1/regions/1", headers=login("desk-maasmechelen"))
        assert desk.status_code == 403


class TestMunicipalities:
    def test_a_new_municipality_joins_the_region_at_a_date(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        created = client.post("/v1/municipalities", json=VOEREN, headers=admin)
        assert created.status_code == 201, created.text
        assert [p["code"] for p in created.json()["postal_codes"]] == ["3790", "3798"]
        again = client.post("/v1/municipalities", json=VOEREN, headers=admin)
        assert again.status_code == 409
        assert problem_code(again) == "municipality-exists"
        joined = client.post(
            "/v1/regions/1/municipalities",
            json={"nis_code": "73109", "joined_on": "2027-01-01"},
            headers=admin,
        )
        assert joined.status_code == 201, joined.text
        assert joined.json()["current"] is False  # from 1 January
        region = client.get("/v1/regions/1", headers=admin).json()
        assert ("Voeren", "2027-01-01") in {
            (m["name"], m["joined_on"]) for m in region["municipalities"]
        }
        [entry] = audit(db, "config.region.municipality_joined")
        assert entry.details == {"nis_code": "73109", "joined_on": "2027-01-01", "left_on": None}
        assert len(audit(db, "config.municipality.created")) == 1

    def test_overlapping_membership_periods_are_refused_in_any_region(
        self, client: TestClient, admin: dict[str, str], heist: dict[str, str]
    ) -> None:
        lanaken = {"nis_code": "73042", "joined_on": "2030-01-01"}
        same = client.post("/v1/regions/1/municipalities", json=lanaken, headers=admin)
        assert same.status_code == 409
        assert problem_code(same) == "overlapping-membership"
        other = client.post("/v1/regions/2/municipalities", json=lanaken, headers=heist)
        assert other.status_code == 409
        assert "region 1" in other.json()["detail"]

    def test_after_leaving_a_municipality_may_join_another_region_that_day(
        self, client: TestClient, admin: dict[str, str], heist: dict[str, str]
    ) -> None:
        left = client.patch(
            "/v1/regions/1/municipalities/73042", json={"left_on": "2027-01-01"}, headers=admin
        )
        assert left.status_code == 200, left.text
        assert left.json()["left_on"] == "2027-01-01"
        moved = client.post(
            "/v1/regions/2/municipalities",
            json={"nis_code": "73042", "joined_on": "2027-01-01"},
            headers=heist,
        )
        assert moved.status_code == 201, moved.text
        reopen = client.patch(
            "/v1/regions/1/municipalities/73042", json={"left_on": None}, headers=admin
        )
        assert reopen.status_code == 409
        assert problem_code(reopen) == "overlapping-membership"

    def test_left_on_must_be_after_joined_on(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        early = client.patch(
            "/v1/regions/1/municipalities/73042", json={"left_on": "2025-01-01"}, headers=admin
        )
        assert early.status_code == 400
        not_member = client.patch(
            "/v1/regions/1/municipalities/12014", json={"left_on": "2027-01-01"}, headers=admin
        )
        assert not_member.status_code == 404
        assert problem_code(not_member) == "municipality-not-in-region"

    def test_only_a_join_that_has_not_started_can_be_removed(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        client.post("/v1/municipalities", json=VOEREN, headers=admin)
        body = {"nis_code": "73109", "joined_on": "2027-01-01"}
        client.post("/v1/regions/1/municipalities", json=body, headers=admin)
        assert client.delete("/v1/regions/1/municipalities/73109", headers=admin).status_code == 204
        assert len(audit(db, "config.region.municipality_removed")) == 1
        started = client.delete("/v1/regions/1/municipalities/72041", headers=admin)
        assert started.status_code == 409
        assert problem_code(started) == "membership-started"

    def test_an_unknown_municipality_cannot_join(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.post(
            "/v1/regions/1/municipalities",
            json={"nis_code": "99999", "joined_on": "2027-01-01"},
            headers=admin,
        )
        assert response.status_code == 400
        assert problem_code(response) == "unknown-municipality"

    def test_postal_codes_and_sub_municipalities_are_added_by_the_regions_administrator(
        self, client: TestClient, admin: dict[str, str], heist: dict[str, str]
    ) -> None:
        body = {
            "add_postal_codes": [{"code": "3631", "place": "Kotem"}],
            "add_sub_municipalities": [{"name": "Kotem", "postal_code": "3631"}],
        }
        assert client.patch("/v1/municipalities/73107", json=body, headers=heist).status_code == 403
        response = client.patch("/v1/municipalities/73107", json=body, headers=admin)
        assert response.status_code == 200, response.text
        assert "3631" in [p["code"] for p in response.json()["postal_codes"]]
        twice = client.patch("/v1/municipalities/73107", json=body, headers=admin)
        assert twice.status_code == 409
        shown = client.get("/v1/municipalities/73107", headers=heist).json()
        assert "Kotem" in [s["name"] for s in shown["sub_municipalities"]]
        assert shown["regions"] == [{"region_id": 1, "joined_on": "2016-01-01", "left_on": None}]


class TestTargetGroupsAndGrounds:
    def test_a_target_group_is_created_and_renamed(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        body = {"code": "SENIOREN", "name": "Senioren", "default_grace_period_days": 14}
        created = client.post("/v1/regions/1/target-groups", json=body, headers=admin)
        assert created.status_code == 201, created.text
        group = created.json()
        assert group["in_use"] is False
        again = client.post("/v1/regions/1/target-groups", json=body, headers=admin)
        assert problem_code(again) == "target-group-exists"
        renamed = client.patch(
            "/v1/regions/1/target-groups/SENIOREN",
            json={"code": "SENIOR_65", "name": "65-plussers"},
            headers=admin,
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["code"] == "SENIOR_65"
        [entry] = audit(db, "config.target_group.updated")
        assert entry.details["before"] == {"code": "SENIOREN", "name": "Senioren"}

    def test_the_code_of_a_target_group_in_use_is_immutable(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        groups = client.get("/v1/regions/1/target-groups", headers=admin).json()
        [kansen] = [g for g in groups if g["code"] == "KANSENSTATUUT"]
        assert kansen["in_use"] is True
        path = "/v1/regions/1/target-groups/KANSENSTATUUT"
        refused = client.patch(path, json={"code": "KANSEN"}, headers=admin)
        assert refused.status_code == 409
        assert problem_code(refused) == "target-group-in-use"
        renamed = client.patch(path, json={"name": "Kansentarief (MIA)"}, headers=admin)
        assert renamed.status_code == 200

    def test_a_target_group_of_another_region_is_not_found_here(
        self, client: TestClient, admin: dict[str, str], heist: dict[str, str]
    ) -> None:
        codes = [g["code"] for g in client.get("/v1/regions/2/target-groups", headers=heist).json()]
        assert "HANDICAP" in codes
        response = client.patch(
            "/v1/regions/1/target-groups/HANDICAP", json={"name": "x"}, headers=admin
        )
        assert response.status_code == 404
        assert problem_code(response) == "target-group-not-found"
        assert client.get("/v1/regions/2/target-groups", headers=admin).status_code == 403

    def test_grounds_keep_their_code_once_a_status_was_granted_on_them(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        body = {"code": "JEUGDHULP", "name": "Jeugdhulp"}
        created = client.post("/v1/regions/1/grounds", json=body, headers=admin)
        assert created.status_code == 201, created.text
        path = "/v1/regions/1/grounds/JEUGDHULP"
        changed = client.patch(path, json={"code": "BIJZONDERE_JEUGDZORG"}, headers=admin)
        assert changed.status_code == 200
        grounds = client.get("/v1/regions/1/grounds", headers=admin).json()
        assert [g["in_use"] for g in grounds if g["code"] == "LEEFLOON"] == [True]
        refused = client.patch(
            "/v1/regions/1/grounds/LEEFLOON", json={"code": "LEEFLOON_2"}, headers=admin
        )
        assert refused.status_code == 409
        assert problem_code(refused) == "ground-in-use"


class TestTariffs:
    def test_a_new_version_is_validated_and_stored_with_its_warnings(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        current = client.get("/v1/regions/1/tariffs", headers=admin).json()
        assert current["version"] == 1
        document = current["document"]
        document["rules"][0]["price"] = {"kind": "PERCENT_OF_PRICE", "value": 1000}
        saved = client.put("/v1/regions/1/tariffs", json=document, headers=admin)
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == 2
        assert isinstance(saved.json()["warnings"], list)
        assert client.get("/v1/regions/1/tariffs", headers=admin).json()["version"] == 2
        first = client.get("/v1/regions/1/tariffs/versions/1", headers=admin).json()
        assert first["document"]["rules"][0]["price"]["value"] == 2000
        versions = client.get("/v1/regions/1/tariffs/versions", headers=admin).json()
        assert [v["version"] for v in versions] == [2, 1]
        assert versions[0]["created_by"] == "client:demo-admin-maasmechelen"
        assert [e.details["version"] for e in audit(db, "tariff_config.changed")][-1] == 2

    def test_an_invalid_document_names_every_field_and_stores_nothing(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        document = client.get("/v1/regions/1/tariffs", headers=admin).json()["document"]
        document["rules"][0]["key"] = "no-such-key"
        document["rules"][0]["priority"] = -1
        response = client.put("/v1/regions/1/tariffs", json=document, headers=admin)
        assert response.status_code == 400
        assert problem_code(response) == "invalid-tariff-config"
        fields = [i["field"] for i in response.json()["issues"]]
        assert "rules.0.priority" in fields
        assert client.get("/v1/regions/1/tariffs", headers=admin).json()["version"] == 1

    def test_an_unknown_version_is_not_found(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        response = client.get("/v1/regions/1/tariffs/versions/9", headers=admin)
        assert response.status_code == 404
        assert problem_code(response) == "tariff-config-not-found"

    def test_limit_defaults_are_the_fields_with_the_rules_own(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        defaults = client.get("/v1/regions/1/limit-defaults", headers=admin).json()
        assert defaults["ticket_limit_dated"] == {"volume": 1, "period": "ABSOLUTE"}
        assert defaults["ticket_limit_permanent"] == {"volume": 1, "period": "WEEK"}
        assert defaults["checkin_limit_dated"] == {"volume": 1, "period": "DAY"}
        assert defaults["checkin_opens_minutes_before"] == 300
        assert defaults["tariff_version"] == 1
        assert defaults["rule_ticket_limits"] == []


class TestCardPrices:
    LIST: dict[str, Any] = {  # noqa: RUF012
        "prices": [
            {"reason": "FIRST_CARD", "price_cents": 500, "with_status": False},
            {"reason": "FIRST_CARD", "price_cents": 0, "with_status": True},
            {"reason": "LOSS", "price_cents": 500, "min_age": 12},
        ]
    }

    def test_a_future_list_is_stored_with_its_gaps_as_warnings(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        response = client.put("/v1/regions/1/card-prices/2027-01-01", json=self.LIST, headers=admin)
        assert response.status_code == 200, response.text
        warnings = [w["message"] for w in response.json()["warnings"]]
        assert any("LOSS" in w and "0–11" in w for w in warnings)
        shown = client.get("/v1/regions/1/card-prices", headers=admin).json()
        [listed] = shown["lists"]
        assert listed["valid_from"] == "2027-01-01"
        assert listed["in_force"] is False
        assert len(listed["prices"]) == 3
        [entry] = audit(db, "config.card_prices.set")
        assert entry.details["before"] == []

    def test_registration_finds_the_price_in_force(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        client.put("/v1/regions/1/card-prices/2026-11-23", json=self.LIST, headers=admin)
        with Session(db) as session, session.begin():
            found = card_price_for(
                session, 1, age=40, has_status=False, reason=CardPriceReason.FIRST_CARD,
                on=date(2026, 11, 23),
            )  # fmt: skip
            missing = card_price_for(
                session, 1, age=8, has_status=True, reason=CardPriceReason.LOSS,
                on=date(2026, 11, 23),
            )  # fmt: skip
            before = card_price_for(
                session, 1, age=40, has_status=False, reason=CardPriceReason.FIRST_CARD,
                on=date(2026, 11, 22),
            )  # fmt: skip
        assert found is not None
        assert found.price_cents == 500
        assert (missing, before) == (None, None)

    def test_overlapping_prices_are_refused_naming_the_price(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        body = {
            "prices": [
                {"reason": "LOSS", "price_cents": 500},
                {"reason": "LOSS", "price_cents": 300, "max_age": 17, "with_status": True},
            ]
        }
        response = client.put("/v1/regions/1/card-prices/2027-01-01", json=body, headers=admin)
        assert response.status_code == 400
        assert problem_code(response) == "invalid-card-prices"
        assert response.json()["issues"][0]["field"] == "prices[1]"

    def test_a_list_that_has_started_is_never_changed(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        today = client.put("/v1/regions/1/card-prices/2026-11-23", json=self.LIST, headers=admin)
        assert today.status_code == 200, today.text
        assert client.get("/v1/regions/1/card-prices", headers=admin).json()["lists"][0]["in_force"]
        again = client.put("/v1/regions/1/card-prices/2026-11-23", json=self.LIST, headers=admin)
        assert again.status_code == 409
        assert problem_code(again) == "card-prices-in-force"
        past = client.put("/v1/regions/1/card-prices/2026-01-01", json=self.LIST, headers=admin)
        assert past.status_code == 409


class TestOrganizersAndDesks:
    ORGANIZER: dict[str, Any] = {  # noqa: RUF012
        "id": "org-kasteel-vaeshartelt",
        "name": "Kasteel Vaeshartelt",
        "nis_code": "73107",
        "street": "Rijksweg 1",
        "postal_code": "3630",
        "regions": [1],
    }

    def test_an_organizer_is_created_with_a_desk_and_audited(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        created = client.post("/v1/organizers", json=self.ORGANIZER, headers=admin)
        assert created.status_code == 201, created.text
        desk = {
            "id": "desk-kasteel",
            "organizer_id": "org-kasteel-vaeshartelt",
            "name": "Onthaal",
            "kind": "TICKETS",
        }
        assert client.post("/v1/desks", json=desk, headers=admin).status_code == 201
        changed = client.patch(
            "/v1/desks/desk-kasteel", json={"kind": "REGISTRATION"}, headers=admin
        )
        assert changed.json()["kind"] == "REGISTRATION"
        shown = client.get("/v1/organizers/org-kasteel-vaeshartelt", headers=admin).json()
        assert shown["regions"] == [1]
        assert [d["kind"] for d in shown["desks"]] == ["REGISTRATION"]
        [entry] = audit(db, "config.organizer.created")
        assert entry.details["name"] == "Kasteel Vaeshartelt"
        [desk_entry] = audit(db, "config.desk.updated")
        assert desk_entry.details == {
            "before": {"kind": "TICKETS"},
            "after": {"kind": "REGISTRATION"},
        }
        again = client.post("/v1/organizers", json=self.ORGANIZER, headers=admin)
        assert problem_code(again) == "organizer-exists"

    def test_a_region_the_caller_does_not_administer_cannot_be_given(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        both = self.ORGANIZER | {"regions": [1, 2]}
        assert client.post("/v1/organizers", json=both, headers=admin).status_code == 403
        widened = client.patch(
            "/v1/organizers/org-cc-maasmechelen", json={"regions": [1, 2]}, headers=admin
        )
        assert widened.status_code == 403

    def test_a_shared_organizer_is_configured_by_both_administrators(
        self, client: TestClient, admin: dict[str, str], heist: dict[str, str]
    ) -> None:
        client.post("/v1/organizers", json=self.ORGANIZER, headers=admin)
        assert (
            client.get("/v1/organizers/org-kasteel-vaeshartelt", headers=heist).status_code == 403
        )
        unknown = client.get("/v1/organizers/org-nowhere", headers=heist)
        assert unknown.status_code == 404
        assert problem_code(unknown) == "organizer-not-found"

    def test_an_unknown_municipality_is_refused(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        body = self.ORGANIZER | {"nis_code": "99999"}
        response = client.post("/v1/organizers", json=body, headers=admin)
        assert response.status_code == 400
        assert problem_code(response) == "unknown-municipality"

    def test_a_retry_with_the_same_idempotency_key_creates_one_organizer(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        headers = admin | {"Idempotency-Key": "org-1"}
        first = client.post("/v1/organizers", json=self.ORGANIZER, headers=headers)
        second = client.post("/v1/organizers", json=self.ORGANIZER, headers=headers)
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json() == second.json()
        assert len(audit(db, "config.organizer.created")) == 1


class TestReferrers:
    def test_a_referrer_is_created_and_its_mandate_changed(
        self, client: TestClient, admin: dict[str, str], heist: dict[str, str], db: Engine
    ) -> None:
        body = {"id": "ref-wijkwerking", "region_id": 1, "name": "Wijkwerking", "kind": "OTHER"}
        created = client.post("/v1/referrers", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["may_grant_status"] is False
        assert (
            client.post("/v1/referrers", json=body | {"region_id": 2}, headers=admin).status_code
            == 403
        )
        changed = client.patch(
            "/v1/referrers/ref-wijkwerking",
            json={"may_register": True, "may_grant_status": True},
            headers=admin,
        )
        assert changed.status_code == 200
        assert changed.json()["may_grant_status"] is True
        assert (
            client.patch(
                "/v1/referrers/ref-wijkwerking", json={"name": "x"}, headers=heist
            ).status_code
            == 403
        )
        ids = [r["id"] for r in client.get("/v1/regions/1/referrers", headers=admin).json()]
        assert "ref-wijkwerking" in ids
        [entry] = audit(db, "config.referrer.updated")
        assert entry.details["after"] == {"may_register": True, "may_grant_status": True}


class TestEvents:
    def test_a_single_event_is_created_and_its_settings_changed_through_the_profile(
        self, client: TestClient, admin: dict[str, str], login: Login
    ) -> None:
        body = {
            "id": "evt-nieuw",
            "organizer_id": "org-cc-maasmechelen",
            "title": "Nieuwjaarsconcert",
            "location_nis_code": "73107",
            "domain": "CULTURE",
            "calendar_type": "SINGLE",
            "starts_at": "2027-01-10T15:00:00+01:00",
            "ends_at": "2027-01-10T17:00:00+01:00",
        }
        created = client.post("/v1/events", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["starts_at"] == "2027-01-10T14:00:00Z"
        assert created.json()["ticket_limit"] is None  # the default applies
        settings = {
            "id": "evt-nieuw",
            "checkinPoints": 3,
            "passholderTicketLimit": {"volume": 2, "periodType": "YEAR"},
        }
        assert (
            client.put("/events/evt-nieuw/settings", json=settings, headers=admin).status_code
            == 204
        )
        shown = client.get("/v1/events/evt-nieuw", headers=admin).json()
        assert shown["checkin_points"] == 3
        assert shown["ticket_limit"] == {"volume": 2, "period": "YEAR"}
        desk = login("desk-maasmechelen")
        quote = client.get(
            "/tariffs/static", params={"eventId": "evt-nieuw", "regularPrice": "10"}, headers=desk
        )
        assert quote.status_code == 200, quote.text

    def test_a_multiple_event_takes_its_dates_from_its_occurrences(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        body = {
            "id": "evt-reeks",
            "organizer_id": "org-sport-maasmechelen",
            "title": "Zwemlessen",
            "location_nis_code": "73107",
            "domain": "SPORT",
            "calendar_type": "MULTIPLE",
            "occurrences": [
                {"starts_at": "2027-02-07T10:00:00+01:00", "ends_at": "2027-02-07T11:00:00+01:00"},
                {"starts_at": "2027-01-31T10:00:00+01:00", "ends_at": "2027-01-31T11:00:00+01:00"},
            ],
        }
        created = client.post("/v1/events", json=body, headers=admin).json()
        assert created["starts_at"] == "2027-01-31T09:00:00Z"
        assert created["ends_at"] == "2027-02-07T10:00:00Z"
        assert len(created["occurrences"]) == 2
        permanent = client.patch(
            "/v1/events/evt-reeks", json={"calendar_type": "PERMANENT"}, headers=admin
        )
        assert permanent.status_code == 200, permanent.text
        assert permanent.json()["occurrences"] == []
        assert permanent.json()["starts_at"] is None
        [entry] = audit(db, "config.event.updated")
        assert set(entry.details["after"]) == {
            "calendar_type",
            "starts_at",
            "ends_at",
            "occurrences",
        }

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            (
                {"calendar_type": "PERMANENT", "starts_at": "2027-01-10T15:00:00+01:00"},
                "invalid-calendar",
            ),
            ({"calendar_type": "MULTIPLE"}, "invalid-calendar"),
            ({"starts_at": "2027-01-10T15:00:00"}, "invalid-data"),  # no time zone
            ({"title": None}, "invalid-data"),
        ],
    )
    def test_dates_that_do_not_fit_the_calendar_type_are_refused(
        self, client: TestClient, admin: dict[str, str], changes: dict[str, Any], code: str
    ) -> None:
        response = client.patch(
            "/v1/events/evt-cc-maasmechelen-comedy", json=changes, headers=admin
        )
        assert response.status_code == 400
        assert problem_code(response) == code

    def test_events_of_another_regions_organizer_are_forbidden(
        self, client: TestClient, heist: dict[str, str]
    ) -> None:
        response = client.patch(
            "/v1/events/evt-cc-maasmechelen-comedy", json={"title": "x"}, headers=heist
        )
        assert response.status_code == 403
        assert problem_code(client.get("/v1/events/nope", headers=heist)) == "event-not-found"


class TestRewards:
    REWARD: dict[str, Any] = {  # noqa: RUF012
        "id": "rwd-maasland-koffie",
        "region_id": 1,
        "title": "Gratis koffie",
        "type": "POINTS",
        "points": 3,
        "promotional_description": "Een koffie in de foyer voor 3 punten.",
        "categories": ["Eten en drinken"],
        "organizers": ["org-cc-maasmechelen"],
        "max_available_units": 50,
        "holder_limit": {"volume": 1, "period": "MONTH"},
    }

    def test_a_reward_is_created_and_redeemable_at_the_desk(
        self, client: TestClient, admin: dict[str, str], login: Login, db: Engine
    ) -> None:
        created = client.post("/v1/rewards", json=self.REWARD, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["holder_limit"] == {"volume": 1, "period": "MONTH"}
        desk = login("desk-maasmechelen")
        shown = client.get("/rewards/rwd-maasland-koffie", headers=desk)
        assert shown.status_code == 200, shown.text
        changed = client.patch(
            "/v1/rewards/rwd-maasland-koffie",
            json={"points": 4, "holder_limit": None},
            headers=admin,
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["points"], changed.json()["holder_limit"]) == (4, None)
        [entry] = audit(db, "config.reward.updated")
        assert entry.details["before"]["points"] == 3

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"type": "WELCOME"}, "invalid-reward"),
            ({"organizers": ["org-zwaneberg"]}, "unknown-organizer"),
            ({"regions": [42]}, "unknown-region"),
        ],
    )
    def test_inconsistent_rewards_are_refused(
        self, client: TestClient, admin: dict[str, str], changes: dict[str, Any], code: str
    ) -> None:
        response = client.post("/v1/rewards", json=self.REWARD | changes, headers=admin)
        assert response.status_code == 400
        assert problem_code(response) == code

    def test_a_reward_of_another_region_is_forbidden(
        self, client: TestClient, heist: dict[str, str]
    ) -> None:
        response = client.patch(
            "/v1/rewards/rwd-maasland-20-punten", json={"points": 1}, headers=heist
        )
        assert response.status_code == 403


class TestApiClients:
    BODY: dict[str, Any] = {  # noqa: RUF012
        "client_id": "kassa-kasteel",
        "name": "Kassa",
        "role": "DESK",
        "organizer_id": "org-cc-maasmechelen",
        "desk_id": "desk-cc-maasmechelen",
        "permissions": ["PASSES_READ", "TARIFFS_READ"],
        "regions": [1],
    }

    @staticmethod
    def token(client: TestClient, client_id: str, secret: str) -> Any:
        return client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )

    def test_the_secret_is_shown_once_and_stored_hashed(
        self, client: TestClient, admin: dict[str, str], db: Engine
    ) -> None:
        created = client.post("/v1/clients", json=self.BODY, headers=admin)
        assert created.status_code == 201, created.text
        secret = created.json()["client_secret"]
        assert self.token(client, "kassa-kasteel", secret).status_code == 200
        listed = client.get("/v1/clients", headers=admin)
        assert "kassa-kasteel" in [c["client_id"] for c in listed.json()]
        assert secret not in listed.text
        assert "secret" not in client.get("/v1/clients/kassa-kasteel", headers=admin).text
        with db.connect() as conn:
            stored = conn.scalar(
                select(t.ApiClient.secret_hash).where(t.ApiClient.client_id == "kassa-kasteel")
            )
            log = conn.execute(select(t.AuditEntry.details)).scalars().all()
        assert str(stored).startswith("scrypt$")
        assert secret not in str(stored)
        assert all(secret not in str(details) for details in log)
        assert len(audit(db, "config.client.created")) == 1

    def test_rotation_replaces_the_secret_and_bumps_the_token_version(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        old = client.post("/v1/clients", json=self.BODY, headers=admin).json()
        rotated = client.post("/v1/clients/kassa-kasteel/rotate-secret", headers=admin)
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()
        assert new["client"]["token_version"] == old["client"]["token_version"] + 1
        assert self.token(client, "kassa-kasteel", old["client_secret"]).status_code == 401
        assert self.token(client, "kassa-kasteel", new["client_secret"]).status_code == 200

    def test_a_disabled_client_gets_no_token(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        secret = client.post("/v1/clients", json=self.BODY, headers=admin).json()["client_secret"]
        disabled = client.patch(
            "/v1/clients/kassa-kasteel",
            json={"disabled": True, "permissions": ["PASSES_READ"]},
            headers=admin,
        )
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["disabled_at"] is not None
        assert disabled.json()["permissions"] == ["PASSES_READ"]
        assert disabled.json()["token_version"] == 2
        assert self.token(client, "kassa-kasteel", secret).status_code == 401
        enabled = client.patch("/v1/clients/kassa-kasteel", json={"disabled": False}, headers=admin)
        assert enabled.json()["disabled_at"] is None
        assert self.token(client, "kassa-kasteel", secret).status_code == 200

    def test_an_administrator_cannot_grant_a_region_it_does_not_administer(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        widened = self.BODY | {"regions": [1, 2]}
        assert client.post("/v1/clients", json=widened, headers=admin).status_code == 403
        client.post("/v1/clients", json=self.BODY, headers=admin)
        moved = client.patch("/v1/clients/kassa-kasteel", json={"regions": [1, 2]}, headers=admin)
        assert moved.status_code == 403

    def test_clients_of_another_region_are_out_of_reach(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        assert client.get("/v1/clients/demo-admin-heist", headers=admin).status_code == 403
        assert (
            client.post("/v1/clients/demo-desk-heist/rotate-secret", headers=admin).status_code
            == 403
        )
        listed = [c["client_id"] for c in client.get("/v1/clients", headers=admin).json()]
        assert "demo-desk-heist" not in listed
        assert "demo-desk-maasmechelen" in listed
        missing = client.get("/v1/clients/nobody", headers=admin)
        assert missing.status_code == 404
        assert problem_code(missing) == "client-not-found"

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"permissions": ["FLY"]}, "unknown-permission"),
            ({"desk_id": "desk-zwaneberg"}, "unknown-desk"),
            ({"role": "REFERRER"}, "invalid-data"),
            ({"client_id": "x"}, "invalid-data"),
        ],
    )
    def test_inconsistent_clients_are_refused(
        self, client: TestClient, admin: dict[str, str], changes: dict[str, Any], code: str
    ) -> None:
        response = client.post("/v1/clients", json=self.BODY | changes, headers=admin)
        assert response.status_code == 400
        assert problem_code(response) == code
