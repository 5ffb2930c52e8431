"""Alembic environment: the URL comes from the caller (``passengine db upgrade``) or Settings."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from passengine.config import get_settings
from passengine.storage import tables  # noqa: F401  (registers the tables on Base.metadata)
from passengine.storage.base import Base, UTCDateTime
from passengine.storage.db import make_engine

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Render UTCDateTime as a plain aware DateTime: revisions never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        render_as_batch=True,  # SQLite alters tables by copying them
    )


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run against a database")
run_migrations_online()
