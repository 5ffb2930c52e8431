"""Settlement files without a database: CSV, XLSX and PDF from hand-built settlements."""

from __future__ import annotations

import csv
import io
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st
from openpyxl import load_workbook

from passengine.domain.report_periods import LocalPeriod
from passengine.services.reports.settlement import (
    MunicipalityDebt,
    OrganizerTotals,
    Settlement,
    SettlementLine,
    ShareTotals,
    sort_key,
)
from passengine.services.reports.settlement_files import (
    CSV_COLUMNS,
    SettlementMismatch,
    euro_amount,
    euros_nl,
    euros_plain,
    expense_claim_pdf,
    settlement_csv,
    settlement_xlsx,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
MARCH = LocalPeriod(date(2026, 3, 1), date(2026, 3, 31))
GENERATED = datetime(2026, 4, 2, 9, 15, tzinfo=BRUSSELS)
CA = ("org-ca", "Ça Gaat Vooruit Şahin")
ALFA = ("org-alfa", "Alfa Cultuur")
MUNICIPALITIES = {"44001": "Aalst", "46029": "Zele"}


def line(
    number: int,
    organizer: tuple[str, str],
    *,
    nis: str = "44001",
    shares: tuple[int, int, int, int] = (250, 250, 300, 200),
    title: str = "Voorstelling",
    version: int = 2,
) -> SettlementLine:
    holder, organizer_share, municipality, region = shares
    return SettlementLine(
        sale_id=f"sale-{number:05d}",
        sold_at=datetime(2026, 3, 1, tzinfo=BRUSSELS) + timedelta(minutes=number),
        organizer_id=organizer[0],
        organizer_name=organizer[1],
        event_id=f"ev-{organizer[0]}",
        event_title=title,
        tariff_name="Kansentarief" if version == 2 else None,
        rule_id=f"rule-v{version}",
        config_version=version,
        key_id="key-1",
        regular_cents=sum(shares),
        holder_cents=holder,
        organizer_cents=organizer_share,
        municipality_cents=municipality,
        municipality_nis_code=nis,
        municipality_name=MUNICIPALITIES[nis],
        region_cents=region,
    )


def totals_of(lines: Sequence[SettlementLine]) -> ShareTotals:
    return ShareTotals(
        len(lines),
        sum(x.regular_cents for x in lines),
        sum(x.holder_cents for x in lines),
        sum(x.organizer_cents for x in lines),
        sum(x.municipality_cents for x in lines),
        sum(x.region_cents for x in lines),
    )


def settlement_of(
    lines: Sequence[SettlementLine], *, organizer_id: str | None = None
) -> Settlement:
    """What ``settle`` would say about these lines (the test's own arithmetic)."""
    by_organizer: dict[tuple[str, str], list[SettlementLine]] = defaultdict(list)
    debts: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for x in lines:
        by_organizer[(x.organizer_id, x.organizer_name)].append(x)
        debt = debts[(x.municipality_nis_code, x.municipality_name, *by_key(x))]
        debt[0] += 1
        debt[1] += x.municipality_cents
    per_municipality: dict[tuple[str, str], int] = defaultdict(int)
    for (nis, name, _, _), (_, cents) in debts.items():
        per_municipality[(nis, name)] += cents
    return Settlement(
        region_id=90,
        region_name="Denderland",
        period=MARCH,
        organizer_id=organizer_id,
        organizers=tuple(
            OrganizerTotals(oid, name, totals_of(group))
            for (oid, name), group in sorted(
                by_organizer.items(), key=lambda item: sort_key(item[0][1])
            )
        ),
        debts=tuple(
            MunicipalityDebt(nis, name, oid, oname, sales, cents)
            for (nis, name, oid, oname), (sales, cents) in sorted(
                debts.items(), key=lambda item: (item[0][1], sort_key(item[0][3]))
            )
        ),
        municipality_totals=tuple(
            (nis, name, cents) for (nis, name), cents in sorted(per_municipality.items())
        ),
        totals=totals_of(lines),
    )


def by_key(x: SettlementLine) -> tuple[str, str]:
    return x.organizer_id, x.organizer_name


def month() -> list[SettlementLine]:
    """Two organizers, two municipalities, both configuration versions."""
    return [
        line(1, ALFA, shares=(250, 250, 300, 200), version=1),
        line(2, ALFA, nis="46029", shares=(300, 0, 600, 300)),
        line(3, CA, shares=(200, 200, 400, 0)),
        line(4, CA, nis="46029", shares=(500, 100, 700, 199), title="=HYPERLINK(evil)"),
    ]


class TestMoney:
    def test_formats(self) -> None:
        assert [euros_plain(c) for c in (0, 5, 1250, 123456789, -5)] == [
            "0.00",
            "0.05",
            "12.50",
            "1234567.89",
            "-0.05",
        ]
        assert [euros_nl(c) for c in (0, 5, 1250, 123456789, -123456)] == [
            "0,00",
            "0,05",
            "12,50",
            "1.234.567,89",
            "-1.234,56",
        ]
        assert euro_amount(1250) == Decimal("12.50")
        assert str(euro_amount(5)) == "0.05"

    @given(st.integers(-(10**12), 10**12))
    def test_every_amount_reads_back_to_the_cent(self, cents: int) -> None:
        assert Decimal(euros_plain(cents)) * 100 == cents
        assert Decimal(euros_nl(cents).replace(".", "").replace(",", ".")) * 100 == cents
        assert euro_amount(cents) * 100 == cents


def parse_csv(chunks: list[str]) -> list[dict[str, str]]:
    data = "".join(chunks).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")  # the mark that makes Excel read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


class TestCsv:
    def test_parses_back_to_the_lines_and_their_sums(self) -> None:
        lines = month()
        settlement = settlement_of(lines)
        rows = parse_csv(list(settlement_csv(settlement, lines)))
        assert list(rows[0]) == list(CSV_COLUMNS)
        assert len(rows) == len(lines)  # no summary rows
        for row, x in zip(rows, lines, strict=True):
            assert row["region_id"] == "90"
            assert row["sale_id"] == x.sale_id
            assert datetime.fromisoformat(row["sold_at"]) == x.sold_at
            assert row["organizer_name"] == x.organizer_name
            assert row["config_version"] == str(x.config_version)
            assert row["tariff_name"] == (x.tariff_name or "")
            assert row["municipality_nis_code"] == x.municipality_nis_code
            assert Decimal(row["regular_eur"]) * 100 == x.regular_cents
        for column, total in (
            ("regular_eur", settlement.totals.regular_cents),
            ("holder_eur", settlement.totals.holder_cents),
            ("organizer_eur", settlement.totals.organizer_cents),
            ("municipality_eur", settlement.totals.municipality_cents),
            ("region_eur", settlement.totals.region_cents),
        ):
            assert sum(Decimal(row[column]) for row in rows) * 100 == total
        assert rows[0]["sold_at"] == "2026-03-01T00:01:00+01:00"
        assert rows[1]["regular_eur"] == "12.00"

    def test_a_formula_stays_text(self) -> None:
        lines = month()
        rows = parse_csv(list(settlement_csv(settlement_of(lines), lines)))
        assert rows[3]["event_title"] == "'=HYPERLINK(evil)"
        assert rows[2]["event_title"] == "Voorstelling"

    def test_streams_in_chunks(self) -> None:
        lines = [line(n, ALFA) for n in range(2500)]
        chunks = list(settlement_csv(settlement_of(lines), iter(lines)))
        assert len(chunks) == 3
        rows = parse_csv(chunks)
        assert [row["sale_id"] for row in rows] == [x.sale_id for x in lines]

    def test_no_lines_is_a_header(self) -> None:
        [text] = settlement_csv(settlement_of([]), [], bom=False)
        assert text == ";".join(CSV_COLUMNS) + "\r\n"


def workbook(lines: list[SettlementLine], settlement: Settlement | None = None) -> Any:
    out = io.BytesIO()
    settlement_xlsx(settlement or settlement_of(lines), lines, out, generated_at=GENERATED)
    return load_workbook(out)


def cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


class TestXlsx:
    def test_sheets_hold_the_totals(self) -> None:
        lines = month()
        book = workbook(lines)
        assert book.sheetnames == ["Organisatoren", "Gemeenten", "Verkopen"]

        rows = [r for r in book["Organisatoren"].iter_rows(values_only=True) if r[0]]
        assert rows[0][0] == "Afrekening per organisator · Denderland"
        assert rows[1][:2] == ("Periode", "1 maart 2026 – 31 maart 2026")
        assert rows[2][1] == "02-04-2026 09:15"
        alfa, ca, total = rows[-3:]
        assert alfa[:3] == ("Alfa Cultuur", "org-alfa", 2)
        assert [cents(v) for v in alfa[3:]] == [2200, 550, 250, 900, 500, 1400]
        assert ca[:3] == ("Ça Gaat Vooruit Şahin", "org-ca", 2)
        assert total[0] == "Totaal"
        assert total[2] == 4
        assert [cents(v) for v in total[3:]] == [4499, 1250, 550, 2000, 699, 2699]

        debts = [r for r in book["Gemeenten"].iter_rows(values_only=True) if r[0]][4:]
        assert [(r[0], r[2], r[4], cents(r[5])) for r in debts] == [
            ("Aalst", "Alfa Cultuur", 1, 300),
            ("Aalst", "Ça Gaat Vooruit Şahin", 1, 400),
            ("Totaal Aalst", None, 2, 700),
            ("Zele", "Alfa Cultuur", 1, 600),
            ("Zele", "Ça Gaat Vooruit Şahin", 1, 700),
            ("Totaal Zele", None, 2, 1300),
            ("Totaal", None, 4, 2000),
        ]

        sales = list(book["Verkopen"].iter_rows(values_only=True))
        assert sales[0][:2] == ("Verkoop-ID", "Datum")
        assert [r[0] for r in sales[1:]] == [x.sale_id for x in lines]
        local = datetime(2026, 3, 1, 0, 1, tzinfo=BRUSSELS)
        assert sales[1][1] == local.replace(tzinfo=None)  # the wall-clock time in Brussels
        assert [r[8] for r in sales[1:]] == [1, 2, 2, 2]
        for column, total_cents in zip(
            range(10, 17), (4499, 1250, 550, 2000, None, None, 699), strict=True
        ):
            if total_cents is not None:
                assert sum(cents(r[column]) for r in sales[1:]) == total_cents
        assert sales[4][4] == "=HYPERLINK(evil)"  # text, not a formula

    def test_money_cells_are_numbers_in_euro(self) -> None:
        book = workbook(month())
        sheet = book["Verkopen"]
        regular = sheet.cell(row=2, column=11)
        assert regular.data_type == "n"
        assert regular.number_format == "#,##0.00"
        assert cents(regular.value) == 1000
        title = sheet.cell(row=5, column=5)
        assert (title.data_type, title.value) == ("s", "=HYPERLINK(evil)")

    def test_lines_that_do_not_add_up_write_nothing(self) -> None:
        lines = month()
        out = io.BytesIO()
        with pytest.raises(SettlementMismatch):
            settlement_xlsx(settlement_of(lines), lines[:-1], out)
        assert out.getvalue() == b""


def pdf_text(lines: Sequence[SettlementLine], settlement: Settlement) -> list[str]:
    """The pages' text, as a reader would copy it."""
    out = io.BytesIO()
    expense_claim_pdf(settlement, lines, out, generated_at=GENERATED)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=out.getvalue(), capture_output=True, check=True
    ).stdout.decode()
    return text.split("\f")[:-1]


