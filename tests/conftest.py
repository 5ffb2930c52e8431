"""Test databases: SQLite always; PostgreSQL when PASSENGINE_TEST_DATABASE_URL is set.

The schema is built by Alembic's ``upgrade head``, never ``create_all``. Each test gets a session
inside a transaction that is rolled back afterwards; tests that need real commits (CLI, loaders
that own their transaction, concurrency) ask for ``fresh_db_url``, an empty database of their own.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from passengine.config import Settings
from passengine.services.pii import InszVault
from passengine.storage import migrate
from passengine.storage.db import make_engine

PG_URL_ENV = "PASSENGINE_TEST_DATABASE_URL"
REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"
REGION_DIRS = sorted(p for p in (FIXTURES / "regions").iterdir() if p.is_dir())
MAASMECHELEN = FIXTURES / "regions" / "maasmechelen"  # region 1, postal code 3630
TODAY = date(2026, 11, 23)
_counter = itertools.count()


def pg_base_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


def pytest_report_header(config: pytest.Config) -> str:  # noqa: ARG001
    url = pg_base_url()
    return f"passengine database: {'postgresql (' + url + ')' if url else 'sqlite'}"


def _worker(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


def _create_pg_database(name: str) -> str:
    base = make_url(pg_base_url() or "")
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


def _drop_pg_database(name: str) -> None:
    base = make_url(pg_base_url() or "")
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) that belongs to this test alone."""
    if pg_base_url():
        name = f"pe_{_worker(request)}_{os.getpid()}_{next(_counter)}"
        url = _create_pg_database(name)
        yield url
        _drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def migrated_db_url(fresh_db_url: str) -> str:
    engine = make_engine(fresh_db_url)
    migrate.upgrade(engine)
    engine.dispose()
    return fresh_db_url


@pytest.fixture(scope="session")
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if pg_base_url():
        name = f"pe_{_worker(request)}_{os.getpid()}_shared"
        url = _create_pg_database(name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'shared.db'}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    if pg_base_url():
        _drop_pg_database(name)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside a transaction rolled back at the end."""
    with engine.connect() as conn:
        outer = conn.begin()
        db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield db
        finally:
            db.close()
            outer.rollback()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(environment="test", database_url="sqlite://")


@pytest.fixture(scope="session")
def vault(settings: Settings) -> InszVault:
    return InszVault.from_settings(settings)
