"""Native API for the local network's reports: settlements, budgets, participation, the annual
report, and background jobs for the large ones. JSON in snake_case; files with a
Content-Disposition. A request that would stream more than ``SYNC_LINE_LIMIT`` sale lines is
refused with ``report-too-large``: ask for a job instead (``POST /v1/reports/jobs``)."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from api.deps import NowDep, PrincipalDep, ReadersDep, WritersDep
from passengine.domain.errors import InvalidInput
from passengine.domain.report_periods import LocalPeriod
from passengine.services.auth import Principal
from passengine.services.idempotency import Answer, fingerprint, run_once
from passengine.services.reports import jobs
from passengine.services.reports.access import (
    audit_report,
    require_job_access,
    require_organizer_reports,
    require_region_reports,
)
from passengine.services.reports.catalogue import (
    DEFAULT_THRESHOLDS,
    MEDIA_TYPES,
    ReportRequest,
    line_count,
    produce,
)

router = APIRouter(prefix="/v1/reports", tags=["native: reports"])
BRUSSELS = ZoneInfo("Europe/Brussels")
SYNC_LINE_LIMIT = 20_000
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
RegionId = Annotated[int, Query(ge=1, le=2_147_483_647)]
OrganizerId = Annotated[str | None, Query(max_length=64)]
Year = Annotated[int, Query(ge=2000, le=2100)]
Threshold = Annotated[int, Query(ge=5, le=100)]


def _today(now: datetime) -> date:
    return now.astimezone(BRUSSELS).date()


def authorize(session: Session, principal: Principal | None, request: ReportRequest) -> None:
    """Region reports for administrators; an organizer's settlement also for its own client."""
    if request.organizer_id is not None:
        require_organizer_reports(
            session, principal, request.organizer_id, region_id=request.region_id
        )
    else:
        require_region_reports(session, principal, request.region_id)


def _file(
    readers: sessionmaker[Session],
    writers: sessionmaker[Session],
    principal: Principal,
    request: ReportRequest,
    now: datetime,
) -> Response:
    """Access and the audit row in a short write; the report itself is read without the write
    lock, so desks keep selling while it is made."""
    out = io.BytesIO()
    with writers() as session, session.begin():
        authorize(session, principal, request)
        lines = line_count(session, request)
        if lines > SYNC_LINE_LIMIT:
            raise InvalidInput(
                f"This report holds {lines:,} sales; more than {SYNC_LINE_LIMIT:,} are made in "
                "the background: POST /v1/reports/jobs.",
                code="report-too-large",
            )
        audit_report(
            session,
            principal.actor,
            request.kind,
            region_id=request.region_id,
            details={"format": request.format, **request.params()},
        )
    with readers() as session, session.begin():
        produce(session, request, out, today=_today(now), generated_at=now)
    headers = {}
    if request.format != "json":
        headers["Content-Disposition"] = f'attachment; filename="{request.filename()}"'
    return Response(out.getvalue(), media_type=request.media_type, headers=headers)


@router.get("/settlement", response_model=None)
def settlement_report(
    principal: PrincipalDep,
    readers: ReadersDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    start: date,
    end: date,
    organizer_id: OrganizerId = None,
    format_: Annotated[Literal["json", "csv", "xlsx", "pdf"], Query(alias="format")] = "json",
) -> Response:
    """Per organizer (expense claim) and per paying municipality; cancelled sales excluded."""
    request = ReportRequest(
        kind="settlement",
        format=format_,
        region_id=region_id,
        organizer_id=organizer_id,
        period=LocalPeriod(start, end),
    )
    return _file(readers, writers, principal, request, now)


