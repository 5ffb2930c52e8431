"""Settlement files: the line list as CSV, the workbook (XLSX) and the expense claims (PDF).

Pure rendering from ``Settlement`` and its ``SettlementLine`` stream: no database, and no clock
unless ``generated_at`` is left out. Money is converted from integer cents with integer
arithmetic (or an exact ``Decimal``), never through a float.

- CSV: a machine-readable line list, one row per sale and nothing else. UTF-8 with a byte order
  mark and ``;`` between fields: that is what Excel with Belgian (nl-BE) regional settings opens
  correctly by double-click (without the mark it reads Windows-1252 and mangles "Ça"; with ``,``
  it puts the whole row in one column). Amounts are plain decimals ("12.50"), times ISO 8601 with
  their UTC offset.
- XLSX: three sheets (organizers, municipalities' debts, sales) written in openpyxl's write-only
  mode, so a million lines stream through temporary files instead of memory.
- PDF: a summary page (for a settlement of every organizer), then one expense claim
  (onkostennota) per organizer, each its own reportlab document (numbered "p. X / Y" within the
  claim) joined as it is written, so memory holds one organizer at a time.

Text that a spreadsheet would run as a formula (a title starting with "=") is kept as text: in
the CSV it gets a leading apostrophe (the usual guard against formula injection), in the XLSX it
is stored as a string cell.

The workbook and the claims check that the lines add up to the settlement and raise
``SettlementMismatch`` when they do not (lines read in another snapshot than the totals); write
them to a temporary file and keep it only when the call returns.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, BinaryIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table

from cardprint.fonts import DEFAULT_FONT_DIR, FontPair, load_fonts, printable
from cardprint.pdfjoin import PdfJoiner
from cardprint.text import clean, fit_line
from passengine.domain.report_periods import LocalPeriod
from passengine.services.reports.settlement import (
    MunicipalityDebt,
    OrganizerTotals,
    Settlement,
    SettlementLine,
    ShareTotals,
)


class SettlementMismatch(ValueError):
    """The lines do not add up to the settlement they are rendered with."""


# --- Money and dates -----------------------------------------------------------------------------


def euros_plain(cents: int) -> str:
    """1250 → "12.50": a plain decimal for machines."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def euros_nl(cents: int) -> str:
    """123450 → "1.234,50", as written in Flanders (no currency sign)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{part:02d}"


def euro_amount(cents: int) -> Decimal:
    """1250 → Decimal("12.50"), exact, for a spreadsheet's number cell."""
    return Decimal(cents).scaleb(-2)


MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def date_nl(day: date) -> str:
    """1 maart 2026."""
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def period_nl(period: LocalPeriod) -> str:
    """1 maart 2026 – 31 maart 2026 (both days included)."""
    return f"{date_nl(period.start)} – {date_nl(period.end)}"


def _moment_nl(moment: datetime) -> str:
    return moment.strftime("%d-%m-%Y %H:%M")


def _generated(settlement: Settlement, generated_at: datetime | None) -> datetime:
    tz = ZoneInfo(settlement.timezone)
    return (generated_at or datetime.now(tz)).astimezone(tz)


# --- Consistency ---------------------------------------------------------------------------------


class _Tally:
    """Counts and shares of the lines seen, to compare with the totals from SQL."""

    __slots__ = ("holder", "municipality", "organizer", "per_municipality", "region", "regular")

    def __init__(self) -> None:
        self.regular = self.holder = self.organizer = self.municipality = self.region = 0
        self.per_municipality: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, line: SettlementLine) -> None:
        self.regular += line.regular_cents
        self.holder += line.holder_cents
        self.organizer += line.organizer_cents
        self.municipality += line.municipality_cents
        self.region += line.region_cents
        debt = self.per_municipality[line.municipality_nis_code]
        debt[0] += 1
        debt[1] += line.municipality_cents

    def totals(self, sales: int) -> ShareTotals:
        return ShareTotals(
            sales, self.regular, self.holder, self.organizer, self.municipality, self.region
        )


