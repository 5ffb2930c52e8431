"""Writes under load and retries, against a real server (uvicorn in a thread) on both databases:
32 desks selling the last reduced-rate ticket at once sell it once; 32 retries of one request with
the same Idempotency-Key make one sale and 32 identical answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from api.app import create_app
from passengine.config import Settings
from passengine.storage import tables as t
from passengine.storage.db import make_engine
from tests.api.conftest import SECRETS, Clock

ACTIVE = "6451620999770"
EVENT = "evt-cc-maasmechelen-comedy"
THREADS = 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(app_settings: Settings, clock: Clock) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        create_app(app_settings, clock=clock), host="127.0.0.1", port=port, log_level="warning"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def _token(base: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-desk-maasmechelen",
            "client_secret": SECRETS["desk"],
        },
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _sell(base: str, headers: dict[str, str]) -> tuple[int, Any]:
    payload = [
        {
            "regularPrice": 12.5,
            "tariff": {"id": "SOCIALTARIFF-kansentarief"},
            "eventId": EVENT,
            "uitpasNumber": ACTIVE,
        }
    ]
    response = httpx.post(f"{base}/ticket-sales", json=payload, headers=headers, timeout=60)
    return response.status_code, response.json()


def _sales(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(
                    select(func.count())
                    .select_from(t.TicketSale)
                    .where(t.TicketSale.holder_id.is_not(None))
                )
                or 0
            )
    finally:
        engine.dispose()


class TestConcurrentWrites:
    def test_the_last_reduced_rate_ticket_is_sold_once(self, server: str, demo_db_url: str) -> None:
        headers = _token(server)
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(lambda _: _sell(server, headers), range(THREADS)))
        statuses = sorted(status for status, _ in results)
        assert statuses.count(200) == 1, statuses
        refused = [body for status, body in results if status != 200]
        assert {b["code"] for b in refused} == {"maximum-reached"}
        assert _sales(demo_db_url) == 1

    def test_retries_with_one_idempotency_key_make_one_sale_and_one_answer(
        self, server: str, demo_db_url: str
    ) -> None:
        headers = _token(server) | {"Idempotency-Key": "one-sale-many-retries"}
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(lambda _: _sell(server, headers), range(THREADS)))
        assert {status for status, _ in results} == {200}, [s for s, _ in results]
        bodies = {repr(body) for _, body in results}
        assert len(bodies) == 1
        assert _sales(demo_db_url) == 1
