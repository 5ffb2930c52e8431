"""Every report the engine makes, by kind and format, written to a file-like object.

One entry point for the three ways a report is asked for (a request, a background job, the
command line), so a CSV from the CLI and one from a job are the same bytes. Progress is reported
as a percentage; settlements count their lines first so the bar means something.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput
from passengine.domain.report_periods import LocalPeriod, year_period
from passengine.services.reports import analytics, annual_pdf, budgets, settlement
from passengine.services.reports.settlement_files import (
    expense_claim_pdf,
    settlement_csv,
    settlement_xlsx,
)

Progress = Callable[[int], None]
"""Called with the percentage done (0–100)."""

FORMATS: dict[str, tuple[str, ...]] = {
    "settlement": ("json", "csv", "xlsx", "pdf"),
    "financial": ("zip",),
    "budgets": ("json", "csv"),
    "participation": ("json",),
    "annual": ("pdf", "json"),
}
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/x-zip-compressed",
}
DEFAULT_THRESHOLDS = (75, 90, 100)


@dataclass(frozen=True, slots=True)
class ReportRequest:
    kind: str
    format: str
    region_id: int
    organizer_id: str | None = None
    period: LocalPeriod | None = None
    """Settlements, financial reports and participation."""
    year: int | None = None
    """Budgets and the annual report."""
    threshold: int = 5
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    ending_within_days: int = 60

    def __post_init__(self) -> None:
        if self.kind not in FORMATS:
            raise InvalidInput(
                f"Unknown report {self.kind!r}: one of {', '.join(FORMATS)}.", code="invalid-report"
            )
        if self.format not in FORMATS[self.kind]:
            raise InvalidInput(
                f"A {self.kind} report comes as {', '.join(FORMATS[self.kind])}.",
                code="invalid-report-format",
            )
        if self.kind in ("settlement", "financial", "participation") and self.period is None:
            raise InvalidInput(f"A {self.kind} report needs a period.", code="invalid-period")
        if self.kind in ("budgets", "annual") and self.year is None:
            raise InvalidInput(f"A {self.kind} report needs a year.", code="invalid-period")
        if self.kind == "financial" and self.organizer_id is None:
            raise InvalidInput("A financial report is an organizer's.", code="invalid-report")

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def filename(self) -> str:
        scope = self.organizer_id or f"regio-{self.region_id}"
        if self.period is not None:
            when = f"{self.period.start:%Y%m%d}-{self.period.end:%Y%m%d}"
        else:
            when = str(self.year)
        names = {
            "settlement": "afrekening",
            "financial": "financieel-overzicht",
            "budgets": "budgetten",
            "participation": "participatie",
            "annual": "jaarverslag",
        }
        return f"{names[self.kind]}_{scope}_{when}.{self.format}"

    def params(self) -> dict[str, Any]:
        """What a job row keeps to describe the request (JSON)."""
        return {
            "period": (
                {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()}
                if self.period
                else None
            ),
            "year": self.year,
            "threshold": self.threshold,
            "thresholds": list(self.thresholds),
            "ending_within_days": self.ending_within_days,
        }

    @classmethod
    def from_params(
        cls, *, kind: str, format: str, region_id: int, organizer_id: str | None, params: Any
    ) -> ReportRequest:
        period = params.get("period")
        return cls(
            kind=kind,
            format=format,
            region_id=region_id,
            organizer_id=organizer_id,
            period=(
                LocalPeriod(date.fromisoformat(period["start"]), date.fromisoformat(period["end"]))
                if period
                else None
            ),
            year=params.get("year"),
            threshold=params.get("threshold", 5),
            thresholds=tuple(params.get("thresholds", DEFAULT_THRESHOLDS)),
            ending_within_days=params.get("ending_within_days", 60),
        )


@dataclass(slots=True)
class _Counter:
    """Passes lines through and reports the share of ``total`` seen so far."""

    total: int
    progress: Progress | None
    start: int = 0
    span: int = 100
    seen: int = field(default=0)

    def wrap(
        self, lines: Iterable[settlement.SettlementLine]
    ) -> Iterator[settlement.SettlementLine]:
        step = max(1, self.total // 100)
        for line in lines:
            self.seen += 1
            if self.progress is not None and self.seen % step == 0:
                self.progress(self.start + self.span * self.seen // max(1, self.total))
            yield line


def line_count(session: Session, request: ReportRequest) -> int:
    """Sale lines a settlement file would hold (0 for other reports): requests refuse big ones."""
    if request.kind not in ("settlement", "financial") or request.format == "json":
        return 0
    assert request.period is not None
    return settlement.count_lines(
        session,
        region_id=request.region_id,
        period=request.period,
        organizer_id=request.organizer_id,
    )


def produce(
    session: Session,
    request: ReportRequest,
    out: BinaryIO,
    *,
    today: date,
    generated_at: datetime,
    progress: Progress | None = None,
) -> None:
    """Write the report to ``out``. Access is the caller's business (``reports.access``).

    Call it first thing in a fresh transaction: on PostgreSQL it asks for REPEATABLE READ, so
    the totals and the lines of a settlement come from one snapshot even while desks sell
    (SQLite's read transactions are snapshots already).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    if request.kind in ("settlement", "financial"):
        _settlement(session, request, out, progress=progress)
    elif request.kind == "budgets":
        assert request.year is not None
        report = budgets.budget_report(
            session,
            region_id=request.region_id,
            year=request.year,
            today=today,
            thresholds=request.thresholds,
        )
        if request.format == "json":
            _json(budgets.budget_json(report), out)
        else:
            out.write(budgets_csv(report).encode("utf-8"))
    elif request.kind == "participation":
        assert request.period is not None
        _json(_participation(session, request, request.period, today).figures, out)
    else:
        assert request.year is not None
        figures = _participation(session, request, year_period(request.year), today).figures
        if progress:
            progress(60)
        budget = budgets.budget_json(
            budgets.budget_report(
                session,
                region_id=request.region_id,
                year=request.year,
                today=today,
                thresholds=request.thresholds,
            )
        )
        if request.format == "json":
            _json({"participation": figures, "budgets": budget}, out)
        else:
            annual_pdf.annual_report_pdf(
                participation=figures, budgets=budget, out=out, generated_at=generated_at
            )
    if progress:
        progress(100)


def _participation(
    session: Session, request: ReportRequest, period: LocalPeriod, today: date
) -> analytics.Participation:
    return analytics.participation(
        session,
        region_id=request.region_id,
        period=period,
        today=today,
        threshold=request.threshold,
        ending_within_days=request.ending_within_days,
    )


def _json(document: Any, out: BinaryIO) -> None:
    out.write(json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8"))


def settlement_json(summary: settlement.Settlement) -> dict[str, Any]:
    def totals(x: settlement.ShareTotals) -> dict[str, int]:
        return {
            "sales": x.sales,
            "regular_cents": x.regular_cents,
            "holder_cents": x.holder_cents,
            "organizer_cents": x.organizer_cents,
            "municipality_cents": x.municipality_cents,
            "region_cents": x.region_cents,
            "reimbursed_cents": x.reimbursed_cents,
        }

    return {
        "region": {"id": summary.region_id, "name": summary.region_name},
        "period": {
            "start": summary.period.start.isoformat(),
            "end": summary.period.end.isoformat(),
        },
        "organizer_id": summary.organizer_id,
        "organizers": [
            {"organizer_id": o.organizer_id, "name": o.organizer_name, **totals(o.totals)}
            for o in summary.organizers
        ],
        "municipalities": [
            {"nis_code": nis, "name": name, "owes_cents": cents}
            for nis, name, cents in summary.municipality_totals
        ],
        "debts": [
            {
                "nis_code": d.nis_code,
                "municipality": d.municipality_name,
                "organizer_id": d.organizer_id,
                "organizer": d.organizer_name,
                "sales": d.sales,
                "cents": d.cents,
            }
            for d in summary.debts
        ],
        "totals": totals(summary.totals),
    }


def _settlement(
    session: Session, request: ReportRequest, out: BinaryIO, *, progress: Progress | None
) -> None:
    assert request.period is not None
    period, region_id, organizer_id = request.period, request.region_id, request.organizer_id
    summary = settlement.settle(
        session, region_id=region_id, period=period, organizer_id=organizer_id
    )
    if request.format == "json":
        _json(settlement_json(summary), out)
        return

    def lines(start: int, span: int) -> Iterator[settlement.SettlementLine]:
        counter = _Counter(summary.totals.sales, progress, start, span)
        return counter.wrap(
            settlement.settlement_lines(
                session, region_id=region_id, period=period, organizer_id=organizer_id
            )
        )

    if request.format == "csv":
        for chunk in settlement_csv(summary, lines(0, 100)):
            out.write(chunk.encode("utf-8"))
    elif request.format == "xlsx":
        settlement_xlsx(summary, lines(0, 100), out)
    elif request.format == "pdf":
        expense_claim_pdf(summary, lines(0, 100), out)
    else:  # the UiTPAS financial report: the three files in one zip
        stem = request.filename().removesuffix(".zip")
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open(f"{stem}.csv", "w") as member:
                for chunk in settlement_csv(summary, lines(0, 40)):
                    member.write(chunk.encode("utf-8"))
            buffer = io.BytesIO()
            settlement_xlsx(summary, lines(40, 40), buffer)
            archive.writestr(f"{stem}.xlsx", buffer.getvalue())
            buffer = io.BytesIO()
            expense_claim_pdf(summary, lines(80, 20), buffer)
            archive.writestr(f"{stem}.pdf", buffer.getvalue())


def budgets_csv(report: budgets.BudgetReport) -> str:
    """One line per municipality, semicolon-separated like the settlement CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "nis_code",
            "municipality",
            "budget",
            "consumed",
            "consumed_percent",
            "projected",
            "projected_percent",
            "warnings",
        ]
    )
    for line in report.lines:
        writer.writerow(
            [
                line.nis_code,
                line.municipality_name,
                _euro(line.budget_cents),
                _euro(line.consumed_cents),
                "" if line.consumed_percent is None else f"{line.consumed_percent:.1f}",
                _euro(line.projected_cents),
                "" if line.projected_percent is None else f"{line.projected_percent:.1f}",
                " ".join(line.warnings),
            ]
        )
    return buffer.getvalue()


def _euro(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