def _check(expected: ShareTotals, found: ShareTotals, what: str) -> None:
    if expected != found:
        raise SettlementMismatch(
            f"The lines of {what} add up to {found}, the settlement says {expected}: they were "
            "not read in the same snapshot. Read both in one transaction and render again."
        )


# --- CSV -----------------------------------------------------------------------------------------

CSV_DELIMITER = ";"
CSV_COLUMNS = (
    "region_id",
    "sale_id",
    "sold_at",
    "organizer_id",
    "organizer_name",
    "event_id",
    "event_title",
    "tariff_name",
    "rule_id",
    "config_version",
    "key_id",
    "regular_eur",
    "holder_eur",
    "organizer_eur",
    "municipality_eur",
    "municipality_nis_code",
    "municipality_name",
    "region_eur",
)
_CSV_ROWS_PER_CHUNK = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP: prefix an apostrophe)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_row(region_id: int, line: SettlementLine) -> list[str | int]:
    return [
        region_id,
        csv_text(line.sale_id),
        line.sold_at.isoformat(timespec="seconds"),
        csv_text(line.organizer_id),
        csv_text(line.organizer_name),
        csv_text(line.event_id),
        csv_text(line.event_title),
        csv_text(line.tariff_name or ""),
        csv_text(line.rule_id),
        line.config_version,
        csv_text(line.key_id),
        euros_plain(line.regular_cents),
        euros_plain(line.holder_cents),
        euros_plain(line.organizer_cents),
        euros_plain(line.municipality_cents),
        csv_text(line.municipality_nis_code),
        csv_text(line.municipality_name),
        euros_plain(line.region_cents),
    ]


