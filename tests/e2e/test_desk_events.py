"""What the desk page is served with, without a browser: the page itself and
``GET /v1/desk/events``, today's events of the desk's organizer in the region's time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from passengine.domain.model import ClientRole
from passengine.services.auth import Forbidden, Principal
from passengine.services.desk import todays_events
from passengine.storage.db import make_engine, make_sessionmaker
from tests.api.conftest import NOW, Clock

BRUSSELS = ZoneInfo("Europe/Brussels")
Login = Callable[[str], dict[str, str]]


def desk_of(organizer_id: str, *permissions: str) -> Principal:
    return Principal(
        client_id="test-desk",
        role=ClientRole.DESK,
        permissions=frozenset(permissions or {"EVENTS_READ"}),
        region_ids=frozenset({1}),
        organizer_id=organizer_id,
    )


@pytest.fixture
def sessions(demo_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(demo_db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


class TestTheDeskEventsEndpoint:
    def test_a_desk_gets_tonights_event_of_its_organizer(
        self, client: TestClient, login: Login
    ) -> None:
        response = client.get("/v1/desk/events", headers=login("desk-maasmechelen"))
        assert response.status_code == 200, response.text
        assert response.json() == {
            "date": "2026-11-23",
            "timezone": "Europe/Brussels",
            "organizer": {"id": "org-cc-maasmechelen", "name": "Cultuurcentrum Maasmechelen"},
            "desk": {
                "id": "desk-cc-maasmechelen",
                "name": "Ticketbalie Cultuurcentrum Maasmechelen",
            },
            "events": [
                {
                    "id": "evt-cc-maasmechelen-comedy",
                    "title": "Comedyavond: Nieuwe Stemmen uit het Maasland",
                    "calendar_type": "SINGLE",
                    "starts_at": "2026-11-23T19:00:00Z",
                    "ends_at": "2026-11-23T21:30:00Z",
                    "checkin_points": 1,
                    "checkin_opens_at": "2026-11-23T14:00:00Z",
                    "checkin_closes_at": "2026-11-24T02:30:00Z",
                }
            ],
        }

    def test_tomorrow_the_list_holds_tomorrows_event(
        self, client: TestClient, login: Login, clock: Clock
    ) -> None:
        clock.now = NOW + timedelta(hours=15)  # 10:30 the next morning
        response = client.get("/v1/desk/events", headers=login("desk-maasmechelen"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["date"] == "2026-11-24"
        assert [e["id"] for e in body["events"]] == ["evt-cc-maasmechelen-familie"]

    def test_the_day_is_the_day_in_brussels_not_in_utc(
        self, client: TestClient, login: Login, clock: Clock
    ) -> None:
        # 00:30 in Brussels is still the previous day in UTC.
        clock.now = datetime(2026, 11, 24, 0, 30, tzinfo=BRUSSELS)
        body = client.get("/v1/desk/events", headers=login("desk-maasmechelen")).json()
        assert body["date"] == "2026-11-24"
        assert [e["id"] for e in body["events"]] == ["evt-cc-maasmechelen-familie"]

    def test_without_a_token_it_is_401(self, client: TestClient) -> None:
        response = client.get("/v1/desk/events")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"

    def test_a_client_that_is_not_a_desk_is_refused(self, client: TestClient, login: Login) -> None:
        response = client.get("/v1/desk/events", headers=login("admin-maasmechelen"))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


class TestTodaysEvents:
    def test_permanent_offers_come_after_todays_dated_events(
        self, sessions: sessionmaker[Session]
    ) -> None:
        at = NOW + timedelta(days=2)  # the day of Multimove's first lesson (14:00)
        with sessions() as session:
            day = todays_events(session, principal=desk_of("org-sport-maasmechelen"), at=at)
        assert [e.id for e in day.events] == [
            "evt-sport-maasmechelen-multimove",
            "evt-sport-maasmechelen-zwemmen",
        ]
        lesson, pool = day.events
        assert lesson.starts_at == datetime(2026, 11, 25, 14, 0, tzinfo=BRUSSELS)
        assert lesson.ends_at == datetime(2026, 11, 25, 15, 30, tzinfo=BRUSSELS)
        assert pool.calendar_type == "PERMANENT"
        assert pool.starts_at is None
        assert pool.checkin_opens_at is None

    def test_an_event_with_dates_is_listed_only_on_a_day_it_takes_place(
        self, sessions: sessionmaker[Session]
    ) -> None:
        # Multimove runs from +2d to +16d but not every day: tomorrow it is not on the list.
        with sessions() as session:
            day = todays_events(
                session, principal=desk_of("org-sport-maasmechelen"), at=NOW + timedelta(days=1)
            )
        assert [e.id for e in day.events] == ["evt-sport-maasmechelen-zwemmen"]

    def test_a_periodic_event_is_listed_every_day_of_its_period(
        self, sessions: sessionmaker[Session]
    ) -> None:
        with sessions() as session:
            day = todays_events(session, principal=desk_of("org-vrije-tijd-dilsen-stokkem"), at=NOW)
        [workshop] = day.events
        assert workshop.id == "evt-dilsen-stokkem-jeugdatelier"
        assert workshop.calendar_type == "PERIODIC"

    def test_the_permission_to_read_events_is_needed(self, sessions: sessionmaker[Session]) -> None:
        with sessions() as session, pytest.raises(Forbidden):
            todays_events(session, principal=desk_of("org-cc-maasmechelen", "PASSES_READ"), at=NOW)


class TestThePage:
    def test_the_page_is_dutch_first(self, client: TestClient) -> None:
        response = client.get("/desk")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="nl">' in response.text
        assert "Aanmelden aan de balie" in response.text

    @pytest.mark.parametrize(
        ("lang", "title"), [("fr", "Connexion au guichet"), ("en", "Sign in to the desk")]
    )
    def test_french_and_english_on_request(self, client: TestClient, lang: str, title: str) -> None:
        response = client.get("/desk", params={"lang": lang})
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in response.text
        assert title in response.text

    def test_another_language_is_refused(self, client: TestClient) -> None:
        response = client.get("/desk", params={"lang": "de"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-data"

    def test_only_the_pages_own_files_are_served(self, client: TestClient) -> None:
        script = client.get("/desk/static/desk.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        for name in ("desk.html", "..%2Fmessages.json", "app.py"):
            assert client.get(f"/desk/static/{name}").status_code == 404
