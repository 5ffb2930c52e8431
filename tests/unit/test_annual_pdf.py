"""The annual report: charts from plain lists (a hidden figure is never drawn as a number) and a
PDF that poppler can read, with the figures and the "x" of suppressed cells in it."""

from __future__ import annotations

import copy
import io
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Group, Rect, String, UserNode

from passengine.services.reports.annual_pdf import annual_report_pdf
from passengine.services.reports.report_charts import (
    axis_scale,
    bar_chart,
    budget_chart,
    domains_chart,
    months_chart,
    reach_chart,
)

GENERATED_AT = datetime(2026, 7, 2, 12, 30, tzinfo=UTC)  # 14:30 in Brussels

PARTICIPATION: dict[str, Any] = {
    "region": {"id": 1, "name": "UiTPAS Maasland"},
    "period": {"start": "2026-01-01", "end": "2026-12-31"},
    "threshold": 5,
    "reach": {
        "total": {
            "status_holders": 1234,
            "reached": 617,
            "not_reached": 617,
            "reach_percent": 50.0,
        },
        "municipalities": [
            {
                "nis_code": "73107",
                "name": "Maasmechelen",
                "status_holders": 800,
                "reached": 400,
                "not_reached": 400,
                "reach_percent": 50.0,
                "sub_municipalities": [
                    {
                        "id": 3,
                        "name": "Eisden",
                        "status_holders": 10,
                        "reached": None,
                        "not_reached": None,
                        "reach_percent": None,
                    },
                    {
                        "id": 4,
                        "name": "Opgrimbie",
                        "status_holders": 790,
                        "reached": None,
                        "not_reached": None,
                        "reach_percent": None,
                    },
                    {
                        "id": None,
                        "name": None,
                        "status_holders": 0,
                        "reached": 0,
                        "not_reached": 0,
                        "reach_percent": None,
                    },
                ],
            },
            {
                "nis_code": "73109",
                "name": "Dilsen-Stokkem",
                "status_holders": 434,
                "reached": 217,
                "not_reached": 217,
                "reach_percent": 50.0,
                "sub_municipalities": [],
            },
            {
                "nis_code": "73042",
                "name": "Šimić-Lanaken",
                "status_holders": None,
                "reached": None,
                "not_reached": None,
                "reach_percent": None,
                "sub_municipalities": [],
            },
        ],
    },
    "months": [
        {
            "month": f"2026-{m:02d}",
            "reached": None if m == 2 else 10 * m,
            "first_time": None if m % 3 == 0 else m,
            "checkins": 40 + 7 * m,
            "tickets": None if m == 5 else 22 + m,
        }
        for m in range(1, 13)
    ],
    "domains": [
        {"domain": "CULTURE", "reached": 300, "checkins": 500, "tickets": 700},
        {"domain": "YOUTH", "reached": None, "checkins": 120, "tickets": 40},
        {"domain": "SPORT", "reached": 80, "checkins": None, "tickets": 90},
        {"domain": "OTHER", "reached": 0, "checkins": 0, "tickets": 0},
    ],
    "first_time": {"total": 157},
    "checkins": {"total": 3456, "status_holders": 2000, "other_holders": 1456},
    "tickets": {"total": 2500},
    "ending_soon": {
        "within_days": 60,
        "total": 14,
        "municipalities": [
            {"nis_code": "73107", "name": "Maasmechelen", "count": 9},
            {"nis_code": "73109", "name": "Dilsen-Stokkem", "count": None},
        ],
    },
}

BUDGETS: dict[str, Any] = {
    "region_id": 1,
    "region_name": "UiTPAS Maasland",
    "year": 2026,
    "as_of": "2026-07-02",
    "thresholds": [75, 90, 100],
    "lines": [
        {
            "nis_code": "73109",
            "municipality_name": "Dilsen-Stokkem",
            "budget_cents": None,
            "policy": None,
            "consumed_cents": 12_345,
            "sales": 20,
            "consumed_percent": None,
            "projected_cents": 24_621,
            "projected_percent": None,
            "warnings": [],
        },
        {
            "nis_code": "73107",
            "municipality_name": "Maasmechelen",
            "budget_cents": 734_400,
            "policy": "STOP",
            "consumed_cents": 560_000,
            "sales": 800,
            "consumed_percent": 76.3,
            "projected_cents": 1_116_940,
            "projected_percent": 152.1,
            "warnings": ["threshold-75", "projected-over-budget"],
        },
    ],
    "total_budget_cents": 734_400,
    "total_consumed_cents": 572_345,
    "total_projected_cents": 1_141_561,
}


