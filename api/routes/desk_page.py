"""The desk web page (``/desk``): scan a card, see the price, sell, check in or redeem.

One Jinja2 template and a little plain JavaScript, served by the API itself: no build step. The
page signs in with the desk's client credentials and then uses the same JSON API as any
ticketing system (``/passes``, ``/tariffs``, ``/ticket-sales``, ``/checkins``, ``/rewards``…).
The one thing that API lacks, today's events of the desk's organizer, is ``GET /v1/desk/events``
below. Decisions are in docs/desk-page.md.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path as PathParam, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import NowDep, PrincipalDep, ReadersDep
from api.views import instant
from passengine.services.desk import DeskDay, DeskEvent, todays_events

router = APIRouter()

DESK_DIR = Path(__file__).resolve().parent.parent / "desk"
STATIC_DIR = DESK_DIR / "static"
LANGUAGES = {"nl": "Nederlands", "fr": "Français", "en": "English"}
Language = Literal["nl", "fr", "en"]
STATIC_FILES = {"desk.js": "text/javascript", "desk.css": "text/css"}
"""Everything the page loads: an allow-list, so no path from the URL ever reaches the disk."""

# The page runs only its own script and talks only to its own origin; nothing may frame it
# (a framed desk page could be clicked through by another site).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=DESK_DIR / "templates")


@cache
def _messages() -> dict[str, dict[str, str]]:
    with (DESK_DIR / "messages.json").open(encoding="utf-8") as handle:
        messages: dict[str, dict[str, str]] = json.load(handle)
    return messages


@cache
def _fingerprint(name: str) -> str:
    """A short hash of a static file for its URL: a new version is fetched at once, an
    unchanged one comes from the browser's cache."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def _static_url(name: str) -> str:
    return f"/desk/static/{name}?v={_fingerprint(name)}"


@router.get("/desk", response_class=HTMLResponse, include_in_schema=False)
def desk_page(request: Request, lang: Annotated[Language, Query()] = "nl") -> Response:
    """The page, in Dutch unless ``?lang=fr`` or ``?lang=en`` (the page switches in place)."""
    messages = _messages()
    return templates.TemplateResponse(
        request,
        "desk.html",
        {
            "lang": lang,
            "t": messages[lang],
            "messages": messages,
            "languages": list(LANGUAGES.items()),
            "static_url": _static_url,
        },
        headers=PAGE_HEADERS,
    )


@router.get("/desk/static/{name}", include_in_schema=False)
def desk_static(name: Annotated[str, PathParam(max_length=40)]) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(status_code=404, detail="No such file.")
    return FileResponse(
        STATIC_DIR / name,
        media_type=f"{media_type}; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


def _moment(value: datetime | None) -> str | None:
    return None if value is None else instant(value)


def _event(event: DeskEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "calendar_type": event.calendar_type,
        "starts_at": _moment(event.starts_at),
        "ends_at": _moment(event.ends_at),
        "checkin_points": event.checkin_points,
        "checkin_opens_at": _moment(event.checkin_opens_at),
        "checkin_closes_at": _moment(event.checkin_closes_at),
    }


def _day(day: DeskDay) -> dict[str, Any]:
    return {
        "date": day.day.isoformat(),
        "timezone": day.timezone,
        "organizer": {"id": day.organizer_id, "name": day.organizer_name},
        "desk": None if day.desk_id is None else {"id": day.desk_id, "name": day.desk_name},
        "events": [_event(e) for e in day.events],
    }


@router.get("/v1/desk/events", tags=["native: desk"])
def get_desk_events(principal: PrincipalDep, readers: ReadersDep, now: NowDep) -> dict[str, Any]:
    """Today's events (in the region's time zone) and the permanent offers of the caller's
    organizer, for the desk page's first choice. Needs ``EVENTS_READ`` and a desk client."""
    with readers() as session:
        day = todays_events(session, principal=principal, at=now)
    return _day(day)