def settlement_csv(
    settlement: Settlement, lines: Iterable[SettlementLine], *, bom: bool = True
) -> Iterator[str]:
    """The line list in chunks of text (encode them as UTF-8): a header, then one row per sale.

    ``bom`` starts the text with U+FEFF so that Excel reads UTF-8 (Python reads it back with
    ``encoding="utf-8-sig"``). A missing tariff name is an empty field.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for count, line in enumerate(lines, start=1):
        writer.writerow(_csv_row(settlement.region_id, line))
        if count % _CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# --- XLSX ----------------------------------------------------------------------------------------

MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
SHEET_ORGANIZERS, SHEET_MUNICIPALITIES, SHEET_SALES = "Organisatoren", "Gemeenten", "Verkopen"
TOTAL_LABEL = "Totaal"
_BOLD = Font(bold=True)

ORGANIZER_COLUMNS = (
    "Organisator",
    "Organisator-ID",
    "Verkopen",
    "Normale prijs",
    "Deel pashouder",
    "Deel organisator",
    "Deel gemeente",
    "Deel regio",
    "Terug te betalen",
)
MUNICIPALITY_COLUMNS = (
    "Gemeente",
    "NIS-code",
    "Organisator",
    "Organisator-ID",
    "Verkopen",
    "Te betalen",
)
SALES_COLUMNS = (
    "Verkoop-ID",
    "Datum",
    "Organisator",
    "Organisator-ID",
    "Evenement",
    "Evenement-ID",
    "Tarief",
    "Regel",
    "Configuratieversie",
    "Sleutel",
    "Normale prijs",
    "Deel pashouder",
    "Deel organisator",
    "Deel gemeente",
    "NIS-code",
    "Gemeente",
    "Deel regio",
)


class _Sheet:
    """A write-only sheet with typed cells: euros as numbers, text never a formula."""

    def __init__(self, workbook: Workbook, title: str, widths: Sequence[float]) -> None:
        self.ws: WriteOnlyWorksheet = workbook.create_sheet(title)
        for index, width in enumerate(widths):
            self.ws.column_dimensions[get_column_letter(index + 1)].width = width

    def money(self, cents: int, *, bold: bool = False) -> Cell:
        cell = WriteOnlyCell(self.ws)
        cell.value = euro_amount(cents)
        cell.number_format = MONEY_FORMAT
        if bold:
            cell.font = _BOLD
        return cell

    def text(self, value: str | None, *, bold: bool = False) -> Any:
        if value is None:
            return None
        if not bold and not value.startswith("="):
            return value  # a plain value is much cheaper than a cell object
        cell = WriteOnlyCell(self.ws, value=value)
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        if bold:
            cell.font = _BOLD
        return cell

    def number(self, value: int, *, bold: bool = False) -> Any:
        if not bold:
            return value
        cell = WriteOnlyCell(self.ws, value=value)
        cell.font = _BOLD
        return cell

    def moment(self, value: datetime) -> Cell:
        # Excel has no time zones: the local wall-clock time, as the organizer's till showed it.
        cell = WriteOnlyCell(self.ws, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell

    def header(self, columns: Sequence[str]) -> None:
        self.ws.append([self.text(c, bold=True) for c in columns])

    def title(self, settlement: Settlement, generated: datetime, subject: str) -> None:
        self.ws.append([self.text(f"{subject} · {settlement.region_name}", bold=True)])
        self.ws.append(["Periode", period_nl(settlement.period)])
        self.ws.append(["Opgemaakt", _moment_nl(generated)])
        self.ws.append([])


def _share_cells(sheet: _Sheet, totals: ShareTotals, *, bold: bool = False) -> list[Any]:
    return [
        sheet.number(totals.sales, bold=bold),
        sheet.money(totals.regular_cents, bold=bold),
        sheet.money(totals.holder_cents, bold=bold),
        sheet.money(totals.organizer_cents, bold=bold),
        sheet.money(totals.municipality_cents, bold=bold),
        sheet.money(totals.region_cents, bold=bold),
        sheet.money(totals.reimbursed_cents, bold=bold),
    ]


def _organizers_sheet(workbook: Workbook, settlement: Settlement, generated: datetime) -> None:
    sheet = _Sheet(workbook, SHEET_ORGANIZERS, (40, 24, 10, 14, 14, 14, 14, 14, 16))
    sheet.title(settlement, generated, "Afrekening per organisator")
    sheet.header(ORGANIZER_COLUMNS)
    for organizer in settlement.organizers:
        sheet.ws.append(
            [
                sheet.text(organizer.organizer_name),
                sheet.text(organizer.organizer_id),
                *_share_cells(sheet, organizer.totals),
            ]
        )
    sheet.ws.append(
        [
            sheet.text(TOTAL_LABEL, bold=True),
            None,
            *_share_cells(sheet, settlement.totals, bold=True),
        ]
    )


def _municipalities_sheet(workbook: Workbook, settlement: Settlement, generated: datetime) -> None:
    sheet = _Sheet(workbook, SHEET_MUNICIPALITIES, (30, 10, 40, 24, 10, 14))
    sheet.title(settlement, generated, "Afrekening per gemeente")
    sheet.header(MUNICIPALITY_COLUMNS)
    debts: dict[str, list[MunicipalityDebt]] = defaultdict(list)
    for debt in settlement.debts:
        debts[debt.nis_code].append(debt)
    for nis_code, name, cents in settlement.municipality_totals:
        for debt in debts[nis_code]:
            sheet.ws.append(
                [
                    sheet.text(debt.municipality_name),
                    sheet.text(debt.nis_code),
                    sheet.text(debt.organizer_name),
                    sheet.text(debt.organizer_id),
                    debt.sales,
                    sheet.money(debt.cents),
                ]
            )
        sales = sum(debt.sales for debt in debts[nis_code])
        sheet.ws.append(
            [
                sheet.text(f"{TOTAL_LABEL} {name}", bold=True),
                sheet.text(nis_code, bold=True),
                None,
                None,
                sheet.number(sales, bold=True),
                sheet.money(cents, bold=True),
            ]
        )
    sheet.ws.append(
        [
            sheet.text(TOTAL_LABEL, bold=True),
            None,
            None,
            None,
            sheet.number(settlement.totals.sales, bold=True),
            sheet.money(settlement.totals.municipality_cents, bold=True),
        ]
    )


def _sales_sheet(workbook: Workbook, lines: Iterable[SettlementLine]) -> ShareTotals:
    sheet = _Sheet(
        workbook, SHEET_SALES, (38, 17, 30, 24, 40, 24, 20, 16, 8, 16, 12, 12, 12, 12, 9, 24, 12)
    )
    sheet.ws.freeze_panes = "A2"
    sheet.header(SALES_COLUMNS)
    tally = _Tally()
    sales = 0
    for line in lines:
        sales += 1
        tally.add(line)
        sheet.ws.append(
            [
                sheet.text(line.sale_id),
                sheet.moment(line.sold_at),
                sheet.text(line.organizer_name),
                sheet.text(line.organizer_id),
                sheet.text(line.event_title),
                sheet.text(line.event_id),
                sheet.text(line.tariff_name),
                sheet.text(line.rule_id),
                line.config_version,
                sheet.text(line.key_id),
                sheet.money(line.regular_cents),
                sheet.money(line.holder_cents),
                sheet.money(line.organizer_cents),
                sheet.money(line.municipality_cents),
                sheet.text(line.municipality_nis_code),
                sheet.text(line.municipality_name),
                sheet.money(line.region_cents),
            ]
        )
    return tally.totals(sales)


def settlement_xlsx(
    settlement: Settlement,
    lines: Iterable[SettlementLine],
    out: BinaryIO,
    *,
    generated_at: datetime | None = None,
) -> None:
    """The workbook: "Organisatoren" (per organizer and the grand total), "Gemeenten" (what each
    municipality owes each organizer, with a subtotal per municipality) and "Verkopen" (the
    lines). Amounts are numbers in euro shown as ``#,##0.00``; times are local wall-clock times.
    Nothing is written to ``out`` when the lines do not add up (``SettlementMismatch``)."""
    generated = _generated(settlement, generated_at)
    workbook = Workbook(write_only=True)
    workbook.properties.title = f"Afrekening {settlement.region_name} {settlement.period.label()}"
    workbook.properties.creator = "passengine"
    try:
        _organizers_sheet(workbook, settlement, generated)
        _municipalities_sheet(workbook, settlement, generated)
        found = _sales_sheet(workbook, lines)
        _check(settlement.totals, found, "the settlement")
    except BaseException:
        _discard(workbook)
        raise
    workbook.save(out)


def _discard(workbook: Workbook) -> None:
    """Close the sheets and delete their temporary files, which ``save`` would otherwise do."""
    for sheet in workbook.worksheets:
        if isinstance(sheet, WriteOnlyWorksheet) and not sheet.closed:
            sheet.close()
            writer = getattr(sheet, "_writer", None)
            if writer is not None:
                writer.cleanup()


# --- PDF -----------------------------------------------------------------------------------------

PDF_FONT = "DejaVu Sans"
CLAIM_TITLE = "Onkostennota"
SUMMARY_TITLE = "Afrekening"
NO_SALES = "Geen verkopen in deze periode."
_PAGE_COUNT_FORM = "claimPageCount"
_MARGIN_X = 12 * mm
_MARGIN_TOP = 14 * mm
_MARGIN_BOTTOM = 16 * mm
_TABLE_SIZE = 7.0
_ROW_HEIGHT = 9.0
_PAD = 2.0
_GREY = colors.HexColor("#f2f2f2")
_RULE = colors.HexColor("#808080")
_HEADER_SIZE = 6.5
_FIT_CACHE = 10_000
_HEADER_HEIGHT = 18.0
# Date, event, tariff, configuration version, the four shares with the municipality's name after
# its share, region: 186 mm, the width of A4 between the margins.
_LINE_WIDTHS = tuple(w * mm for w in (24.0, 30.0, 19.0, 10.0, 17.0, 17.0, 17.0, 17.0, 18.0, 17.0))
_LINE_HEADER = (
    "Datum",
    "Evenement",
    "Tarief",
    "Versie",
    "Normale\nprijs",
    "Deel\npashouder",
    "Deel\norganisator",
    "Deel\ngemeente",
    "Gemeente",
    "Deel\nregio",
)


class _ClaimCanvas(Canvas):
    """Counts its pages and, when saved, defines the form that prints the count ("p. X / Y")
    on every page already drawn: a PDF form may be referenced before it is defined."""

    def __init__(self, filename: str | IO[bytes], *, page_font: str, **kwargs: Any) -> None:
        super().__init__(filename, **kwargs)
        self.pages = 0
        self._page_font = page_font

    def showPage(self) -> None:
        self.pages += 1
        super().showPage()

    def save(self) -> None:
        self.beginForm(_PAGE_COUNT_FORM, lowerx=0, lowery=-3, upperx=40, uppery=10)
        self.setFont(self._page_font, _TABLE_SIZE)
        self.drawString(0, 0, str(self.pages))
        self.endForm()
        super().save()


@dataclass(frozen=True, slots=True)
class _Styles:
    title: ParagraphStyle
    body: ParagraphStyle
    heading: ParagraphStyle


@dataclass(frozen=True, slots=True)
class _Claim:
    """What every claim of a settlement shares."""

    settlement: Settlement
    fonts: FontPair
    styles: _Styles
    generated: datetime
    fitted: dict[tuple[str, float], str] = field(default_factory=dict)
    """Cell texts already fitted: titles and names repeat on thousands of lines."""


def _styles(fonts: FontPair) -> _Styles:
    body = ParagraphStyle("body", fontName=fonts.regular, fontSize=9, leading=12)
    return _Styles(
        title=ParagraphStyle("title", fontName=fonts.bold, fontSize=15, leading=19, spaceAfter=6),
        body=body,
        heading=ParagraphStyle(
            "heading", parent=body, fontName=fonts.bold, fontSize=10, spaceBefore=10, spaceAfter=4
        ),
    )


def _text(claim: _Claim, value: str, *, bold: bool = False) -> str:
    """Clean text the font can draw (NFC; a missing precomposed letter as base and marks)."""
    return printable(clean(value), claim.fonts, bold=bold)


def _para(claim: _Claim, value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_text(claim, value, bold=style.fontName == claim.fonts.bold)), style)


def _fit(claim: _Claim, value: str, width: float) -> str:
    """One line in a table cell: shortened with an ellipsis when too long."""
    key = (value, width)
    fitted = claim.fitted.get(key)
    if fitted is None:
        if len(claim.fitted) >= _FIT_CACHE:
            claim.fitted.clear()
        fitted = fit_line(
            _text(claim, value),
            font=claim.fonts.regular,
            size=_TABLE_SIZE,
            min_size=_TABLE_SIZE,
            max_width=width - 2 * _PAD,
        ).text
        claim.fitted[key] = fitted
    return fitted


def _header_block(claim: _Claim, title: str, subject: str, totals: ShareTotals) -> list[Flowable]:
    """The title and the facts a bookkeeper checks first: who, which period, how much."""
    settlement = claim.settlement
    facts = [
        ("Regio", settlement.region_name),
        ("Organisator", subject),
        ("Periode", period_nl(settlement.period)),
        ("Opgemaakt", _moment_nl(claim.generated)),
        ("Verkopen", str(totals.sales)),
        ("Terug te betalen", f"€ {euros_nl(totals.reimbursed_cents)}"),
    ]
    table = Table(
        [
            [_para(claim, k, claim.styles.body), _para(claim, v, claim.styles.body)]
            for k, v in facts
        ],
        colWidths=(40 * mm, 146 * mm),
        hAlign="LEFT",
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
    )
    return [_para(claim, title, claim.styles.title), table, Spacer(1, 6 * mm)]


def _table_style(claim: _Claim, rows: int, *, money_from: int) -> list[Any]:
    """Header and last (total) row bold, amounts right-aligned, alternate rows shaded."""
    return [
        ("FONT", (0, 0), (-1, -1), claim.fonts.regular, _TABLE_SIZE),
        ("FONT", (0, 0), (-1, 0), claim.fonts.bold, _HEADER_SIZE),
        ("FONT", (0, rows - 1), (-1, rows - 1), claim.fonts.bold, _TABLE_SIZE),
        ("ALIGN", (money_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, _RULE),
        ("LINEABOVE", (0, rows - 1), (-1, rows - 1), 0.6, _RULE),
        ("ROWBACKGROUNDS", (0, 1), (-1, rows - 2), (None, _GREY)),
    ]


def _lines_table(claim: _Claim, lines: Sequence[SettlementLine], totals: ShareTotals) -> Flowable:
    widths = _LINE_WIDTHS
    data: list[list[str]] = [list(_LINE_HEADER)]
    for line in lines:
        data.append(
            [
                _moment_nl(line.sold_at),
                _fit(claim, line.event_title, widths[1]),
                _fit(claim, line.tariff_name or line.rule_id, widths[2]),
                str(line.config_version),
                euros_nl(line.regular_cents),
                euros_nl(line.holder_cents),
                euros_nl(line.organizer_cents),
                euros_nl(line.municipality_cents),
                _fit(claim, line.municipality_name, widths[8]),
                euros_nl(line.region_cents),
            ]
        )
    data.append(
        [
            f"{TOTAL_LABEL} ({totals.sales} {'verkoop' if totals.sales == 1 else 'verkopen'})",
            "",
            "",
            "",
            euros_nl(totals.regular_cents),
            euros_nl(totals.holder_cents),
            euros_nl(totals.organizer_cents),
            euros_nl(totals.municipality_cents),
            "",
            euros_nl(totals.region_cents),
        ]
    )
    rows = len(data)
    style = _table_style(claim, rows, money_from=3)
    style += [
        ("ALIGN", (3, 0), (3, -1), "CENTER"),
        ("ALIGN", (8, 0), (8, -1), "LEFT"),  # the municipality's name, between two amounts
        ("LEFTPADDING", (8, 0), (8, -1), 2 * _PAD),
    ]
    heights = [_HEADER_HEIGHT] + [_ROW_HEIGHT] * (rows - 1)
    return LongTable(
        data, colWidths=widths, rowHeights=heights, repeatRows=1, style=style, hAlign="LEFT"
    )


def _municipality_block(
    claim: _Claim, organizer_name: str, debts: Sequence[MunicipalityDebt], totals: ShareTotals
) -> list[Flowable]:
    widths = (70 * mm, 20 * mm, 20 * mm, 25 * mm)
    data: list[list[str]] = [["Gemeente", "NIS-code", "Verkopen", "Te betalen"]]
    data += [
        [_fit(claim, d.municipality_name, widths[0]), d.nis_code, str(d.sales), euros_nl(d.cents)]
        for d in debts
    ]
    data.append(
        [
            f"{TOTAL_LABEL} gemeenten",
            "",
            str(sum(d.sales for d in debts)),
            euros_nl(totals.municipality_cents),
        ]
    )
    table = Table(
        data,
        colWidths=widths,
        rowHeights=_ROW_HEIGHT + 2,
        style=_table_style(claim, len(data), money_from=2),
        hAlign="LEFT",
    )
    body = claim.styles.body
    return [
        _para(claim, "Per gemeente", claim.styles.heading),
        table,
        Spacer(1, 4 * mm),
        _para(claim, f"Deel regio: € {euros_nl(totals.region_cents)}", body),
        _para(
            claim,
            f"Terug te betalen aan {organizer_name} (gemeenten en regio): "
            f"€ {euros_nl(totals.reimbursed_cents)}",
            claim.styles.heading,
        ),
    ]


def _footer(claim: _Claim, title: str) -> Callable[[Canvas, Any], None]:
    settlement = claim.settlement
    text = _text(claim, f"{title} · {settlement.region_name} · {period_nl(settlement.period)}")
    width, _height = A4

    def draw(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(claim.fonts.regular, _TABLE_SIZE)
        y = _MARGIN_BOTTOM / 2
        shown = fit_line(
            text,
            font=claim.fonts.regular,
            size=_TABLE_SIZE,
            min_size=_TABLE_SIZE,
            max_width=width - 2 * _MARGIN_X - 25 * mm,
        ).text
        canvas.drawString(_MARGIN_X, y, shown)
        split = width - _MARGIN_X - 8 * mm  # "p. X / " ends here, the count follows
        canvas.drawRightString(split, y, f"p. {canvas.getPageNumber()} / ")
        canvas.translate(split, y)
        canvas.doForm(_PAGE_COUNT_FORM)
        canvas.restoreState()

    return draw


def _render(claim: _Claim, story: list[Flowable], title: str) -> tuple[bytes, int]:
    """One claim as a reportlab document of its own: its bytes and its number of pages."""
    buffer = io.BytesIO()
    settlement = claim.settlement
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN_X,
        rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP,
        bottomMargin=_MARGIN_BOTTOM,
        title=title,
        author=settlement.region_name,
        creator="passengine",
    )
    canvases: list[_ClaimCanvas] = []

    def canvas_maker(filename: str | IO[bytes], /, **kwargs: Any) -> Canvas:
        canvas = _ClaimCanvas(filename, page_font=claim.fonts.regular, **kwargs)
        canvases.append(canvas)
        return canvas

    footer = _footer(claim, title)
    doc.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=canvas_maker)
    return buffer.getvalue(), canvases[-1].pages


def _organizer_claim(
    claim: _Claim,
    organizer: OrganizerTotals,
    lines: Sequence[SettlementLine],
    debts: Sequence[MunicipalityDebt],
) -> tuple[bytes, int]:
    tally = _Tally()
    for line in lines:
        tally.add(line)
    what = f"organizer {organizer.organizer_id!r}"
    _check(organizer.totals, tally.totals(len(lines)), what)
    expected = {d.nis_code: [d.sales, d.cents] for d in debts}
    if expected != dict(tally.per_municipality):
        raise SettlementMismatch(f"The lines of {what} do not match its debts per municipality.")
    name = organizer.organizer_name
    story: list[Flowable] = [
        *_header_block(claim, CLAIM_TITLE, name, organizer.totals),
        _lines_table(claim, lines, organizer.totals),
        *_municipality_block(claim, name, debts, organizer.totals),
    ]
    return _render(claim, story, f"{CLAIM_TITLE} {name}")


def _empty_claim(claim: _Claim, organizer_id: str) -> tuple[bytes, int]:
    """An organizer without sales in the period still gets a claim that says so."""
    story: list[Flowable] = [
        *_header_block(claim, CLAIM_TITLE, organizer_id, claim.settlement.totals),
        _para(claim, NO_SALES, claim.styles.body),
    ]
    return _render(claim, story, f"{CLAIM_TITLE} {organizer_id}")


def _summary(claim: _Claim) -> tuple[bytes, int]:
    """The cover of a region's settlement: every organizer, every municipality, the total."""
    settlement = claim.settlement
    totals = settlement.totals
    story: list[Flowable] = _header_block(claim, SUMMARY_TITLE, "alle organisatoren", totals)
    if not settlement.organizers:
        story.append(_para(claim, NO_SALES, claim.styles.body))
        return _render(claim, story, SUMMARY_TITLE)
    widths = (52 * mm, 14 * mm, *(20 * mm,) * 6)
    header = ["Organisator", "Verkopen", *(h for h in _LINE_HEADER[4:] if h != "Gemeente")]
    data: list[list[str]] = [[*header, "Terug te\nbetalen"]]
    for organizer in settlement.organizers:
        data.append(
            [
                _fit(claim, organizer.organizer_name, widths[0]),
                *_summary_amounts(organizer.totals),
            ]
        )
    data.append([TOTAL_LABEL, *_summary_amounts(totals)])
    story += [
        LongTable(
            data,
            colWidths=widths,
            rowHeights=[_HEADER_HEIGHT] + [_ROW_HEIGHT] * (len(data) - 1),
            repeatRows=1,
            style=_table_style(claim, len(data), money_from=1),
            hAlign="LEFT",
        ),
        _para(claim, "Per gemeente", claim.styles.heading),
    ]
    sales: dict[str, int] = defaultdict(int)
    for debt in settlement.debts:
        sales[debt.nis_code] += debt.sales
    municipal_widths = (70 * mm, 20 * mm, 20 * mm, 25 * mm)
    rows: list[list[str]] = [["Gemeente", "NIS-code", "Verkopen", "Te betalen"]]
    rows += [
        [_fit(claim, name, municipal_widths[0]), nis, str(sales[nis]), euros_nl(cents)]
        for nis, name, cents in settlement.municipality_totals
    ]
    rows.append([TOTAL_LABEL, "", str(totals.sales), euros_nl(totals.municipality_cents)])
    story.append(
        LongTable(
            rows,
            colWidths=municipal_widths,
            rowHeights=_ROW_HEIGHT + 2,
            repeatRows=1,
            style=_table_style(claim, len(rows), money_from=2),
            hAlign="LEFT",
        )
    )
    return _render(claim, story, SUMMARY_TITLE)