@router.get("/budgets", response_model=None)
def budget_report(
    principal: PrincipalDep,
    readers: ReadersDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    year: Year,
    thresholds: Annotated[list[int] | None, Query(max_length=10)] = None,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response:
    """Each municipality's spending against its yearly budget, projected to the year's end."""
    request = ReportRequest(
        kind="budgets",
        format=format_,
        region_id=region_id,
        year=year,
        thresholds=tuple(thresholds) if thresholds else DEFAULT_THRESHOLDS,
    )
    return _file(readers, writers, principal, request, now)


@router.get("/participation", response_model=None)
def participation_report(
    principal: PrincipalDep,
    readers: ReadersDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    start: date,
    end: date,
    threshold: Threshold = 5,
    ending_within_days: Annotated[int, Query(ge=1, le=366)] = 60,
) -> Response:
    """Whom the network reaches and whom it misses; cells under ``threshold`` are hidden."""
    request = ReportRequest(
        kind="participation",
        format="json",
        region_id=region_id,
        period=LocalPeriod(start, end),
        threshold=threshold,
        ending_within_days=ending_within_days,
    )
    return _file(readers, writers, principal, request, now)


@router.get("/annual", response_model=None)
def annual_report(
    principal: PrincipalDep,
    readers: ReadersDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    year: Year,
    threshold: Threshold = 5,
    format_: Annotated[Literal["pdf", "json"], Query(alias="format")] = "pdf",
) -> Response:
    """The annual report for the local network: charts in a PDF, the same figures as JSON."""
    request = ReportRequest(
        kind="annual", format=format_, region_id=region_id, year=year, threshold=threshold
    )
    return _file(readers, writers, principal, request, now)


# --- Jobs -----------------------------------------------------------------------------------------


class PeriodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date
    end: date


class ReportJobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["settlement", "budgets", "participation", "annual"]
    format: Literal["json", "csv", "xlsx", "pdf"]
    region_id: int = Field(ge=1, le=2_147_483_647)
    organizer_id: str | None = Field(default=None, max_length=64)
    period: PeriodIn | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)
    threshold: int = Field(default=5, ge=5, le=100)
    thresholds: list[int] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS), max_length=10)

    def request(self) -> ReportRequest:
        return ReportRequest(
            kind=self.kind,
            format=self.format,
            region_id=self.region_id,
            organizer_id=self.organizer_id,
            period=LocalPeriod(self.period.start, self.period.end) if self.period else None,
            year=self.year,
            threshold=self.threshold,
            thresholds=tuple(self.thresholds),
        )


def job_json(view: jobs.JobView) -> dict[str, Any]:
    body = dataclasses.asdict(view)
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in body.items()}


def start(
    readers: sessionmaker[Session],
    writers: sessionmaker[Session],
    principal: Principal,
    key: str | None,
    request: ReportRequest,
    *,
    path: str,
    body: Any,
    now: datetime,
    background: BackgroundTasks,
    answer_body: Any = job_json,
    status_code: int = 202,
) -> JSONResponse:
    """Record the job (idempotently) and run it after the answer; a replay runs nothing."""
    started: list[int] = []

    def work(session: Session) -> Answer:
        authorize(session, principal, request)
        view = jobs.start_job(session, request, actor=principal.actor, now=now)
        started.append(view.id)
        return Answer(status_code, answer_body(view))

    answer = run_once(
        writers,
        client_id=principal.client_id,
        key=key,
        request_fingerprint=fingerprint("POST", path, body),
        work=work,
    )
    for job_id in started:
        background.add_task(jobs.run_job, readers, writers, job_id, today=_today(now), now=now)
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.post("/jobs", status_code=202)
def create_job(
    body: ReportJobCreate,
    principal: PrincipalDep,
    readers: ReadersDep,
    writers: WritersDep,
    now: NowDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """202 with the job; poll ``GET /v1/reports/jobs/{id}`` and fetch ``…/file`` when AVAILABLE."""
    return start(
        readers,
        writers,
        principal,
        idempotency_key,
        body.request(),
        path="/v1/reports/jobs",
        body=body.model_dump(mode="json"),
        now=now,
        background=background,
    )


@router.get("/jobs")
def list_report_jobs(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
) -> dict[str, Any]:
    with writers() as session, session.begin():
        require_region_reports(session, principal, region_id)
        views = jobs.list_jobs(session, now=now, region_ids=frozenset({region_id}))
    return {"jobs": [job_json(v) for v in views]}


JobId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/jobs/{job_id}")
def get_report_job(
    principal: PrincipalDep, writers: WritersDep, now: NowDep, job_id: JobId
) -> dict[str, Any]:
    with writers() as session, session.begin():
        view = jobs.get_job(session, job_id, now=now)
        require_job_access(
            session, principal, region_id=view.region_id, organizer_id=view.organizer_id
        )
    return job_json(view)


@router.get("/jobs/{job_id}/file", response_model=None)
def get_report_job_file(
    principal: PrincipalDep, writers: WritersDep, now: NowDep, job_id: JobId
) -> Response:
    with writers() as session, session.begin():
        view = jobs.get_job(session, job_id, now=now)
        require_job_access(
            session, principal, region_id=view.region_id, organizer_id=view.organizer_id
        )
        content = jobs.job_file(session, view)
    return Response(
        content,
        media_type=MEDIA_TYPES[view.format],
        headers={"Content-Disposition": f'attachment; filename="{view.filename}"'},
    )
