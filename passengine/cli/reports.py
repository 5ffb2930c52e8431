"""``passengine report``: settlements, budgets, participation and the annual report, as files.

The command line acts as the installation's operator (every region); each report is audited.
The file is written next to its final name and renamed when complete, so a report cut short
never looks finished.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, TaskID

from passengine.cli.main import DatabaseOption, _progress, _settings, _today, clean_errors, console
from passengine.domain.report_periods import LocalPeriod
from passengine.services.audit import CLI_OPERATOR
from passengine.services.reports.access import (
    audit_report,
    require_organizer_reports,
    require_region_reports,
)
from passengine.services.reports.catalogue import DEFAULT_THRESHOLDS, ReportRequest, produce
from passengine.storage.db import make_engine, make_sessionmaker, writer

report_app = typer.Typer(no_args_is_help=True)

RegionOption = Annotated[int, typer.Option("--region", help="Region (card system) id.")]
FromOption = Annotated[
    datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (local date).")
]
ToOption = Annotated[
    datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included.")
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="File to write; default: a name in this folder.")
]
YearOption = Annotated[int, typer.Option("--year", min=2000, max=2100)]


def _run(request: ReportRequest, out: Path | None, database_url: str | None) -> None:
    settings = _settings(database_url)
    target = out or Path(request.filename())
    if not target.parent.is_dir():
        raise FileNotFoundError(f"no such directory: {target.parent}")
    partial = target.with_name(f".{target.name}.part")
    engine = make_engine(settings.database_url)
    try:
        with contextlib.ExitStack() as stack:
            progress: Progress | None = None
            task: TaskID | None = None

            def advance(percent: int) -> None:
                nonlocal progress, task
                if progress is None:
                    progress = stack.enter_context(_progress())
                    task = progress.add_task(f"Making the {request.kind} report", total=100)
                if task is not None:
                    progress.update(task, completed=percent)

            writers = make_sessionmaker(writer(engine))
            with writers() as session, session.begin():
                if request.organizer_id is not None:
                    require_organizer_reports(
                        session, None, request.organizer_id, region_id=request.region_id
                    )
                else:
                    require_region_reports(session, None, request.region_id)
                audit_report(
                    session,
                    CLI_OPERATOR,
                    request.kind,
                    region_id=request.region_id,
                    details={"format": request.format, **request.params()},
                )
            readers = make_sessionmaker(engine)
            with readers() as session, session.begin(), partial.open("wb") as handle:
                produce(
                    session,
                    request,
                    handle,
                    today=_today(settings),
                    generated_at=datetime.now(UTC),
                    progress=advance,
                )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        engine.dispose()
    console.print(f"Wrote the {request.kind} report to {target}", soft_wrap=True)


def _period(start: datetime, end: datetime) -> LocalPeriod:
    return LocalPeriod(
        date.fromisoformat(f"{start:%Y-%m-%d}"), date.fromisoformat(f"{end:%Y-%m-%d}")
    )


@report_app.command("settlement")
@clean_errors
def settlement(
    region: RegionOption,
    start: FromOption,
    end: ToOption,
    organizer: Annotated[
        str | None, typer.Option("--organizer", help="One organizer's expense claim.")
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="csv, xlsx, pdf or json.")] = "xlsx",
    out: OutOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Per organizer (expense claims) and per paying municipality, for a period."""
    request = ReportRequest(
        kind="settlement",
        format=format_.lower(),
        region_id=region,
        organizer_id=organizer,
        period=_period(start, end),
    )
    _run(request, out, database_url)


@report_app.command("budgets")
@clean_errors
def budgets(
    region: RegionOption,
    year: YearOption,
    thresholds: Annotated[
        str, typer.Option(help="Warning thresholds in percent, comma-separated.")
    ] = ",".join(str(t) for t in DEFAULT_THRESHOLDS),
    format_: Annotated[str, typer.Option("--format", help="json or csv.")] = "csv",
    out: OutOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Each municipality's spending against its yearly budget, projected to the year's end."""
    try:
        levels = tuple(int(x) for x in thresholds.split(",") if x.strip())
    except ValueError as exc:
        raise ValueError(f"--thresholds takes whole percentages, not {thresholds!r}") from exc
    request = ReportRequest(
        kind="budgets", format=format_.lower(), region_id=region, year=year, thresholds=levels
    )
    _run(request, out, database_url)


@report_app.command("participation")
@clean_errors
def participation(
    region: RegionOption,
    start: FromOption,
    end: ToOption,
    threshold: Annotated[
        int, typer.Option(min=5, max=100, help="Hide counts under this (at least 5).")
    ] = 5,
    out: OutOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Reach, non-use, first-time participants, months, domains (JSON, small cells hidden)."""
    request = ReportRequest(
        kind="participation",
        format="json",
        region_id=region,
        period=_period(start, end),
        threshold=threshold,
    )
    _run(request, out, database_url)


@report_app.command("annual")
@clean_errors
def annual(
    region: RegionOption,
    year: YearOption,
    format_: Annotated[str, typer.Option("--format", help="pdf or json.")] = "pdf",
    threshold: Annotated[int, typer.Option(min=5, max=100)] = 5,
    out: OutOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """The annual report for the local network, with charts."""
    request = ReportRequest(
        kind="annual", format=format_.lower(), region_id=region, year=year, threshold=threshold
    )
    _run(request, out, database_url)
