from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from passengine.config import Settings


class TestHealth:
    def test_reports_ok_when_the_database_answers(self, migrated_db_url: str) -> None:
        with TestClient(
            create_app(Settings(environment="test", database_url=migrated_db_url))
        ) as client:
            response = client.get("/health")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    def test_unknown_paths_answer_problem_json(self, migrated_db_url: str) -> None:
        with TestClient(
            create_app(Settings(environment="test", database_url=migrated_db_url))
        ) as client:
            response = client.get("/no-such-thing")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "not-found"

    def test_openapi_document_is_served(self, migrated_db_url: str) -> None:
        with TestClient(
            create_app(Settings(environment="test", database_url=migrated_db_url))
        ) as client:
            assert client.get("/openapi.json").json()["info"]["title"] == "passengine"
            assert client.get("/docs").status_code == 200