# --- Charts --------------------------------------------------------------------------------------


def _walk(node: Any) -> Iterator[Any]:
    """Every shape as it would be drawn, widgets (the chart, its labels) expanded."""
    if isinstance(node, UserNode):
        yield from _walk(node.provideNode())
        return
    yield node
    if isinstance(node, Group):
        for child in node.contents:
            yield from _walk(child)


def bars(drawing: Drawing) -> list[Rect]:
    chart = next(c for c in drawing.contents if isinstance(c, VerticalBarChart))
    return [n for n in _walk(chart) if isinstance(n, Rect)]


def texts(drawing: Drawing) -> list[str]:
    return [str(n.text) for n in _walk(drawing) if isinstance(n, String)]


class TestCharts:
    def test_a_suppressed_reach_is_an_empty_dashed_bar_labelled_x(self) -> None:
        drawing = reach_chart(["Maasmechelen", "Eisden", "Lanaken"], [50.0, None, 12.3])
        drawn = bars(drawing)
        assert len(drawn) == 3
        empty = [r for r in drawn if r.fillColor is None]
        assert len(empty) == 1
        assert empty[0].strokeDashArray
        assert empty[0].height == max(r.height for r in drawn)  # the full axis: "unknown"
        labels = texts(drawing)
        assert labels.count("x") == 1
        assert "50,0 %" in labels
        assert "12,3 %" in labels

    def test_suppressed_months_are_gaps(self) -> None:
        months = [f"m{i}" for i in range(12)]
        reached: list[int | None] = [10] * 12
        reached[1] = None
        tickets: list[int | None] = [5] * 12
        tickets[4] = tickets[7] = None
        drawing = months_chart(months, reached=reached, checkins=[40] * 12, tickets=tickets)
        assert len(bars(drawing)) == 36 - 3
        assert texts(drawing).count("x") == 3
        assert {"Bereikt", "Check-ins", "Tickets"} <= set(texts(drawing))  # the legend

    def test_domains_have_three_bars_each_and_a_zero_is_no_bar(self) -> None:
        drawing = domains_chart(
            ["Cultuur", "Jeugd", "Sport", "Andere"],
            reached=[30, None, 10, 0],
            checkins=[50, 60, None, 8],
            tickets=[70, 40, 30, 1],
        )
        assert len(bars(drawing)) == 12 - 2 - 1  # two suppressed, one zero
        assert texts(drawing).count("x") == 2  # a zero is published, not hidden
        assert {"Cultuur", "Jeugd", "Sport", "Andere"} <= set(texts(drawing))

    def test_a_municipality_without_budget_has_no_budget_bar_and_no_x(self) -> None:
        drawing = budget_chart(
            ["Maasmechelen", "Dilsen-Stokkem"],
            budget_euros=[7344, None],
            consumed_euros=[5600, 123],
            projected_euros=[11169, 246],
        )
        assert len(bars(drawing)) == 5
        assert "x" not in texts(drawing)
        assert "€ 12.000" in texts(drawing)  # the axis top above 11 169

    def test_long_names_are_shortened_on_the_axis(self) -> None:
        drawing = reach_chart(["Een gemeente met een heel lange naam"], [40.0])
        assert "Een gemeente met een …" in texts(drawing)

    def test_every_series_needs_a_value_per_category(self) -> None:
        with pytest.raises(ValueError, match="one value per category"):
            months_chart(["jan", "feb"], reached=[1], checkins=[1, 2], tickets=[1, 2])

    def test_an_empty_chart_is_still_a_drawing(self) -> None:
        drawing = reach_chart([], [])
        assert isinstance(drawing, Drawing)
        assert bars(drawing) == []

    def test_a_chart_needs_a_series(self) -> None:
        with pytest.raises(ValueError, match="at least one series"):
            bar_chart(["a"], [], missing="gap", value_format=str, slanted=False)

    @pytest.mark.parametrize(
        ("largest", "scale"),
        [
            (0, (5.0, 1.0)),
            (3, (3.0, 1.0)),
            (7, (8.0, 2.0)),
            (60, (60.0, 10.0)),
            (99, (100.0, 20.0)),
            (1200, (1200.0, 200.0)),
            (1201, (1250.0, 250.0)),
            (11169, (12000.0, 2000.0)),
        ],
    )
    def test_axis_scale(self, largest: float, scale: tuple[float, float]) -> None:
        assert axis_scale(largest) == scale


