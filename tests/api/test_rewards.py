"""Rewards at the desk: the catalogue, the redeem check, redeeming for points (the ledger and
the audit trail), welcome once, stock, per-holder limit, periods, regions, cancelling, retries
with an Idempotency-Key and many desks redeeming the holder's last points at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.storage import tables as t
from passengine.storage.db import make_engine

Login = Callable[[str], dict[str, str]]

ACTIVE = "6451620999770"  # Maasland, 24 points
EXPIRED = "7130536448614"  # Maasland, 3 points
NO_POINTS = "1287327660058"  # Maasland, 0 points
BLOCKED = "9609790229107"  # Maasland, blocked card
HALLE = "5936324310275"  # Halle, 22 points
GROUP_PASS = "7247908007354"

WELCOME = "rwd-maasland-welkom"
FIVE_STOCK_3 = "rwd-maasland-5-punten"
TEN_ONCE_A_YEAR = "rwd-maasland-10-punten"
TWENTY = "rwd-maasland-20-punten"
ALL_REGIONS = "rwd-maasland-alle-regios"
ENDED = "rwd-maasland-voorbij"


@contextmanager
def database(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def balance(url: str, uitpas_number: str) -> int:
    with database(url) as session:
        points = session.scalar(
            select(t.PassHolder.points)
            .join(t.Card, t.Card.holder_id == t.PassHolder.id)
            .where(t.Card.uitpas_number == uitpas_number)
        )
        assert points is not None
        return points


def count(url: str, table: Any, *where: Any) -> int:
    with database(url) as session:
        return session.scalar(select(func.count()).select_from(table).where(*where)) or 0


def redeem(client: TestClient, headers: dict[str, str], reward_id: str, uitpas_number: str) -> Any:
    return client.post(
        "/rewards/redeemed",
        json={"rewardId": reward_id, "uitpasNumber": uitpas_number},
        headers=headers,
    )


@pytest.fixture
def desk(login: Login) -> dict[str, str]:
    return login("desk-maasmechelen")


class TestCatalogue:
    def test_lists_the_published_redeemable_points_rewards_by_default(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        response = client.get("/rewards", params={"owningCardSystemId": 1}, headers=desk)
        assert response.status_code == 200, response.text
        body = response.json()
        ids = {r["id"] for r in body["member"]}
        assert ids == {FIVE_STOCK_3, TEN_ONCE_A_YEAR, TWENTY, ALL_REGIONS}
        assert body["totalItems"] == 4
        assert {r["type"] for r in body["member"]} == {"POINTS"}

    def test_filters_by_type_subset_region_and_organizer(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        def ids(**params: Any) -> set[str]:
            response = client.get("/rewards", params=params, headers=desk)
            assert response.status_code == 200, response.text
            return {r["id"] for r in response.json()["member"]}

        assert WELCOME in ids(owningCardSystemId=1, type="ANY")
        assert ids(owningCardSystemId=1, type="WELCOME") == {WELCOME}
        assert ENDED in ids(owningCardSystemId=1, subset="ALL")
        assert ENDED not in ids(owningCardSystemId=1, subset="REDEEMABLE")
        for_halle = ids(applicableCardSystemId=3, limit=100)
        assert ALL_REGIONS in for_halle
        assert TWENTY not in for_halle
        assert "rwd-halle-20-punten" in for_halle
        at_the_pool = ids(organizerId="org-sport-maasmechelen")
        assert at_the_pool == {TEN_ONCE_A_YEAR}
        assert ids(organizerId=["org-sport-maasmechelen", "org-vondel"], limit=100) >= {
            TEN_ONCE_A_YEAR,
            "rwd-halle-20-punten",
        }

    def test_pages_with_start_and_limit(self, client: TestClient, desk: dict[str, str]) -> None:
        every = client.get(
            "/rewards", params={"type": "ANY", "subset": "ALL", "limit": 500}, headers=desk
        ).json()
        assert every["totalItems"] == 18 == len(every["member"])
        page = client.get(
            "/rewards",
            params={"type": "ANY", "subset": "ALL", "start": 5, "limit": 5},
            headers=desk,
        ).json()
        assert page["totalItems"] == 18
        assert [r["id"] for r in page["member"]] == [r["id"] for r in every["member"][5:10]]
        too_many = client.get("/rewards", params={"limit": 501}, headers=desk)
        assert too_many.status_code == 400

    def test_redeemable_by_a_holder_applies_every_rule(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        holder_id = client.get(f"/passes/{EXPIRED}", headers=desk).json()["passholderId"]
        response = client.get(
            "/rewards",
            params={"isRedeemableByPassholderId": holder_id, "type": "ANY", "limit": 100},
            headers=desk,
        )
        assert response.status_code == 200, response.text
        # 3 points: only the welcome rewards of the own region (other regions' do not apply).
        assert {r["id"] for r in response.json()["member"]} == {WELCOME}

    def test_one_reward_in_the_spec_shape(self, client: TestClient, desk: dict[str, str]) -> None:
        response = client.get(f"/rewards/{TEN_ONCE_A_YEAR}", headers=desk)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["points"] == 10
        assert body["owningCardSystem"] == {"id": 1, "name": "UiTPAS Maasland"}
        assert body["redeemConstraint"] == {"volume": 1, "period": "YEAR"}
        assert body["allCardSystems"] is False
        assert {o["id"] for o in body["organizers"]} == {
            "org-sport-maasmechelen",
            "org-cc-maasmechelen",
        }
        assert body["unitsTaken"] == 0
        assert "begin" in body["publicationPeriod"]
        stock = client.get(f"/rewards/{FIVE_STOCK_3}", headers=desk).json()
        assert stock["maxAvailableUnits"] == 3
        everywhere = client.get(f"/rewards/{ALL_REGIONS}", headers=desk).json()
        assert {c["id"] for c in everywhere["applicableCardSystems"]} == {1, 2, 3}

    def test_an_unknown_reward_is_404(self, client: TestClient, desk: dict[str, str]) -> None:
        response = client.get("/rewards/no-such-reward", headers=desk)
        assert response.status_code == 404
        assert response.json()["code"] == "reward-not-found"

    def test_reading_needs_a_token_with_rewards_read(
        self, client: TestClient, login: Login
    ) -> None:
        assert client.get("/rewards").status_code == 401
        response = client.get("/rewards", headers=login("referrer-maasmechelen"))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


class TestRedeemStatus:
    @pytest.mark.parametrize(
        ("reward_id", "uitpas_number", "reason"),
        [
            (TWENTY, EXPIRED, "PASSHOLDER_POINTS"),
            (ENDED, ACTIVE, "REWARD_PERIOD"),
            (TWENTY, HALLE, "PASSHOLDER_APPLICABLE_CARDSYSTEMS"),
            (TWENTY, BLOCKED, "INVALID_CARD"),
            (WELCOME, GROUP_PASS, "INVALID_CARD"),
        ],
    )
    def test_says_why_not(
        self,
        client: TestClient,
        desk: dict[str, str],
        reward_id: str,
        uitpas_number: str,
        reason: str,
    ) -> None:
        response = client.get(
            f"/rewards/{reward_id}/redeem-status",
            params={"uitpasNumber": uitpas_number},
            headers=desk,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["redeemable"], body["reason"]) == (False, reason)
        assert body["message"] == body["endUserMessage"]["nl"]

    def test_says_yes_and_writes_nothing(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        response = client.get(
            f"/rewards/{TWENTY}/redeem-status", params={"uitpasNumber": ACTIVE}, headers=desk
        )
        assert response.json() == {"redeemable": True}
        assert count(demo_db_url, t.RewardRedemption) == 0

    def test_a_malformed_number_is_400_and_an_unknown_card_404(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        bad = client.get(
            f"/rewards/{TWENTY}/redeem-status",
            params={"uitpasNumber": "6451620999771"},
            headers=desk,
        )
        assert (bad.status_code, bad.json()["code"]) == (400, "invalid-uitpas-number")
        unknown = client.get(
            f"/rewards/{TWENTY}/redeem-status",
            params={"uitpasNumber": "1234567890128"},
            headers=desk,
        )
        assert (unknown.status_code, unknown.json()["code"]) == (404, "pass-not-found")


class TestRedeem:
    def test_spends_the_points_through_the_ledger_and_is_audited(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        response = redeem(client, desk, TWENTY, ACTIVE)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["reward"]["id"] == TWENTY
        assert body["reward"]["unitsTaken"] == 1
        assert body["redeemDate"].startswith("2026-11-23T18:30")
        assert balance(demo_db_url, ACTIVE) == 4
        assert client.get(f"/passes/{ACTIVE}", headers=desk).json()["points"] == 4
        with database(demo_db_url) as session:
            redemption = session.get(t.RewardRedemption, body["id"])
            assert redemption is not None
            assert (redemption.points, redemption.organizer_id) == (20, "org-cc-maasmechelen")
            [ledger] = session.scalars(
                select(t.PointsTransaction).where(t.PointsTransaction.redemption_id == body["id"])
            )
            assert (ledger.delta, ledger.reason) == (-20, "REDEMPTION")
            audit = session.scalar(
                select(func.count())
                .select_from(t.AuditEntry)
                .where(
                    t.AuditEntry.action == "reward.redeemed",
                    t.AuditEntry.subject == f"reward_redemption:{body['id']}",
                )
            )
            assert audit == 1

    def test_not_enough_points_is_refused_and_writes_nothing(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        audit_before = count(demo_db_url, t.AuditEntry)
        response = redeem(client, desk, TWENTY, EXPIRED)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "reward-passholder-points-constraint"
        assert "punten" in body["endUserMessage"]["nl"]
        assert balance(demo_db_url, EXPIRED) == 3
        assert count(demo_db_url, t.RewardRedemption) == 0
        assert count(demo_db_url, t.PointsTransaction) == 0
        assert count(demo_db_url, t.AuditEntry) == audit_before
        assert client.get(f"/rewards/{TWENTY}", headers=desk).json()["unitsTaken"] == 0

    def test_a_welcome_reward_is_free_and_given_once(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        first = redeem(client, desk, WELCOME, NO_POINTS)
        assert first.status_code == 201, first.text
        assert first.json()["reward"]["points"] == 0
        assert balance(demo_db_url, NO_POINTS) == 0
        second = redeem(client, desk, WELCOME, NO_POINTS)
        assert second.status_code == 400
        assert second.json()["code"] == "reward-passholder-volume-constraint"
        assert count(demo_db_url, t.RewardRedemption) == 1

    def test_the_stock_runs_out(self, client: TestClient, desk: dict[str, str]) -> None:
        for _ in range(3):
            assert redeem(client, desk, FIVE_STOCK_3, ACTIVE).status_code == 201
        fourth = redeem(client, desk, FIVE_STOCK_3, ACTIVE)  # 9 points left: stock, not points
        assert fourth.status_code == 400
        assert fourth.json()["code"] == "reward-volume-constraint"
        assert client.get(f"/rewards/{FIVE_STOCK_3}", headers=desk).json()["unitsTaken"] == 3

    def test_the_per_holder_limit_holds_for_the_year(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        assert redeem(client, desk, TEN_ONCE_A_YEAR, ACTIVE).status_code == 201
        again = redeem(client, desk, TEN_ONCE_A_YEAR, ACTIVE)  # 14 points left
        assert again.status_code == 400
        assert again.json()["code"] == "reward-passholder-volume-constraint"
        assert "dit jaar" in again.json()["endUserMessage"]["nl"]

    def test_after_the_redeem_period_is_refused(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        response = redeem(client, desk, ENDED, ACTIVE)
        assert response.status_code == 400
        assert response.json()["code"] == "reward-period-constraint"

    def test_a_holder_of_another_region_only_where_the_reward_applies(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        refused = redeem(client, desk, TWENTY, HALLE)
        assert refused.status_code == 400
        assert refused.json()["code"] == "reward-passholder-no-applicable-cardsystems"
        allowed = redeem(client, desk, ALL_REGIONS, HALLE)
        assert allowed.status_code == 201, allowed.text
        assert balance(demo_db_url, HALLE) == 22 - 15

    def test_a_desk_of_an_organizer_the_reward_does_not_name_is_forbidden(
        self, client: TestClient, login: Login
    ) -> None:
        response = redeem(client, login("desk-heist"), TWENTY, ACTIVE)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_unknown_rewards_and_cards_and_bad_numbers(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        assert redeem(client, desk, "no-such-reward", ACTIVE).json()["code"] == "reward-not-found"
        assert redeem(client, desk, TWENTY, "1234567890128").json()["code"] == "pass-not-found"
        bad = redeem(client, desk, TWENTY, "6451620999771")
        assert (bad.status_code, bad.json()["code"]) == (400, "invalid-uitpas-number")
        blocked = redeem(client, desk, TWENTY, BLOCKED)
        assert (blocked.status_code, blocked.json()["code"]) == (400, "invalid-card")

    def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        headers = desk | {"Idempotency-Key": "redeem-once"}
        first = redeem(client, headers, TEN_ONCE_A_YEAR, ACTIVE)
        second = redeem(client, headers, TEN_ONCE_A_YEAR, ACTIVE)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert count(demo_db_url, t.RewardRedemption) == 1
        assert balance(demo_db_url, ACTIVE) == 14
        other = redeem(client, headers, TWENTY, ACTIVE)
        assert (other.status_code, other.json()["code"]) == (400, "idempotency-key-reused")


class TestCancel:
    def test_gives_the_points_and_the_unit_back_and_a_second_cancel_is_fine(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        redeemed = redeem(client, desk, FIVE_STOCK_3, ACTIVE).json()
        assert balance(demo_db_url, ACTIVE) == 19
        assert client.delete(f"/rewards/redeemed/{redeemed['id']}", headers=desk).status_code == 204
        assert balance(demo_db_url, ACTIVE) == 24
        assert client.get(f"/rewards/{FIVE_STOCK_3}", headers=desk).json()["unitsTaken"] == 0
        assert client.delete(f"/rewards/redeemed/{redeemed['id']}", headers=desk).status_code == 204
        assert balance(demo_db_url, ACTIVE) == 24
        with database(demo_db_url) as session:
            deltas = session.execute(
                select(t.PointsTransaction.delta, t.PointsTransaction.reason)
                .where(t.PointsTransaction.redemption_id == redeemed["id"])
                .order_by(t.PointsTransaction.id)
            ).all()
            assert [tuple(d) for d in deltas] == [(-5, "REDEMPTION"), (5, "REDEMPTION_CANCELLED")]
            cancelled = session.get(t.RewardRedemption, redeemed["id"])
            assert cancelled is not None
            assert cancelled.cancelled_at is not None
        assert count(demo_db_url, t.AuditEntry, t.AuditEntry.action.like("reward.%")) == 2

    def test_a_cancelled_redemption_no_longer_counts_for_the_holder_limit(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        first = redeem(client, desk, WELCOME, NO_POINTS).json()
        client.delete(f"/rewards/redeemed/{first['id']}", headers=desk)
        assert redeem(client, desk, WELCOME, NO_POINTS).status_code == 201

    def test_unknown_is_404_and_another_organizers_desk_is_forbidden(
        self, client: TestClient, desk: dict[str, str], login: Login
    ) -> None:
        missing = client.delete("/rewards/redeemed/nope", headers=desk)
        assert (missing.status_code, missing.json()["code"]) == (404, "redeemed-reward-not-found")
        redeemed = redeem(client, desk, TWENTY, ACTIVE).json()
        other = client.delete(f"/rewards/redeemed/{redeemed['id']}", headers=login("desk-heist"))
        assert other.status_code == 403


class TestRedeemedList:
    def test_lists_a_holders_redemptions_newest_first_without_cancelled_ones(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        welcome = redeem(client, desk, WELCOME, ACTIVE).json()
        film = redeem(client, desk, FIVE_STOCK_3, ACTIVE).json()
        cancelled = redeem(client, desk, TEN_ONCE_A_YEAR, ACTIVE).json()
        client.delete(f"/rewards/redeemed/{cancelled['id']}", headers=desk)
        response = client.get("/rewards/redeemed", params={"uitpasNumber": ACTIVE}, headers=desk)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalItems"] == 2
        assert {r["id"] for r in body["member"]} == {welcome["id"], film["id"]}
        points_only = client.get(
            "/rewards/redeemed",
            params={"uitpasNumber": ACTIVE, "rewardType": "POINTS"},
            headers=desk,
        ).json()
        assert [r["id"] for r in points_only["member"]] == [film["id"]]
        holder_id = client.get(f"/passes/{ACTIVE}", headers=desk).json()["passholderId"]
        by_id = client.get(
            "/rewards/redeemed",
            params={"passholderId": holder_id, "organizerId": "org-cc-maasmechelen"},
            headers=desk,
        ).json()
        assert by_id["totalItems"] == 2
        paged = client.get(
            "/rewards/redeemed", params={"uitpasNumber": ACTIVE, "limit": 1}, headers=desk
        ).json()
        assert (paged["totalItems"], len(paged["member"])) == (2, 1)

    def test_a_region_admin_sees_the_members_of_its_own_region_only(
        self, client: TestClient, desk: dict[str, str], login: Login
    ) -> None:
        assert redeem(client, desk, ALL_REGIONS, HALLE).status_code == 201

        def seen_by(who: str) -> int:
            response = client.get(
                "/rewards/redeemed", params={"uitpasNumber": HALLE}, headers=login(who)
            )
            assert response.status_code == 200, response.text
            total: int = response.json()["totalItems"]
            return total

        assert seen_by("admin-halle") == 1
        assert seen_by("admin-maasmechelen") == 0

    def test_needs_exactly_one_holder_filter(
        self, client: TestClient, desk: dict[str, str]
    ) -> None:
        neither = client.get("/rewards/redeemed", headers=desk)
        assert neither.status_code == 400
        bad = client.get("/rewards/redeemed", params={"uitpasNumber": "123"}, headers=desk)
        assert (bad.status_code, bad.json()["code"]) == (400, "invalid-uitpas-number")
        other = client.get(
            "/rewards/redeemed",
            params={"passholderId": "x", "organizerId": "org-zwaneberg"},
            headers=desk,
        )
        assert other.status_code == 403


class TestConcurrentRedemptions:
    THREADS = 24

    def test_points_for_exactly_one_give_exactly_one_redemption(
        self, client: TestClient, desk: dict[str, str], demo_db_url: str
    ) -> None:
        """24 desks redeem the same 20-point reward for a holder with 24 points at once."""

        def attempt(i: int) -> tuple[int, Any]:
            headers = desk | {"Idempotency-Key": f"race-{i}"} if i % 2 else desk
            response = redeem(client, headers, TWENTY, ACTIVE)
            return response.status_code, response.json()

        with ThreadPoolExecutor(self.THREADS) as pool:
            results = list(pool.map(attempt, range(self.THREADS)))
        statuses = sorted(status for status, _ in results)
        assert statuses.count(201) == 1, statuses
        refused = {body["code"] for status, body in results if status != 201}
        assert refused == {"reward-passholder-points-constraint"}
        assert count(demo_db_url, t.RewardRedemption) == 1
        assert balance(demo_db_url, ACTIVE) == 4
        assert client.get(f"/rewards/{TWENTY}", headers=desk).json()["unitsTaken"] == 1
