"""Charts for the annual report, built from plain lists so each can be tested on its own.

A value of ``None`` is a figure the report may not publish (small-cell suppression) or does not
have. It is never drawn as zero, which would be a lie: a suppressed reach is an empty, dashed bar
labelled "x" (the reader sees there are people, not how many), a suppressed month or domain
count is a gap labelled "x", and a missing budget is simply no bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.textlabels import NA_Label
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors

from cardprint.fonts import DEFAULT_FONT_DIR, load_fonts

SUPPRESSED = "x"
WIDTH = 470
HEIGHT = 220
LABEL_CHARS = 22
"""Longer category names are cut: the table under the chart has them in full."""

BLUE = colors.HexColor("#1f5f8b")
ORANGE = colors.HexColor("#e8890c")
GREEN = colors.HexColor("#5b8c3a")
GREY = colors.HexColor("#9aa5ad")
DASH = colors.HexColor("#6b7780")

Value = float | int | None
Missing = Literal["outline", "gap", "absent"]
"""How a ``None`` is drawn: an empty dashed full-height bar with "x", a gap with "x", nothing."""


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[Value]
    color: colors.Color


def reach_chart(
    labels: Sequence[str], reach_percent: Sequence[Value], *, font: str | None = None
) -> Drawing:
    """Reach per municipality in percent of its status holders."""
    return bar_chart(
        labels,
        [Series("Bereik (%)", reach_percent, BLUE)],
        missing="outline",
        value_max=100,
        value_format=lambda v: f"{v:.0f} %",
        bar_label=lambda v: f"{v:.1f} %".replace(".", ","),
        slanted=True,
        font=font,
    )


def months_chart(
    months: Sequence[str],
    *,
    reached: Sequence[Value],
    checkins: Sequence[Value],
    tickets: Sequence[Value],
    font: str | None = None,
) -> Drawing:
    """Participation per month; a suppressed month is a gap, not a zero."""
    return bar_chart(
        months,
        _participation_series(reached, checkins, tickets),
        missing="gap",
        value_format=thousands,
        slanted=False,
        font=font,
    )


def domains_chart(
    labels: Sequence[str],
    *,
    reached: Sequence[Value],
    checkins: Sequence[Value],
    tickets: Sequence[Value],
    font: str | None = None,
) -> Drawing:
    """Participation per domain (culture, youth, sport, other)."""
    return bar_chart(
        labels,
        _participation_series(reached, checkins, tickets),
        missing="gap",
        value_format=thousands,
        slanted=False,
        font=font,
    )


def budget_chart(
    labels: Sequence[str],
    *,
    budget_euros: Sequence[Value],
    consumed_euros: Sequence[Value],
    projected_euros: Sequence[Value],
    font: str | None = None,
) -> Drawing:
    """Budget, consumption and year-end projection per municipality, in whole euros (cents
    would only add digits nobody reads on a chart; the table has them)."""
    return bar_chart(
        labels,
        [
            Series("Budget", budget_euros, GREY),
            Series("Verbruikt", consumed_euros, BLUE),
            Series("Prognose jaareinde", projected_euros, ORANGE),
        ],
        missing="absent",
        value_format=lambda v: f"€ {thousands(v)}",
        slanted=True,
        font=font,
    )


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    missing: Missing,
    value_format: Callable[[float], str],
    value_max: float | None = None,
    bar_label: Callable[[float], str] | None = None,
    slanted: bool,
    font: str | None = None,
) -> Drawing:
    """Grouped vertical bars, one group per category and one bar per series, with a legend when
    there is more than one series. The chart is the drawing's ``chart`` node."""
    if not series:
        raise ValueError("a chart needs at least one series")
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("every series needs one value per category")
    font_name = font or load_fonts("DejaVu Sans", DEFAULT_FONT_DIR).regular
    top, step = (value_max, value_max / 5) if value_max else axis_scale(_largest(series))
    drawing = Drawing(WIDTH, HEIGHT)
    chart = VerticalBarChart()
    chart.x, chart.y = 52, 62 if slanted else 28
    chart.width = WIDTH - chart.x - 8
    chart.height = HEIGHT - chart.y - (30 if len(series) > 1 else 12)
    chart.data = [_plotted(s.values, missing=missing, top=top) for s in series]
    chart.barSpacing = 1
    chart.groupSpacing = 6
    _style_bars(chart, series, missing=missing)
    _label_bars(chart, series, missing=missing, bar_label=bar_label, font=font_name)
    _value_axis(chart, top=top, step=step, value_format=value_format, font=font_name)
    _category_axis(chart, categories, slanted=slanted, font=font_name)
    drawing.add(chart, name="chart")
    if len(series) > 1:
        drawing.add(_legend(series, font=font_name), name="legend")
    return drawing