def _summary_amounts(totals: ShareTotals) -> list[str]:
    return [
        str(totals.sales),
        euros_nl(totals.regular_cents),
        euros_nl(totals.holder_cents),
        euros_nl(totals.organizer_cents),
        euros_nl(totals.municipality_cents),
        euros_nl(totals.region_cents),
        euros_nl(totals.reimbursed_cents),
    ]


def expense_claim_pdf(
    settlement: Settlement,
    lines: Iterable[SettlementLine],
    out: BinaryIO,
    *,
    generated_at: datetime | None = None,
    font_dir: Path = DEFAULT_FONT_DIR,
) -> None:
    """One expense claim per organizer, each starting on a new page and numbered on its own;
    a settlement of every organizer starts with a summary (per organizer, per municipality and
    the grand total).

    ``lines`` must come grouped by organizer in the settlement's order (as ``settlement_lines``
    yields them); one organizer's lines are held in memory at a time. Raises
    ``SettlementMismatch`` (after part of the file is written) when an organizer's lines do not
    add up to its totals, and ``cardprint.fonts.FontMissing`` without DejaVu Sans.
    """
    fonts = load_fonts(PDF_FONT, font_dir)
    claim = _Claim(settlement, fonts, _styles(fonts), _generated(settlement, generated_at))
    organizers = {o.organizer_id: o for o in settlement.organizers}
    debts: dict[str, list[MunicipalityDebt]] = defaultdict(list)
    for debt in settlement.debts:
        debts[debt.organizer_id].append(debt)
    joiner = PdfJoiner(
        out, title=f"Onkostennota's {settlement.region_name} {settlement.period.label()}"
    )
    if settlement.organizer_id is None:
        pdf, pages = _summary(claim)
        joiner.add(pdf, pages=pages)
    done: set[str] = set()
    for organizer_id, group in itertools.groupby(lines, key=attrgetter("organizer_id")):
        organizer = organizers.get(organizer_id)
        if organizer is None or organizer_id in done:
            raise SettlementMismatch(
                f"Lines of organizer {organizer_id!r} are not in the settlement or not grouped."
            )
        done.add(organizer_id)
        pdf, pages = _organizer_claim(claim, organizer, list(group), debts[organizer_id])
        joiner.add(pdf, pages=pages)
    if missing := set(organizers) - done:
        raise SettlementMismatch(f"No lines for organizers {sorted(missing)}.")
    if not done and settlement.organizer_id is not None:
        pdf, pages = _empty_claim(claim, settlement.organizer_id)
        joiner.add(pdf, pages=pages)
    joiner.close()
