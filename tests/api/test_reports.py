"""Reports over HTTP: sales made at the desk show up in the settlement to the cent, files come
with their names, large work runs as a job, and the UiTPAS financial-report flow (start, poll,
signed download link) works as the spec describes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.routes import reports as report_routes
from tests.api.conftest import Clock

ACTIVE = "6451620999770"
EVENT = "evt-cc-maasmechelen-comedy"
ORGANIZER = "org-cc-maasmechelen"
TODAY = {"region_id": "1", "start": "2026-11-01", "end": "2026-11-30"}

Login = Callable[[str], dict[str, str]]


def sell(client: TestClient, desk: dict[str, str], price: float, key: str) -> dict[str, Any]:
    response = client.post(
        "/ticket-sales",
        json=[
            {
                "regularPrice": price,
                "tariff": {"id": "SOCIALTARIFF-kansentarief"},
                "eventId": EVENT,
                "uitpasNumber": ACTIVE,
            }
        ],
        headers=desk | {"Idempotency-Key": key},
    )
    assert response.status_code == 200, response.text
    sale: dict[str, Any] = response.json()[0]
    return sale


@pytest.fixture
def sold(client: TestClient, login: Login) -> dict[str, Any]:
    """One kept sale of €12.50 and one cancelled sale, tonight in Maasmechelen."""
    desk = login("desk-maasmechelen")
    cancelled = sell(client, desk, 10, "first")
    assert client.delete(f"/ticket-sales/{cancelled['id']}", headers=desk).status_code == 204
    return sell(client, desk, 12.5, "second")


class TestSettlement:
    @pytest.mark.usefixtures("sold")
    def test_the_desks_sale_is_settled_to_the_cent(self, client: TestClient, login: Login) -> None:
        admin = login("admin-maasmechelen")
        response = client.get("/v1/reports/settlement", params=TODAY, headers=admin)
        assert response.status_code == 200, response.text
        body = response.json()
        totals = body["totals"]
        assert totals["sales"] == 1  # the cancelled sale is not reimbursed
        assert totals["regular_cents"] == 1250
        assert totals["holder_cents"] == 250  # 20 % of the price
        # Norm 20-40-40: the rest is split evenly between municipality and organizer.
        assert totals["municipality_cents"] == 500
        assert totals["organizer_cents"] == 500
        assert totals["reimbursed_cents"] == 500
        [organizer] = body["organizers"]
        assert organizer["organizer_id"] == ORGANIZER
        assert body["municipalities"] == [
            {"nis_code": "73107", "name": "Maasmechelen", "owes_cents": 500}
        ]

    def test_files_come_with_a_name_and_the_same_figures(
        self, client: TestClient, login: Login, sold: dict[str, Any]
    ) -> None:
        admin = login("admin-maasmechelen")
        csv_file = client.get(
            "/v1/reports/settlement", params=TODAY | {"format": "csv"}, headers=admin
        )
        assert csv_file.status_code == 200
        assert csv_file.headers["content-type"].startswith("text/csv")
        assert "afrekening_regio-1_20261101-20261130.csv" in csv_file.headers["content-disposition"]
        assert sold["id"] in csv_file.text
        xlsx = client.get(
            "/v1/reports/settlement", params=TODAY | {"format": "xlsx"}, headers=admin
        )
        assert xlsx.status_code == 200
        book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
        assert {"Organisatoren", "Gemeenten", "Verkopen"} <= set(book.sheetnames)
        pdf = client.get("/v1/reports/settlement", params=TODAY | {"format": "pdf"}, headers=admin)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")

    def test_a_period_that_ends_before_it_starts_is_refused(
        self, client: TestClient, login: Login
    ) -> None:
        admin = login("admin-maasmechelen")
        response = client.get(
            "/v1/reports/settlement",
            params={"region_id": "1", "start": "2026-11-30", "end": "2026-11-01"},
            headers=admin,
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-period"

    def test_an_unknown_region_is_404(self, client: TestClient, login: Login) -> None:
        admin = login("admin-maasmechelen")
        response = client.get(
            "/v1/reports/settlement", params=TODAY | {"region_id": "99"}, headers=admin
        )
        assert response.status_code == 404
        assert response.json()["code"] == "region-not-found"

    @pytest.mark.usefixtures("sold")
    def test_too_many_lines_for_a_request_ask_for_a_job(
        self,
        client: TestClient,
        login: Login,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(report_routes, "SYNC_LINE_LIMIT", 0)
        admin = login("admin-maasmechelen")
        response = client.get(
            "/v1/reports/settlement", params=TODAY | {"format": "csv"}, headers=admin
        )
        assert response.status_code == 400
        assert response.json()["code"] == "report-too-large"
        # The summary is aggregated in the database: it never needs a job.
        summary = client.get("/v1/reports/settlement", params=TODAY, headers=admin)
        assert summary.status_code == 200


class TestJobs:
    def test_a_job_runs_after_the_answer_and_a_retry_starts_nothing_new(
        self, client: TestClient, login: Login, sold: dict[str, Any]
    ) -> None:
        admin = login("admin-maasmechelen")
        body = {
            "kind": "settlement",
            "format": "csv",
            "region_id": 1,
            "period": {"start": "2026-11-01", "end": "2026-11-30"},
        }
        headers = admin | {"Idempotency-Key": "job-1"}
        started = client.post("/v1/reports/jobs", json=body, headers=headers)
        assert started.status_code == 202, started.text
        assert started.json()["status"] == "STARTED"
        job_id = started.json()["id"]
        again = client.post("/v1/reports/jobs", json=body, headers=headers)
        assert again.json()["id"] == job_id
        listed = client.get("/v1/reports/jobs", params={"region_id": "1"}, headers=admin).json()
        assert [j["id"] for j in listed["jobs"]] == [job_id]

        status = client.get(f"/v1/reports/jobs/{job_id}", headers=admin).json()
        assert status["status"] == "AVAILABLE"
        assert status["progress"] == 100
        file = client.get(f"/v1/reports/jobs/{job_id}/file", headers=admin)
        assert file.status_code == 200
        assert sold["id"] in file.text

    def test_a_job_that_cannot_be_made_fails_with_a_message(
        self, client: TestClient, login: Login
    ) -> None:
        admin = login("admin-maasmechelen")
        body = {"kind": "budgets", "format": "csv", "region_id": 1, "year": 2026, "thresholds": [0]}
        started = client.post("/v1/reports/jobs", json=body, headers=admin)
        assert started.status_code == 202
        status = client.get(f"/v1/reports/jobs/{started.json()['id']}", headers=admin).json()
        assert status["status"] == "FAILED"
        assert status["message"]
        file = client.get(f"/v1/reports/jobs/{started.json()['id']}/file", headers=admin)
        assert file.status_code == 404

    def test_a_job_without_its_period_is_refused_before_it_starts(
        self, client: TestClient, login: Login
    ) -> None:
        admin = login("admin-maasmechelen")
        body = {"kind": "settlement", "format": "csv", "region_id": 1}
        response = client.post("/v1/reports/jobs", json=body, headers=admin)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-period"
        listed = client.get("/v1/reports/jobs", params={"region_id": "1"}, headers=admin).json()
        assert listed["jobs"] == []


class TestFinancialReports:
    def test_start_poll_and_download_with_a_signed_link(
        self, client: TestClient, login: Login, sold: dict[str, Any], clock: Clock
    ) -> None:
        admin = login("admin-maasmechelen")
        base = f"/organizers/{ORGANIZER}/financial-reports"
        periods = client.get(f"{base}/periods", headers=admin)
        assert periods.status_code == 200
        assert periods.json()[0] == {"startDate": "2026-11-01", "endDate": "2026-11-23"}

        started = client.post(
            base, json={"startDate": "2026-11-01", "endDate": "2026-11-30"}, headers=admin
        )
        assert started.status_code == 200, started.text
        report_id = started.json()["id"]
        assert started.json()["status"] == "STARTED"
        [listed] = client.get(base, headers=admin).json()
        assert listed["status"] == "AVAILABLE"
        assert listed["period"] == {"startDate": "2026-11-01", "endDate": "2026-11-30"}

        link = client.get(f"{base}/{report_id}/download-link", headers=admin)
        assert link.status_code == 200
        url = link.json()["downloadLink"]
        download = client.get(url)  # no token: the link is the key
        assert download.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(download.content))
        names = sorted(archive.namelist())
        assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "pdf", "xlsx"]
        csv_name = next(n for n in names if n.endswith(".csv"))
        assert sold["id"] in archive.read(csv_name).decode("utf-8")

        assert client.get(url.replace("signature=", "signature=0")).status_code == 401
        clock.now += timedelta(minutes=11)
        assert client.get(url).status_code == 401
        with_token = client.get(f"{base}/{report_id}.zip", headers=admin)
        assert with_token.status_code == 200

    @pytest.mark.usefixtures("sold")
    def test_a_report_of_another_organizer_is_not_found(
        self, client: TestClient, login: Login
    ) -> None:
        admin = login("admin-maasmechelen")
        started = client.post(
            f"/organizers/{ORGANIZER}/financial-reports",
            json={"startDate": "2026-11-01", "endDate": "2026-11-30"},
            headers=admin,
        )
        report_id = started.json()["id"]
        other = client.get(
            f"/organizers/org-sport-maasmechelen/financial-reports/{report_id}", headers=admin
        )
        assert other.status_code == 404
        assert other.json()["code"] == "report-not-found"
        unknown = client.get("/organizers/org-nope/financial-reports", headers=admin)
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "organizer-not-found"

    def test_a_bad_period_is_a_schema_error(self, client: TestClient, login: Login) -> None:
        admin = login("admin-maasmechelen")
        response = client.post(
            f"/organizers/{ORGANIZER}/financial-reports",
            json={"startDate": "yesterday", "endDate": "2026-11-30"},
            headers=admin,
        )
        assert response.status_code == 400


class TestRegionReports:
    @pytest.mark.usefixtures("sold")
    def test_budgets_count_the_municipal_share(self, client: TestClient, login: Login) -> None:
        admin = login("admin-maasmechelen")
        response = client.get(
            "/v1/reports/budgets", params={"region_id": "1", "year": "2026"}, headers=admin
        )
        assert response.status_code == 200, response.text
        lines = {line["nis_code"]: line for line in response.json()["lines"]}
        assert lines["73107"]["budget_cents"] == 1_200_000
        assert lines["73107"]["consumed_cents"] == 500
        assert lines["73042"]["consumed_cents"] == 0

    @pytest.mark.usefixtures("sold")
    def test_participation_hides_small_cells(self, client: TestClient, login: Login) -> None:
        admin = login("admin-maasmechelen")
        response = client.get(
            "/v1/reports/participation",
            params={"region_id": "1", "start": "2026-11-01", "end": "2026-11-30"},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        figures = response.json()
        assert figures["threshold"] == 5
        assert figures["reach"]["total"]["reached"] is None  # one person bought a ticket
        too_low = client.get(
            "/v1/reports/participation",
            params={"region_id": "1", "start": "2026-11-01", "end": "2026-11-30", "threshold": 2},
            headers=admin,
        )
        assert too_low.status_code == 400

    def test_the_annual_report_is_a_pdf_and_its_figures_are_json(
        self, client: TestClient, login: Login
    ) -> None:
        admin = login("admin-maasmechelen")
        pdf = client.get(
            "/v1/reports/annual", params={"region_id": "1", "year": "2026"}, headers=admin
        )
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF")
        figures = client.get(
            "/v1/reports/annual",
            params={"region_id": "1", "year": "2026", "format": "json"},
            headers=admin,
        ).json()
        assert set(figures) == {"participation", "budgets"}

    def test_region_reports_are_the_region_administrators(
        self, client: TestClient, login: Login
    ) -> None:
        for who in ("desk-maasmechelen", "referrer-maasmechelen", "admin-heist"):
            response = client.get("/v1/reports/settlement", params=TODAY, headers=login(who))
            assert response.status_code == 403, who
