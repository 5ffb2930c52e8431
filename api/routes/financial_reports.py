"""The organizer financial reports of the UiTPAS profile.

``POST /organizers/{id}/financial-reports`` starts a job that makes a zip with the organizer's
expense claim as CSV, XLSX and PDF; the job's id is the spec's ``reportId``. The temporary
download link is signed (HMAC with the server's token secret over the report and the expiry), so
it works without a token for ``LINK_VALID_FOR``, as the spec describes.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from api.deps import NowDep, PrincipalDep, ReadersDep, WritersDep, get_principal
from api.routes.reports import start
from passengine.domain.errors import NotFound
from passengine.domain.report_periods import LocalPeriod, suggested_periods
from passengine.services.auth import Principal, Unauthorized
from passengine.services.reports import jobs
from passengine.services.reports.access import require_organizer_reports
from passengine.services.reports.catalogue import ReportRequest

router = APIRouter(tags=["financial reports"])
BRUSSELS = ZoneInfo("Europe/Brussels")
LINK_VALID_FOR = 600  # seconds
OrganizerId = Annotated[str, Path(alias="organizerId", max_length=64)]
ReportId = Annotated[int, Path(alias="reportId", ge=1, le=2_147_483_647)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class ReportPeriodIn(BaseModel):
    """The spec's ReportPeriod: both dates included."""

    model_config = ConfigDict(extra="forbid")
    startDate: date  # the spec's names
    endDate: date

    def period(self) -> LocalPeriod:
        return LocalPeriod(self.startDate, self.endDate)


def _period_json(start: Any, end: Any) -> dict[str, str]:
    return {"startDate": start.isoformat(), "endDate": end.isoformat()}


def report_json(view: jobs.JobView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": view.id,
        "status": view.status,
        "creationDate": view.created_at.astimezone(BRUSSELS).isoformat(timespec="seconds"),
    }
    if view.period_start and view.period_end:
        body["period"] = _period_json(view.period_start, view.period_end)
    if view.status == jobs.FAILED and view.message:
        body["message"] = view.message
    return body


def _authorized(session: Session, principal: Principal, organizer_id: str) -> int:
    return require_organizer_reports(session, principal, organizer_id, region_id=None)


def _organizer_job(
    session: Session, organizer_id: str, report_id: int, now: datetime
) -> jobs.JobView:
    view = jobs.get_job(session, report_id, now=now)
    if view.organizer_id != organizer_id or view.kind != "financial":
        raise NotFound(f"No report {report_id}.", code="report-not-found")
    return view


@router.get("/organizers/{organizerId}/financial-reports/periods")
def get_periods(
    principal: PrincipalDep, writers: WritersDep, now: NowDep, organizer_id: OrganizerId
) -> list[dict[str, str]]:
    """The current month so far and the five before it."""
    with writers() as session, session.begin():
        _authorized(session, principal, organizer_id)
    today = now.astimezone(BRUSSELS).date()
    return [_period_json(p.start, p.end) for p in suggested_periods(today)]


@router.post("/organizers/{organizerId}/financial-reports")
def post_financial_report(
    body: ReportPeriodIn,
    principal: PrincipalDep,
    readers: ReadersDep,
    writers: WritersDep,
    now: NowDep,
    background: BackgroundTasks,
    organizer_id: OrganizerId,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    period = body.period()
    with writers() as session, session.begin():
        region_id = _authorized(session, principal, organizer_id)
    request = ReportRequest(
        kind="financial",
        format="zip",
        region_id=region_id,
        organizer_id=organizer_id,
        period=period,
    )
    return start(
        readers,
        writers,
        principal,
        idempotency_key,
        request,
        path=f"/organizers/{organizer_id}/financial-reports",
        body=body.model_dump(mode="json"),
        now=now,
        background=background,
        answer_body=report_json,
        status_code=200,
    )


@router.get("/organizers/{organizerId}/financial-reports")
def list_financial_reports(
    principal: PrincipalDep, writers: WritersDep, now: NowDep, organizer_id: OrganizerId
) -> list[dict[str, Any]]:
    with writers() as session, session.begin():
        _authorized(session, principal, organizer_id)
        views = jobs.list_jobs(session, now=now, organizer_id=organizer_id, kind="financial")
    return [report_json(v) for v in views]


def _signature(secret: str, report_id: int, expires: int) -> str:
    message = f"financial-report:{report_id}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@router.get("/organizers/{organizerId}/financial-reports/{reportId}.zip", response_model=None)
def download_financial_report(
    request: Request,
    writers: WritersDep,
    now: NowDep,
    organizer_id: OrganizerId,
    report_id: ReportId,
    expires: Annotated[int | None, Query(ge=0)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    """With a token, or with a link from ``download-link`` that has not expired."""
    secret = request.app.state.settings.token_secret.get_secret_value()
    signed = (
        expires is not None
        and signature is not None
        and expires >= int(now.timestamp())
        and hmac.compare_digest(signature, _signature(secret, report_id, expires))
    )
    if not signed and (expires is not None or signature is not None):
        raise Unauthorized("This download link has expired or is not valid.", code="unauthorized")
    principal = None if signed else get_principal(request)
    with writers() as session, session.begin():
        if principal is not None:
            _authorized(session, principal, organizer_id)
        view = _organizer_job(session, organizer_id, report_id, now)
        content = jobs.job_file(session, view)
    return Response(
        content,
        media_type="application/x-zip-compressed",
        headers={"Content-Disposition": f'attachment; filename="{view.filename}"'},
    )


@router.get("/organizers/{organizerId}/financial-reports/{reportId}/download-link")
def get_download_link(
    request: Request,
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    organizer_id: OrganizerId,
    report_id: ReportId,
) -> dict[str, str]:
    with writers() as session, session.begin():
        _authorized(session, principal, organizer_id)
        view = _organizer_job(session, organizer_id, report_id, now)
        if view.status != jobs.AVAILABLE:
            raise NotFound(f"Report {report_id} is {view.status.lower()}.", code="report-not-found")
    expires = int(now.timestamp()) + LINK_VALID_FOR
    secret = request.app.state.settings.token_secret.get_secret_value()
    url = request.url_for(
        "download_financial_report", organizerId=organizer_id, reportId=str(report_id)
    )
    signature = _signature(secret, report_id, expires)
    return {"downloadLink": f"{url}?expires={expires}&signature={signature}"}


@router.get("/organizers/{organizerId}/financial-reports/{reportId}")
def get_financial_report(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    organizer_id: OrganizerId,
    report_id: ReportId,
) -> dict[str, Any]:
    with writers() as session, session.begin():
        _authorized(session, principal, organizer_id)
        view = _organizer_job(session, organizer_id, report_id, now)
    return report_json(view)
