"""Time at the desk, with an injected clock: check-in windows, and DAY/WEEK limits across
midnight and the autumn DST change in Europe/Brussels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from passengine.domain.model import CalendarType, EventDomain, Period
from passengine.storage import tables as t
from passengine.storage.db import make_engine
from tests.api.conftest import Clock

BRUSSELS = ZoneInfo("Europe/Brussels")
ACTIVE = "6451620999770"
Login = Callable[[str], dict[str, str]]


def local(year: int, month: int, day: int, hour: int, minute: int, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS, fold=fold)


@pytest.fixture
def add_event(demo_db_url: str) -> Callable[..., str]:
    def _add(event_id: str, calendar: CalendarType, **columns: object) -> str:
        engine = make_engine(demo_db_url)
        with Session(engine) as session, session.begin():
            session.add(
                t.Event(
                    id=event_id,
                    organizer_id="org-cc-maasmechelen",
                    title=event_id,
                    location_nis_code="73107",
                    domain=EventDomain.CULTURE,
                    calendar_type=calendar,
                    **columns,
                )
            )
        engine.dispose()
        return event_id

    return _add


def checkin(client: TestClient, login: Login, event_id: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/checkins",
        json={"eventId": event_id, "uitpasNumber": ACTIVE},
        headers=login("desk-maasmechelen"),
    )
    return response.status_code, response.json()


def sell(client: TestClient, login: Login, event_id: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/ticket-sales",
        json=[
            {
                "regularPrice": 5,
                "tariff": {"id": "SOCIALTARIFF-kansentarief"},
                "eventId": event_id,
                "uitpasNumber": ACTIVE,
            }
        ],
        headers=login("desk-maasmechelen"),
    )
    body = response.json()
    return response.status_code, body[0] if isinstance(body, list) else body


class TestCheckinWindows:
    def test_opens_five_hours_before_the_start(
        self, client: TestClient, login: Login, clock: Clock, add_event: Callable[..., str]
    ) -> None:
        event = add_event(
            "evt-tonight",
            CalendarType.SINGLE,
            starts_at=local(2026, 11, 23, 20, 0),
            ends_at=local(2026, 11, 23, 22, 30),
        )
        clock.now = local(2026, 11, 23, 14, 59)
        status, body = checkin(client, login, event)
        assert status == 400
        assert body["code"] == "checkin-not-allowed"
        assert "15:00" in body["endUserMessage"]["nl"]  # type: ignore[index]
        clock.now = local(2026, 11, 23, 15, 0)
        assert checkin(client, login, event)[0] == 201


class TestLimitsAcrossMidnight:
    def test_a_permanent_offer_allows_one_checkin_per_monday_to_sunday_week(
        self, client: TestClient, login: Login, clock: Clock, add_event: Callable[..., str]
    ) -> None:
        event = add_event("evt-permanent", CalendarType.PERMANENT)
        clock.now = local(2026, 11, 22, 23, 59)  # Sunday
        assert checkin(client, login, event)[0] == 201
        clock.now = local(2026, 11, 23, 0, 1)  # Monday: a new week
        assert checkin(client, login, event)[0] == 201
        clock.now = local(2026, 11, 29, 23, 59)  # Sunday of that week
        status, body = checkin(client, login, event)
        assert status == 400
        assert body["code"] == "checkin-not-allowed"

    def test_a_weekly_ticket_limit_resets_on_monday_at_midnight(
        self, client: TestClient, login: Login, clock: Clock, add_event: Callable[..., str]
    ) -> None:
        event = add_event("evt-pool", CalendarType.PERMANENT)
        clock.now = local(2026, 11, 22, 23, 50)
        assert sell(client, login, event)[0] == 200
        clock.now = local(2026, 11, 23, 0, 10)
        assert sell(client, login, event)[0] == 200
        clock.now = local(2026, 11, 23, 12, 0)
        status, body = sell(client, login, event)
        assert status == 400
        assert body["code"] == "maximum-reached"

    def test_one_checkin_a_day_across_the_autumn_clock_change(
        self, client: TestClient, login: Login, clock: Clock, add_event: Callable[..., str]
    ) -> None:
        event = add_event(
            "evt-autumn-camp",
            CalendarType.PERIODIC,
            starts_at=local(2026, 10, 20, 9, 0),
            ends_at=local(2026, 10, 30, 17, 0),
            checkin_limit_volume=1,
            checkin_limit_period=Period.DAY,
        )
        clock.now = local(2026, 10, 24, 23, 30)  # Saturday, summer time (+02:00)
        assert checkin(client, login, event)[0] == 201
        clock.now = local(2026, 10, 25, 0, 30)  # Sunday, still +02:00: a new day
        assert checkin(client, login, event)[0] == 201
        clock.now = local(2026, 10, 25, 2, 30, fold=1)  # the repeated hour, now +01:00
        status, body = checkin(client, login, event)
        assert status == 400
        assert body["code"] == "checkin-not-allowed"
