"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

SQLite gets WAL, ``synchronous=NORMAL``, foreign keys and a busy timeout. pysqlite's own
transaction handling is switched off so that SQLAlchemy emits ``BEGIN`` itself: deferred for
reads, ``BEGIN IMMEDIATE`` for a writing engine (``writer(engine)``), which takes the write lock
up front so that two concurrent sales cannot both read a limit before either writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from passengine.domain.errors import InvalidInput

SQLITE_BEGIN_OPTION = "passengine_sqlite_begin"


class BadDatabaseUrl(InvalidInput):
    code = "bad-database-url"


def parse_database_url(url: str | URL) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadDatabaseUrl(f"Not a database URL: {url!s}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadDatabaseUrl(
            f"Unsupported database {parsed.get_backend_name()!r}: use sqlite:///path.db "
            "or postgresql+psycopg://user@host/db"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    parsed = parse_database_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, **kwargs)
            _configure_sqlite(engine)
        else:
            kwargs.setdefault("pool_pre_ping", True)
            engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, TypeError) as exc:
        raise BadDatabaseUrl(f"Cannot use database URL {parsed!r}: {exc}") from exc
    return engine


def writer(engine: Engine) -> Engine:
    """The same pool, but SQLite transactions start with ``BEGIN IMMEDIATE``."""
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