def axis_scale(largest: float) -> tuple[float, float]:
    """``(top, step)`` of the value axis: the top at or above the largest value, at most six
    steps of 1, 2, 2.5 or 5 × 10ⁿ (never below 1: counts and euros are whole), so the ticks fall
    on numbers a reader can use."""
    if largest <= 0:
        return 5.0, 1.0
    magnitude = max(1, 10 ** math.floor(math.log10(largest / 6)))
    for factor in (1, 2, 2.5, 5):
        step = factor * magnitude
        if math.ceil(largest / step) <= 6:
            return float(math.ceil(largest / step) * step), float(step)
    step = 10 * magnitude  # more than largest / 6: six steps at most
    return float(math.ceil(largest / step) * step), float(step)


def thousands(value: float) -> str:
    """1234 → "1.234", the Flemish way."""
    return f"{round(value):,}".replace(",", ".")


def _participation_series(
    reached: Sequence[Value], checkins: Sequence[Value], tickets: Sequence[Value]
) -> list[Series]:
    return [
        Series("Bereikt", reached, BLUE),
        Series("Check-ins", checkins, GREEN),
        Series("Tickets", tickets, ORANGE),
    ]


def _largest(series: Sequence[Series]) -> float:
    return max((v for s in series for v in s.values if v is not None), default=0)


def _plotted(values: Sequence[Value], *, missing: Missing, top: float) -> list[float | None]:
    if missing == "outline":
        return [top if v is None else v for v in values]
    return [None if v is None else v for v in values]


def _style_bars(chart: VerticalBarChart, series: Sequence[Series], *, missing: Missing) -> None:
    chart.bars.strokeWidth = 0
    chart.bars.strokeColor = None
    for row, s in enumerate(series):
        chart.bars[row].fillColor = s.color
        if missing != "outline":
            continue
        for col, value in enumerate(s.values):
            if value is None:
                chart.bars[(row, col)].fillColor = None
                chart.bars[(row, col)].strokeColor = DASH
                chart.bars[(row, col)].strokeWidth = 0.8
                chart.bars[(row, col)].strokeDashArray = [3, 2]


def _label_bars(
    chart: VerticalBarChart,
    series: Sequence[Series],
    *,
    missing: Missing,
    bar_label: Callable[[float], str] | None,
    font: str,
) -> None:
    """ "x" over every suppressed bar or gap; the value over the others if asked."""
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 5
    if missing == "outline" or bar_label is not None:
        chart.barLabelFormat = "values"
        chart.barLabelArray = [
            [
                SUPPRESSED
                if v is None and missing == "outline"
                else (bar_label(v) if v is not None and bar_label is not None else "")
                for v in s.values
            ]
            for s in series
        ]
    if missing == "gap":
        label = NA_Label()
        label.text = SUPPRESSED
        label.fontName = font
        label.fontSize = 7
        label.nudge = 5
        chart.naLabel = label


def _value_axis(
    chart: VerticalBarChart,
    *,
    top: float,
    step: float,
    value_format: Callable[[float], str],
    font: str,
) -> None:
    axis = chart.valueAxis
    axis.valueMin = 0
    axis.valueMax = top
    axis.valueStep = step
    axis.labelTextFormat = value_format
    axis.labels.fontName = font
    axis.labels.fontSize = 7
    axis.visibleGrid = True
    axis.gridStrokeColor = colors.HexColor("#dde3e7")
    axis.gridStrokeWidth = 0.4


def _category_axis(
    chart: VerticalBarChart, categories: Sequence[str], *, slanted: bool, font: str
) -> None:
    axis = chart.categoryAxis
    axis.categoryNames = [_short(c) for c in categories]
    axis.labels.fontName = font
    axis.labels.fontSize = 7
    if slanted:
        axis.labels.angle = 30
        axis.labels.boxAnchor = "ne"
        axis.labels.dx = 2
        axis.labels.dy = -4
    else:
        axis.labels.boxAnchor = "n"
        axis.labels.dy = -3


def _legend(series: Sequence[Series], *, font: str) -> Legend:
    legend = Legend()
    legend.x, legend.y = 52, HEIGHT - 4
    legend.boxAnchor = "nw"
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 95
    legend.dx = legend.dy = 7
    legend.fontName = font
    legend.fontSize = 8
    legend.colorNamePairs = [(s.color, s.name) for s in series]
    return legend


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
