"""Report jobs: a report too large for one request is made in the background.

A job row is written STARTED in the request that asks for it; the work runs after the answer
(any worker may run it: the row and the file live in the database) and ends AVAILABLE with the
file, or FAILED with a message a person can act on. Progress is written as it goes, in short
transactions of its own, so a poller sees it move. A job that a crash interrupted stays STARTED
in the table; readers see it as FAILED once it is older than ``STALE_AFTER``. Files are kept for
``KEEP_FOR`` and then removed when the next job starts.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from passengine.domain.errors import NotFound, PassEngineError
from passengine.services.audit import Actor
from passengine.services.reports.access import audit_report
from passengine.services.reports.catalogue import ReportRequest, produce
from passengine.storage import tables as t

log = logging.getLogger(__name__)

KEEP_FOR = timedelta(days=7)
STALE_AFTER = timedelta(hours=2)
STARTED, AVAILABLE, FAILED = "STARTED", "AVAILABLE", "FAILED"


@dataclass(frozen=True, slots=True)
class JobView:
    id: int
    kind: str
    format: str
    region_id: int
    organizer_id: str | None
    status: str
    progress: int
    message: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    filename: str | None
    size_bytes: int | None
    period_start: date | None
    period_end: date | None
    year: int | None


def start_job(session: Session, request: ReportRequest, *, actor: Actor, now: datetime) -> JobView:
    """Record the job (inside the caller's transaction); run it with :func:`run_job`."""
    session.execute(delete(t.ReportJob).where(t.ReportJob.expires_at < now))
    job = t.ReportJob(
        region_id=request.region_id,
        organizer_id=request.organizer_id,
        kind=request.kind,
        format=request.format,
        params=request.params(),
        status=STARTED,
        progress=0,
        requested_by=actor.client_id or actor.label,
        created_at=now,
        filename=request.filename(),
        media_type=request.media_type,
    )
    session.add(job)
    session.flush()
    audit_report(
        session,
        actor,
        request.kind,
        region_id=request.region_id,
        details={"job": job.id, "format": request.format, **request.params()},
    )
    return _view(job, now=now)


def run_job(
    readers: sessionmaker[Session],
    sessions: sessionmaker[Session],
    job_id: int,
    *,
    today: date,
    now: datetime,
) -> None:
    """Make the file and store it; never raises (the outcome is in the row). The report is read
    in a transaction of its own that takes no write lock: desks keep selling meanwhile."""
    with sessions() as session:
        job = session.get(t.ReportJob, job_id)
        if job is None or job.status != STARTED:
            return
        request = ReportRequest.from_params(
            kind=job.kind,
            format=job.format,
            region_id=job.region_id,
            organizer_id=job.organizer_id,
            params=job.params,
        )
    last = [0]

    def progress(percent: int) -> None:
        percent = max(0, min(99, percent))
        if percent >= last[0] + 5:
            last[0] = percent
            with sessions() as s, s.begin():
                s.execute(
                    update(t.ReportJob).where(t.ReportJob.id == job_id).values(progress=percent)
                )

    out = io.BytesIO()
    try:
        with readers() as session, session.begin():
            produce(session, request, out, today=today, generated_at=now, progress=progress)
    except PassEngineError as exc:
        _finish(sessions, job_id, status=FAILED, message=exc.message, now=now)
        return
    except Exception:
        log.exception("report job %s failed", job_id)
        _finish(sessions, job_id, status=FAILED, message="The report could not be made.", now=now)
        return
    content = out.getvalue()
    _finish(sessions, job_id, status=AVAILABLE, content=content, now=now)


def _finish(
    sessions: sessionmaker[Session],
    job_id: int,
    *,
    status: str,
    message: str | None = None,
    content: bytes | None = None,
    now: datetime,
) -> None:
    finished = now
    with sessions() as session, session.begin():
        session.execute(
            update(t.ReportJob)
            .where(t.ReportJob.id == job_id)
            .values(
                status=status,
                message=message,
                progress=100 if status == AVAILABLE else t.ReportJob.progress,
                finished_at=finished,
                expires_at=finished + KEEP_FOR,
                content=content,
                size_bytes=len(content) if content is not None else None,
            )
        )


def get_job(session: Session, job_id: int, *, now: datetime) -> JobView:
    job = session.get(t.ReportJob, job_id)
    if job is None or (job.expires_at is not None and job.expires_at < now):
        raise NotFound(f"No report {job_id}.", code="report-not-found")
    return _view(job, now=now)


def list_jobs(
    session: Session,
    *,
    now: datetime,
    region_ids: frozenset[int] | None = None,
    organizer_id: str | None = None,
    kind: str | None = None,
    limit: int = 100,
) -> list[JobView]:
    query = select(t.ReportJob).where(
        (t.ReportJob.expires_at.is_(None)) | (t.ReportJob.expires_at >= now)
    )
    if region_ids is not None:
        query = query.where(t.ReportJob.region_id.in_(sorted(region_ids)))
    if organizer_id is not None:
        query = query.where(t.ReportJob.organizer_id == organizer_id)
    if kind is not None:
        query = query.where(t.ReportJob.kind == kind)
    rows = session.scalars(query.order_by(t.ReportJob.id.desc()).limit(limit))
    return [_view(job, now=now) for job in rows]


def job_file(session: Session, view: JobView) -> bytes:
    """The file of a job already found (and its access checked) with :func:`get_job`."""
    if view.status != AVAILABLE:
        raise NotFound(f"Report {view.id} is {view.status.lower()}.", code="report-not-found")
    content = session.scalar(select(t.ReportJob.content).where(t.ReportJob.id == view.id))
    return content or b""


def _view(job: t.ReportJob, *, now: datetime) -> JobView:
    status, message = job.status, job.message
    if status == STARTED and job.created_at < now - STALE_AFTER:
        status, message = FAILED, "The report was interrupted; ask for it again."
    params = job.params or {}
    period = params.get("period") or {}
    return JobView(
        id=job.id,
        kind=job.kind,
        format=job.format,
        region_id=job.region_id,
        organizer_id=job.organizer_id,
        status=status,
        progress=job.progress,
        message=message,
        created_at=job.created_at,
        finished_at=job.finished_at,
        expires_at=job.expires_at,
        filename=job.filename,
        size_bytes=job.size_bytes,
        period_start=date.fromisoformat(period["start"]) if period.get("start") else None,
        period_end=date.fromisoformat(period["end"]) if period.get("end") else None,
        year=params.get("year"),
    )
