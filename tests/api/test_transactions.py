"""GET /passholders/{passholderId}/transactions: a holder's check-ins, redeemed rewards and
reduced-rate tickets, for region staff, audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.config import Settings
from passengine.storage import tables as t
from passengine.storage.db import make_engine
from tests.api.conftest import NOW, Clock

Login = Callable[[str], dict[str, str]]
Audit = Callable[[str], list[t.AuditEntry]]

ACTIVE = "6451620999770"  # Maasland demo holder with an active kansenstatuut
EVENT = "evt-cc-maasmechelen-comedy"
EVENT_TITLE = "Comedyavond: Nieuwe Stemmen uit het Maasland"
ORGANIZER = "Cultuurcentrum Maasmechelen"


@pytest.fixture
def db(app_settings: Settings) -> Iterator[Callable[[], Session]]:
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
def holder_id(client: TestClient, login: Login) -> str:
    found = client.get(f"/passes/{ACTIVE}", headers=login("desk-maasmechelen"))
    passholder_id: str = found.json()["passholderId"]
    return passholder_id


@pytest.fixture
def history(client: TestClient, login: Login, clock: Clock) -> None:
    """The desk's evening with this holder: a ticket sold and cancelled at 19:30, another sold a
    second later, and a check-in at 19:40 (one point)."""
    desk = login("desk-maasmechelen")
    payload = [
        {
            "regularPrice": 12.5,
            "tariff": {"id": "SOCIALTARIFF-kansentarief"},
            "eventId": EVENT,
            "uitpasNumber": ACTIVE,
        }
    ]
    cancelled = client.post("/ticket-sales", json=payload, headers=desk)
    assert cancelled.status_code == 200, cancelled.text
    cancelled_id = cancelled.json()[0]["id"]
    assert client.delete(f"/ticket-sales/{cancelled_id}", headers=desk).status_code == 204
    clock.now = NOW + timedelta(seconds=1)
    sale = client.post("/ticket-sales", json=payload, headers=desk)
    assert sale.status_code == 200, sale.text
    clock.now = NOW + timedelta(minutes=10)
    checkin = client.post(
        "/checkins", json={"eventId": EVENT, "uitpasNumber": ACTIVE}, headers=desk
    )
    assert checkin.status_code == 201, checkin.text


def redeem(db: Callable[[], Session], holder_id: str, *, at: datetime) -> None:
    """A redemption as the rewards service stores it (online: no organizer)."""
    with db() as session, session.begin():
        membership_id = session.scalar(
            select(t.Membership.id).where(
                t.Membership.holder_id == holder_id, t.Membership.region_id == 1
            )
        )
        assert membership_id is not None
        session.add(
            t.Reward(
                id="rw-koffie", title="Gratis koffie", type="POINTS", points=4, owning_region_id=1
            )
        )
        session.flush()
        session.add(
            t.RewardRedemption(
                id=str(uuid.uuid4()),
                created_at=at,
                reward_id="rw-koffie",
                holder_id=holder_id,
                membership_id=membership_id,
                uitpas_number=ACTIVE,
                points=4,
            )
        )


class TestTransactions:
    @pytest.mark.usefixtures("history")
    def test_newest_first_without_cancelled_sales(
        self,
        client: TestClient,
        login: Login,
        holder_id: str,
    ) -> None:
        response = client.get(
            f"/passholders/{holder_id}/transactions", headers=login("referrer-maasmechelen")
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "totalItems": 2,
            "member": [
                {
                    "title": EVENT_TITLE,
                    "location": ORGANIZER,
                    "creationDate": "2026-11-23T18:40:00Z",
                    "points": 1,
                },
                {
                    "title": f"Ticket: {EVENT_TITLE}",
                    "location": ORGANIZER,
                    "creationDate": "2026-11-23T18:30:01Z",
                    "points": 0,
                },
            ],
        }

    @pytest.mark.usefixtures("history")
    def test_a_redeemed_reward_costs_points_and_is_located_in_the_region(
        self,
        client: TestClient,
        login: Login,
        db: Callable[[], Session],
        holder_id: str,
    ) -> None:
        redeem(db, holder_id, at=NOW + timedelta(minutes=20))
        body = client.get(
            f"/passholders/{holder_id}/transactions",
            params={"sort[creationDate]": "asc"},
            headers=login("admin-maasmechelen"),
        ).json()
        assert body["totalItems"] == 3
        assert [m["points"] for m in body["member"]] == [0, 1, -4]
        assert body["member"][-1] == {
            "title": "Gratis koffie",
            "location": "UiTPAS Maasland",
            "creationDate": "2026-11-23T18:50:00Z",
            "points": -4,
        }

    @pytest.mark.usefixtures("history")
    def test_pages_with_start_and_limit(
        self,
        client: TestClient,
        login: Login,
        holder_id: str,
    ) -> None:
        referrer = login("referrer-maasmechelen")
        url = f"/passholders/{holder_id}/transactions"
        page = client.get(url, params={"start": 1, "limit": 1}, headers=referrer).json()
        assert page["totalItems"] == 2
        assert [m["points"] for m in page["member"]] == [0]
        assert client.get(url, params={"limit": 0}, headers=referrer).json() == {
            "totalItems": 2,
            "member": [],
        }
        too_many = client.get(url, params={"limit": 501}, headers=referrer)
        assert too_many.status_code == 400
        assert too_many.json()["code"] == "query-limit-exceeded"

    def test_a_holder_without_history_has_an_empty_list(
        self, client: TestClient, login: Login, holder_id: str
    ) -> None:
        body = client.get(
            f"/passholders/{holder_id}/transactions", headers=login("referrer-maasmechelen")
        ).json()
        assert body == {"totalItems": 0, "member": []}

    def test_every_read_is_audited(
        self, client: TestClient, login: Login, holder_id: str, audit: Audit
    ) -> None:
        client.get(f"/passholders/{holder_id}/transactions", headers=login("referrer-maasmechelen"))
        [row] = audit("passholder.transactions.read")
        assert row.holder_id == holder_id
        assert row.actor_client_id == "demo-referrer-maasmechelen"

    def test_a_holder_of_another_region_is_refused_and_the_attempt_audited(
        self, client: TestClient, login: Login, holder_id: str, audit: Audit
    ) -> None:
        response = client.get(
            f"/passholders/{holder_id}/transactions", headers=login("referrer-halle")
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert audit("passholder.transactions.read") == []
        [row] = audit("passholder.transactions.refused")
        assert row.holder_id == holder_id
        assert row.actor_client_id == "demo-referrer-halle"

    def test_an_unknown_holder_gets_the_same_answer(
        self, client: TestClient, login: Login, audit: Audit
    ) -> None:
        response = client.get(
            "/passholders/me/transactions", headers=login("referrer-maasmechelen")
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        [row] = audit("passholder.transactions.refused")
        assert row.holder_id is None
        assert row.subject == "passholder:me"

    @pytest.mark.parametrize("who", ["desk-maasmechelen", "admin-heist"])
    def test_a_desk_or_another_regions_admin_is_refused(
        self, client: TestClient, login: Login, holder_id: str, who: str
    ) -> None:
        response = client.get(f"/passholders/{holder_id}/transactions", headers=login(who))
        assert response.status_code == 403