class TestPdf:
    def test_a_summary_then_one_claim_per_organizer(self) -> None:
        lines = month()
        pages = pdf_text(lines, settlement_of(lines))
        assert len(pages) == 3
        summary, alfa, ca = pages
        assert "Afrekening" in summary
        assert "alle organisatoren" in summary
        assert "€ 26,99" in summary  # the grand total to reimburse
        assert "44,99" in summary  # Σ regular prices
        for page in pages:
            assert "1 maart 2026 – 31 maart 2026" in page
            assert "Denderland" in page
            assert "02-04-2026 09:15" in page
            assert "p. 1 / 1" in page
        assert "Onkostennota" in alfa
        assert "Alfa Cultuur" in alfa
        assert "Ça Gaat" not in alfa
        assert "€ 14,00" in alfa
        assert "Ça Gaat Vooruit Şahin" in ca  # diacritics render in DejaVu Sans
        assert "€ 12,99" in ca
        assert "01-03-2026 00:03" in ca
        assert "=HYPERLINK(evil)" in ca

    def test_an_organizers_claim_has_no_summary_and_numbers_its_pages(self) -> None:
        lines = [line(n, CA, nis=("44001", "46029")[n % 2]) for n in range(200)]
        pages = pdf_text(lines, settlement_of(lines, organizer_id=CA[0]))
        assert len(pages) == 3
        assert [f"p. {n} / 3" in page for n, page in enumerate(pages, start=1)] == [True] * 3
        assert "Afrekening" not in pages[0]
        last = pages[-1]
        assert "Totaal (200 verkopen)" in last
        assert "2.000,00" in last  # 200 × € 10,00 regular
        assert "Per gemeente" in last
        assert "€ 1.000,00" in last  # 200 × (3,00 + 2,00) to reimburse

    def test_without_sales_the_file_says_so(self) -> None:
        [summary] = pdf_text([], settlement_of([]))
        assert "Geen verkopen in deze periode." in summary
        [claim] = pdf_text([], settlement_of([], organizer_id="org-x"))
        assert "Onkostennota" in claim
        assert "org-x" in claim
        assert "Geen verkopen in deze periode." in claim

    def test_lines_that_do_not_match_are_refused(self) -> None:
        lines = month()
        settlement = settlement_of(lines)
        with pytest.raises(SettlementMismatch):
            expense_claim_pdf(settlement, lines[:-1], io.BytesIO())
        with pytest.raises(SettlementMismatch):  # not grouped by organizer
            expense_claim_pdf(settlement, [lines[0], lines[2], lines[1], lines[3]], io.BytesIO())
        with pytest.raises(SettlementMismatch):  # an organizer that is not in the settlement
            expense_claim_pdf(settlement_of(lines[:2]), lines, io.BytesIO())
