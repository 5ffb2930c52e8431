"""Card PDFs over the API: for the administrator of the card's region only, audited, and never
marking cards printed (that is what a batch sent to the printer does)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cardprint.fonts import DEFAULT_FONT_DIR
from passengine.config import Settings
from passengine.storage import tables as t
from passengine.storage.db import make_engine

pytestmark = pytest.mark.skipif(
    not (DEFAULT_FONT_DIR / "DejaVuSans.ttf").is_file(),
    reason="needs fonts-dejavu-core (apt-get install fonts-dejavu-core; .ci/run installs it)",
)
Login = Callable[[str], dict[str, str]]

ACTIVE = "6451620999770"  # Maasland: Giuseppina Lombardi
GRACE = "2340804679577"  # Maasland: Mehmet Çelik
BLOCKED = "9609790229107"  # Maasland, reported lost
HEIST = "3249047387477"


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def audits(settings: Settings, action: str) -> list[tuple[str | None, str | None]]:
    with database(settings) as session:
        return [
            (row.holder_id, row.subject)
            for row in session.scalars(
                select(t.AuditEntry).where(t.AuditEntry.action == action).order_by(t.AuditEntry.id)
            )
        ]


def holder_of(settings: Settings, number: str) -> str | None:
    with database(settings) as session:
        return session.scalar(select(t.Card.holder_id).where(t.Card.uitpas_number == number))


def printed(settings: Settings) -> int:
    with database(settings) as session:
        statement: Any = select(func.count()).select_from(t.Card)
        return session.scalar(statement.where(t.Card.printed_at.is_not(None))) or 0


def pages(pdf: bytes) -> int:
    match = re.search(rb"2 0 obj\n<< /Type /Pages /Count (\d+)", pdf)
    assert match is not None
    return int(match.group(1))


class TestOneCard:
    def test_the_regions_administrator_gets_the_pdf_and_it_is_audited(
        self, client: TestClient, login: Login, app_settings: Settings
    ) -> None:
        response = client.get(f"/v1/cards/{ACTIVE}/pdf", headers=login("admin-maasmechelen"))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "no-store"
        assert response.content.startswith(b"%PDF-")
        assert pages(response.content) == 2  # front and back
        assert audits(app_settings, "cards.pdf") == [
            (holder_of(app_settings, ACTIVE), f"card:{ACTIVE}")
        ]
        assert printed(app_settings) == 0  # a download is not a print run

    def test_an_a4_sheet(self, client: TestClient, login: Login) -> None:
        response = client.get(
            f"/v1/cards/{ACTIVE}/pdf", params={"sheet": "A4"}, headers=login("admin-maasmechelen")
        )
        assert response.status_code == 200
        assert pages(response.content) == 2

    @pytest.mark.parametrize(
        "caller", ["admin-heist", "desk-maasmechelen", "referrer-maasmechelen"]
    )
    def test_anyone_else_is_refused(
        self, client: TestClient, login: Login, app_settings: Settings, caller: str
    ) -> None:
        response = client.get(f"/v1/cards/{ACTIVE}/pdf", headers=login(caller))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert audits(app_settings, "cards.pdf") == []

    def test_another_regions_administrator_is_refused_and_audited(
        self, client: TestClient, login: Login, app_settings: Settings
    ) -> None:
        response = client.get(f"/v1/cards/{ACTIVE}/pdf", headers=login("admin-heist"))
        assert response.status_code == 403
        assert audits(app_settings, "cards.pdf.refused") == [
            (holder_of(app_settings, ACTIVE), f"card:{ACTIVE}")
        ]

    def test_without_a_token(self, client: TestClient) -> None:
        assert client.get(f"/v1/cards/{ACTIVE}/pdf").status_code == 401

    @pytest.mark.parametrize(
        ("number", "status", "code"),
        [
            ("6451620999771", 400, "invalid-uitpas-number"),
            ("1000000000009", 404, "pass-not-found"),
            (BLOCKED, 400, "card-status-not-printable"),
        ],
    )
    def test_bad_numbers(
        self, client: TestClient, login: Login, number: str, status: int, code: str
    ) -> None:
        response = client.get(f"/v1/cards/{number}/pdf", headers=login("admin-maasmechelen"))
        assert response.status_code == status
        assert response.json()["code"] == code


class TestBatch:
    def test_a_few_cards_in_the_order_asked(
        self, client: TestClient, login: Login, app_settings: Settings
    ) -> None:
        response = client.post(
            "/v1/cards/pdf",
            json={"uitpas_numbers": [GRACE, ACTIVE]},
            headers=login("admin-maasmechelen"),
        )
        assert response.status_code == 200, response.text
        assert pages(response.content) == 4
        assert [subject for _, subject in audits(app_settings, "cards.pdf")] == [
            f"card:{GRACE}",
            f"card:{ACTIVE}",
        ]

    def test_at_most_50_cards(self, client: TestClient, login: Login) -> None:
        response = client.post(
            "/v1/cards/pdf",
            json={"uitpas_numbers": [ACTIVE] * 51},
            headers=login("admin-maasmechelen"),
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-data"

    def test_a_card_of_another_region_refuses_the_whole_batch(
        self, client: TestClient, login: Login, app_settings: Settings
    ) -> None:
        response = client.post(
            "/v1/cards/pdf",
            json={"uitpas_numbers": [ACTIVE, HEIST]},
            headers=login("admin-maasmechelen"),
        )
        assert response.status_code == 403
        assert audits(app_settings, "cards.pdf") == []
        assert [subject for _, subject in audits(app_settings, "cards.pdf.refused")] == [
            f"card:{HEIST}"
        ]
