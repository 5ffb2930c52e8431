"""The FastAPI application. Nothing connects at import: the engine is built in ``lifespan``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from sqlalchemy import text

from api import errors
from api.deps import Clock
from api.routes import (
    auth,
    card_pdfs,
    catalog,
    checkins,
    desk_page,
    financial_reports,
    passes,
    passholders,
    reports,
    rewards,
    tariffs,
    ticket_sales,
    uitpas_passholders,
    v1_config,
    v1_holders,
)
from passengine import __version__
from passengine.config import Settings, get_settings
from passengine.services.pii import InszVault
from passengine.storage.db import make_engine, make_sessionmaker, writer


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        app.state.writers = make_sessionmaker(writer(engine))
        app.state.settings = settings
        app.state.clock = clock
        app.state.vault = InszVault.from_settings(settings)
        yield
        engine.dispose()

    app = FastAPI(
        title="passengine",
        version=__version__,
        description="Leisure passes with a kansentarief: UiTPAS API 4.0 profile and native API.",
        lifespan=lifespan,
    )
    errors.install(app)
    for router in (
        auth.router,
        passes.router,
        tariffs.router,
        ticket_sales.router,
        checkins.router,
        rewards.router,
        catalog.router,
        passholders.router,
        uitpas_passholders.router,
        card_pdfs.router,
        desk_page.router,
        v1_config.router,
        v1_holders.router,
        reports.router,
        financial_reports.router,
    ):
        app.include_router(router)

    @app.get("/health", tags=["meta"])
    def health(request: Request) -> dict[str, str]:
        """Liveness and database reachability, for load balancers and the demo."""
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    return app
