"""An app over a database with the demo regions, fresh for each test (copied from a template
built once per session: a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from passengine.config import Settings
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import load_region
from passengine.services.pii import InszVault
from passengine.storage import migrate
from passengine.storage.db import make_engine, make_sessionmaker, writer
from tests.api.conformance import conformance
from tests.conftest import (
    REGION_DIRS,
    TODAY,
    _counter,
    _create_pg_database,
    _drop_pg_database,
    _worker,
    pg_base_url,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 11, 23, 19, 30, tzinfo=BRUSSELS)  # half an hour before tonight's shows
SECRETS = {
    "desk": "demo-desk-secret",
    "referrer": "demo-referrer-secret",
    "admin": "demo-admin-secret",
}


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def demo_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if pg_base_url():
        name = f"pe_{_worker(request)}_{os.getpid()}_template"
        url = _create_pg_database(name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'demo.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_sessionmaker(writer(engine))
    vault = InszVault.from_settings(Settings(environment="test"))
    for region_dir in REGION_DIRS:
        with sessions() as session:
            load_region(session, region_dir, vault=vault, today=TODAY, actor=CLI_OPERATOR)
    engine.dispose()
    yield url
    if pg_base_url():
        _drop_pg_database(name)


@pytest.fixture
def demo_db_url(
    demo_template: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    if pg_base_url():
        template = make_url(demo_template).database
        name = f"pe_{_worker(request)}_{os.getpid()}_{next(_counter)}"
        base = make_url(pg_base_url() or "").set(drivername="postgresql+psycopg")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        admin.dispose()
        yield base.set(database=name).render_as_string(hide_password=False)
        _drop_pg_database(name)
    else:
        source = Path(make_url(demo_template).database or "")
        target = tmp_path / "demo.db"
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app_settings(demo_db_url: str) -> Settings:
    return Settings(environment="test", database_url=demo_db_url)


class ConformingClient(TestClient):
    """A test client that checks every response of a spec operation against the spec."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().request(method, url, *args, **kwargs)
        checker = conformance()
        if checker is not None:
            checker.check(
                method,
                response.request.url.path,
                response.status_code,
                response.headers.get("content-type", ""),
                response.content,
            )
        return response


@pytest.fixture
def client(app_settings: Settings, clock: Clock) -> Iterator[TestClient]:
    with ConformingClient(create_app(app_settings, clock=clock)) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, str]]:
    """login("desk-maasmechelen") → headers with a bearer token for that demo client."""

    def _login(who: str) -> dict[str, str]:
        role = who.split("-", 1)[0]
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": f"demo-{who}",
                "client_secret": SECRETS[role],
            },
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return _login