# --- The PDF -------------------------------------------------------------------------------------


def render(participation: dict[str, Any], budgets: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    annual_report_pdf(
        participation=participation, budgets=budgets, out=out, generated_at=GENERATED_AT
    )
    return out.getvalue()


def poppler(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_count(path: Path) -> int:
    info = poppler("pdfinfo", str(path))
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("annual") / "annual.pdf"
    path.write_bytes(render(PARTICIPATION, BUDGETS))
    return path


class TestAnnualPdf:
    def test_the_text_has_title_names_and_figures(self, report_pdf: Path) -> None:
        text = poppler("pdftotext", "-layout", str(report_pdf), "-")
        for expected in (
            "Jaarverslag UiTPAS Maasland 2026",
            "Periode: 1 januari 2026 – 31 december 2026",
            "Aangemaakt op 2 juli 2026 om 14:30",
            "Maasmechelen",
            "Dilsen-Stokkem",
            "Šimić-Lanaken",
            "Eisden",
            "zonder deelgemeente",
            "1.234",
            "3.456",
            "€ 5.723,45 van € 7.344,00 (77,9 %)",
            "€ 11.169,40",
            "76,3 %",
            "Cultuur",
            "Jeugd",
            "Sport",
            "Andere",
            "maart 2026",
            "75 % van het budget verbruikt",
            "de prognose overschrijdt het budget",
            "Statussen die binnen 60 dagen aflopen",
            "niemand herkend",
        ):
            assert expected in text, expected

    def test_suppressed_cells_show_x(self, report_pdf: Path) -> None:
        text = poppler("pdftotext", "-layout", str(report_pdf), "-")
        eisden = next(line for line in text.splitlines() if "Eisden" in line)
        assert eisden.split() == ["Eisden", "10", "x", "x", "x"]
        nobody = next(line for line in text.splitlines() if "zonder deelgemeente" in line)
        assert nobody.split()[-1] == "–"  # 0 of 0 is no percentage, not a hidden one
        february = next(line for line in text.splitlines() if "februari 2026" in line)
        assert february.split() == ["februari", "2026", "x", "2", "54", "24"]
        no_budget = next(
            line for line in text.splitlines() if "Dilsen-Stokkem" in line and "€" in line
        )
        assert no_budget.split()[1] == "–"

    def test_pages_are_sane_and_each_renders(self, report_pdf: Path, tmp_path: Path) -> None:
        pages = page_count(report_pdf)
        assert 3 <= pages <= 8
        poppler("pdftoppm", "-r", "50", "-png", str(report_pdf), str(tmp_path / "page"))
        images = sorted(tmp_path.glob("page-*.png"))
        assert len(images) == pages
        assert all(image.read_bytes().startswith(b"\x89PNG") for image in images)
        assert all(image.stat().st_size > 1000 for image in images)

    def test_the_same_input_gives_the_same_bytes(self, report_pdf: Path) -> None:
        assert render(PARTICIPATION, BUDGETS) == report_pdf.read_bytes()

    def test_empty_sections_say_so(self, tmp_path: Path) -> None:
        participation = copy.deepcopy(PARTICIPATION)
        participation["reach"]["municipalities"] = []
        participation["months"] = []
        participation["domains"] = []
        budgets = {**BUDGETS, "lines": [], "total_budget_cents": 0, "total_consumed_cents": 0}
        path = tmp_path / "empty.pdf"
        path.write_bytes(render(participation, budgets))
        text = poppler("pdftotext", str(path), "-")
        assert text.count("Geen gegevens voor deze periode.") == 4
        assert "€ 0,00 (geen budget vastgelegd)" in text
        assert "Geen enkele gemeente bereikt een waarschuwingsdrempel." in text
        assert page_count(path) >= 2

    def test_a_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            annual_report_pdf(
                participation=PARTICIPATION,
                budgets=BUDGETS,
                out=io.BytesIO(),
                generated_at=datetime(2026, 7, 2, 12, 30),  # noqa: DTZ001
            )
