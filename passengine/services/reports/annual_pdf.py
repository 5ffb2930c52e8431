"""The annual report a local network shows its council: key figures, charts and small tables.

It is drawn from two JSON-ready documents (participation analytics and the budget view), not
from the database, so the PDF shows exactly the figures the API hands out: cells hidden there
for privacy ("x") stay hidden here, and nothing is recomputed from raw rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate

from cardprint.fonts import DEFAULT_FONT_DIR, FontPair, load_fonts
from passengine.domain.money import round_half_up
from passengine.services.reports.report_charts import (
    SUPPRESSED,
    budget_chart,
    domains_chart,
    months_chart,
    reach_chart,
)
from passengine.services.reports.settlement_files import MONTHS_NL, date_nl

TZ = ZoneInfo("Europe/Brussels")
FONT_FAMILY = "DejaVu Sans"
NOTHING = "–"
"""Shown where there is nothing to show (no budget, nobody to divide by), unlike "x"."""
DOMAIN_LABELS = {"CULTURE": "Cultuur", "YOUTH": "Jeugd", "SPORT": "Sport", "OTHER": "Andere"}
MONTHS = MONTHS_NL
MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
HEADER_BG = colors.HexColor("#1f5f8b")
ZEBRA = colors.HexColor("#f1f4f6")
Row = list[str | Paragraph]


class _Styles:
    """The few paragraph styles of the report, in the embedded DejaVu font (Ngọc, Šimić…)."""

    def __init__(self, fonts: FontPair) -> None:
        self.fonts = fonts
        self.title = ParagraphStyle(
            "title", fontName=fonts.bold, fontSize=22, leading=27, spaceAfter=8
        )
        self.heading = ParagraphStyle(
            "heading", fontName=fonts.bold, fontSize=14, leading=18, spaceBefore=10, spaceAfter=6
        )
        self.body = ParagraphStyle(
            "body", fontName=fonts.regular, fontSize=9.5, leading=13, alignment=TA_LEFT
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10.5)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8, leading=10)
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.cell, fontName=fonts.bold)
        self.cell_indent = ParagraphStyle("cell_indent", parent=self.cell, leftIndent=12)


def annual_report_pdf(
    *,
    participation: Mapping[str, Any],
    budgets: Mapping[str, Any],
    out: BinaryIO,
    generated_at: datetime,
) -> None:
    """Write the report for the region and period of ``participation`` to ``out``."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    styles = _Styles(load_fonts(FONT_FAMILY, DEFAULT_FONT_DIR))
    region = str(participation.get("region", {}).get("name") or budgets.get("region_name") or "")
    title = f"Jaarverslag {region} {_year(participation, budgets)}"
    story: list[Flowable] = [
        *_title_block(participation, budgets, title=title, generated_at=generated_at, s=styles),
        PageBreak(),
        *_reach_section(participation, s=styles),
        *_months_section(participation, s=styles),
        *_domains_section(participation, s=styles),
        *_budget_section(budgets, s=styles),
        *_non_use_section(participation, s=styles),
    ]
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=title,
        author=region,
        creator="passengine",
        lang="nl-BE",
        invariant=True,
    )

    def footer(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(styles.fonts.regular, 7.5)
        canvas.setFillColor(colors.HexColor("#5b6770"))
        canvas.drawString(2 * cm, 1.2 * cm, title)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"pagina {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)


# --- Sections ------------------------------------------------------------------------------------


def _title_block(
    participation: Mapping[str, Any],
    budgets: Mapping[str, Any],
    *,
    title: str,
    generated_at: datetime,
    s: _Styles,
) -> list[Flowable]:
    period = participation.get("period", {})
    local = generated_at.astimezone(TZ)
    threshold = participation.get("threshold", 5)
    return [
        Spacer(1, 3 * cm),
        Paragraph(_esc(title), s.title),
        Paragraph(
            f"Periode: {_date_nl(period.get('start'))} – {_date_nl(period.get('end'))}", s.body
        ),
        Paragraph(f"Aangemaakt op {_date_nl(local.date().isoformat())} om {local:%H:%M}", s.body),
        Spacer(1, 0.8 * cm),
        Paragraph("Kerncijfers", s.heading),
        _table(
            [["", "Waarde"], *_key_figures(participation, budgets)],
            widths=[9 * cm, 6 * cm],
            s=s,
        ),
        Spacer(1, 0.6 * cm),
        Paragraph(
            f"Over privacy: een cel met minder dan {threshold} personen tonen we niet; er staat "
            f"dan een “{SUPPRESSED}”. Soms verbergen we ook een groter getal, wanneer het "
            "verborgen getal anders uit een totaal zou volgen. Zo kan niemand herkend worden.",
            s.small,
        ),
    ]


def _key_figures(participation: Mapping[str, Any], budgets: Mapping[str, Any]) -> list[Row]:
    total = participation.get("reach", {}).get("total", {})
    return [
        ["Statushouders", _count(total.get("status_holders"))],
        ["Bereikt (minstens één activiteit)", _count(total.get("reached"))],
        ["Bereik", _percent(total.get("reach_percent"))],
        ["Eerste deelnemers", _count(participation.get("first_time", {}).get("total"))],
        ["Check-ins", _count(participation.get("checkins", {}).get("total"))],
        ["Tickets aan kansentarief", _count(participation.get("tickets", {}).get("total"))],
        ["Budget verbruikt", _budget_use(budgets)],
    ]


def _reach_section(participation: Mapping[str, Any], *, s: _Styles) -> list[Flowable]:
    reach = participation.get("reach", {})
    municipalities: Sequence[Mapping[str, Any]] = reach.get("municipalities", [])
    rows: list[Row] = [
        ["Gemeente / deelgemeente", "Statushouders", "Bereikt", "Niet bereikt", "Bereik"]
    ]
    bold_rows: list[int] = []
    for m in municipalities:
        bold_rows.append(len(rows))
        rows.append(_reach_row(m, name=str(m.get("name") or m.get("nis_code")), s=s, bold=True))
        for sub in m.get("sub_municipalities", []):
            name = sub.get("name") or "zonder deelgemeente"
            rows.append(_reach_row(sub, name=name, s=s, bold=False))
    bold_rows.append(len(rows))
    rows.append(_reach_row(reach.get("total", {}), name="Totaal", s=s, bold=True))
    chart = reach_chart(
        [str(m.get("name") or m.get("nis_code")) for m in municipalities],
        [m.get("reach_percent") for m in municipalities],
        font=s.fonts.regular,
    )
    return [
        KeepTogether(
            [
                Paragraph("Bereik per gemeente", s.heading),
                Paragraph(
                    "Het aandeel statushouders dat minstens één keer deelnam. Een lege, "
                    f"gestreepte staaf met “{SUPPRESSED}” is een verborgen cijfer.",
                    s.small,
                ),
                _or_note(chart, shown=bool(municipalities), s=s),
            ]
        ),
        _table(
            rows,
            widths=[6.5 * cm, 2.6 * cm, 2.4 * cm, 2.6 * cm, 2.4 * cm],
            s=s,
            bold_rows=bold_rows,
        ),
    ]


def _reach_row(cell: Mapping[str, Any], *, name: str, s: _Styles, bold: bool) -> Row:
    return [
        Paragraph(_esc(name), s.cell_bold if bold else s.cell_indent),
        _count(cell.get("status_holders")),
        _count(cell.get("reached")),
        _count(cell.get("not_reached")),
        NOTHING if cell.get("status_holders") == 0 else _percent(cell.get("reach_percent")),
    ]


def _months_section(participation: Mapping[str, Any], *, s: _Styles) -> list[Flowable]:
    months: Sequence[Mapping[str, Any]] = participation.get("months", [])
    several_years = len({str(m.get("month", ""))[:4] for m in months}) > 1
    labels = [
        _month_label(str(m.get("month", "")), short=True, with_year=several_years) for m in months
    ]
    chart = months_chart(
        labels,
        reached=[m.get("reached") for m in months],
        checkins=[m.get("checkins") for m in months],
        tickets=[m.get("tickets") for m in months],
        font=s.fonts.regular,
    )
    rows: list[Row] = [["Maand", "Bereikt", "Eerste keer", "Check-ins", "Tickets"]]
    rows += [
        [
            _month_label(str(m.get("month", "")), short=False, with_year=True),
            _count(m.get("reached")),
            _count(m.get("first_time")),
            _count(m.get("checkins")),
            _count(m.get("tickets")),
        ]
        for m in months
    ]
    return [
        KeepTogether(
            [Paragraph("Deelname per maand", s.heading), _or_note(chart, shown=bool(months), s=s)]
        ),
        _table(rows, widths=[4.5 * cm, 3 * cm, 3 * cm, 3 * cm, 3 * cm], s=s),
    ]


def _domains_section(participation: Mapping[str, Any], *, s: _Styles) -> list[Flowable]:
    domains: Sequence[Mapping[str, Any]] = participation.get("domains", [])
    labels = [_domain_label(d.get("domain")) for d in domains]
    chart = domains_chart(
        labels,
        reached=[d.get("reached") for d in domains],
        checkins=[d.get("checkins") for d in domains],
        tickets=[d.get("tickets") for d in domains],
        font=s.fonts.regular,
    )
    rows: list[Row] = [["Domein", "Bereikt", "Check-ins", "Tickets"]]
    rows += [
        [label, _count(d.get("reached")), _count(d.get("checkins")), _count(d.get("tickets"))]
        for label, d in zip(labels, domains, strict=True)
    ]
    return [
        KeepTogether(
            [Paragraph("Deelname per domein", s.heading), _or_note(chart, shown=bool(domains), s=s)]
        ),
        _table(rows, widths=[5.5 * cm, 3.5 * cm, 3.5 * cm, 3.5 * cm], s=s),
    ]


def _budget_section(budgets: Mapping[str, Any], *, s: _Styles) -> list[Flowable]:
    lines: Sequence[Mapping[str, Any]] = budgets.get("lines", [])
    chart = budget_chart(
        [str(line.get("municipality_name")) for line in lines],
        budget_euros=[_euros(line.get("budget_cents")) for line in lines],
        consumed_euros=[_euros(line.get("consumed_cents")) for line in lines],
        projected_euros=[_euros(line.get("projected_cents")) for line in lines],
        font=s.fonts.regular,
    )
    rows: list[Row] = [["Gemeente", "Budget", "Verbruikt", "%", "Prognose", "%"]]
    rows += [
        [
            Paragraph(_esc(str(line.get("municipality_name"))), s.cell),
            _money(line.get("budget_cents")),
            _money(line.get("consumed_cents")),
            _budget_percent(line.get("consumed_percent"), line.get("budget_cents")),
            _money(line.get("projected_cents")),
            _budget_percent(line.get("projected_percent"), line.get("budget_cents")),
        ]
        for line in lines
    ]
    rows.append(
        [
            Paragraph("Totaal", s.cell_bold),
            _money(budgets.get("total_budget_cents")),
            _money(budgets.get("total_consumed_cents")),
            "",
            _money(budgets.get("total_projected_cents")),
            "",
        ]
    )
    as_of = _date_nl(budgets.get("as_of"))
    intro = (
        f"Kansentarief ten laste van elke gemeente (trekkingsrecht en eigen inbreng), stand op "
        f"{as_of}. De prognose trekt het verbruik tot nu lineair door tot het einde van het jaar."
    )
    flowables: list[Flowable] = [
        KeepTogether(
            [
                Paragraph("Budget per gemeente", s.heading),
                Paragraph(intro, s.small),
                _or_note(chart, shown=bool(lines), s=s),
            ]
        ),
        _table(
            rows,
            widths=[5.4 * cm, 2.6 * cm, 2.6 * cm, 1.6 * cm, 2.6 * cm, 1.6 * cm],
            s=s,
            bold_rows=[len(rows) - 1],
        ),
    ]
    warnings = [
        f"<b>{_esc(str(line.get('municipality_name')))}</b>: "
        + "; ".join(_warning_text(code) for code in line.get("warnings", []))
        + _policy_note(line.get("policy"))
        for line in lines
        if line.get("warnings")
    ]
    flowables.append(Paragraph("Waarschuwingen bij het budget", s.heading))
    flowables += [Paragraph(w, s.body) for w in warnings] or [
        Paragraph("Geen enkele gemeente bereikt een waarschuwingsdrempel.", s.body)
    ]
    return flowables


def _non_use_section(participation: Mapping[str, Any], *, s: _Styles) -> list[Flowable]:
    reach = participation.get("reach", {})
    rows: list[Row] = [["Gemeente", "Statushouders", "Niet bereikt", "Aandeel"]]
    municipalities = reach.get("municipalities", [])
    for m in [*municipalities, {**reach.get("total", {}), "name": "Totaal"}]:
        style = s.cell_bold if len(rows) > len(municipalities) else s.cell
        rows.append(
            [
                Paragraph(_esc(str(m.get("name") or m.get("nis_code"))), style),
                _count(m.get("status_holders")),
                _count(m.get("not_reached")),
                _share(m.get("not_reached"), m.get("status_holders")),
            ]
        )
    ending = participation.get("ending_soon", {})
    days = ending.get("within_days", "")
    ending_rows: list[Row] = [["Gemeente", "Aantal"]]
    ending_rows += [
        [Paragraph(_esc(str(m.get("name") or m.get("nis_code"))), s.cell), _count(m.get("count"))]
        for m in ending.get("municipalities", [])
    ]
    ending_rows.append([Paragraph("Totaal", s.cell_bold), _count(ending.get("total"))])
    return [
        KeepTogether(
            [
                Paragraph("Niet-gebruik", s.heading),
                Paragraph(
                    "Statushouders die in deze periode aan geen enkele activiteit deelnamen: wie "
                    "de toeleiders best opnieuw aanspreken.",
                    s.small,
                ),
                _table(
                    rows, widths=[7 * cm, 3 * cm, 3 * cm, 3 * cm], s=s, bold_rows=[len(rows) - 1]
                ),
            ]
        ),
        KeepTogether(
            [
                Paragraph(f"Statussen die binnen {days} dagen aflopen", s.heading),
                Paragraph(
                    "Wie zijn kansenstatuut niet tijdig verlengt, verliest het kansentarief.",
                    s.small,
                ),
                _table(ending_rows, widths=[7 * cm, 3 * cm], s=s, bold_rows=[len(ending_rows) - 1]),
            ]
        ),
    ]


def _or_note(chart: Flowable, *, shown: bool, s: _Styles) -> Flowable:
    """An empty chart looks like a broken one: say there is nothing instead."""
    return chart if shown else Paragraph("Geen gegevens voor deze periode.", s.body)


# --- Tables and formatting -----------------------------------------------------------------------


def _table(
    rows: list[Row], *, widths: list[float], s: _Styles, bold_rows: Sequence[int] = ()
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), s.fonts.regular, 8),
        ("FONT", (0, 0), (-1, 0), s.fonts.bold, 8),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.HexColor("#9aa5ad")),
    ]
    commands += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(rows), 2)]
    commands += [("FONT", (0, r), (-1, r), s.fonts.bold, 8) for r in bold_rows]
    table.setStyle(TableStyle(commands))
    return table


def _year(participation: Mapping[str, Any], budgets: Mapping[str, Any]) -> str:
    start = participation.get("period", {}).get("start")
    end = participation.get("period", {}).get("end")
    if start and end and start[:4] != end[:4]:
        return f"{start[:4]}–{end[:4]}"
    return str(start[:4] if start else budgets.get("year", ""))


def _count(value: int | None) -> str:
    return SUPPRESSED if value is None else f"{value:,}".replace(",", ".")


def _percent(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{value:.1f} %".replace(".", ",")


def _budget_percent(value: float | None, budget_cents: int | None) -> str:
    """Without a budget there is no percentage to hide: a dash, not an "x"."""
    return NOTHING if value is None or budget_cents is None else _percent(value)


def _share(part: int | None, whole: int | None) -> str:
    if part is None or whole is None:
        return SUPPRESSED
    if whole == 0:
        return NOTHING
    return f"{round_half_up(part * 1000, whole) / 10:.1f} %".replace(".", ",")


def _money(cents: int | None) -> str:
    """€ 1.234,56: money is not suppressed, so None only means "no budget"."""
    if cents is None:
        return NOTHING
    whole, part = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return (
        f"{sign}€ {whole:,},{part:02d}".replace(",", "X")
        .replace("X", ".", 1 if whole >= 1000 else 0)
        .replace("X", ",")
    )


def _euros(cents: int | None) -> int | None:
    return None if cents is None else round_half_up(cents, 100)


def _budget_use(budgets: Mapping[str, Any]) -> str:
    consumed = budgets.get("total_consumed_cents", 0)
    total = budgets.get("total_budget_cents", 0)
    if not total:
        return f"{_money(consumed)} (geen budget vastgelegd)"
    share = round_half_up(consumed * 1000, total) / 10
    return f"{_money(consumed)} van {_money(total)} ({_percent(share)})"


def _warning_text(code: str) -> str:
    if code == "projected-over-budget":
        return "de prognose overschrijdt het budget"
    if code.startswith("threshold-"):
        return f"{code.removeprefix('threshold-')} % van het budget verbruikt"
    return code


def _policy_note(policy: str | None) -> str:
    if policy == "STOP":
        return " (beleid STOP: geen kansentarief meer ten laste van de gemeente zodra het op is)"
    return ""


def _date_nl(iso: str | None) -> str:
    return date_nl(date.fromisoformat(iso)) if iso else "?"


def _month_label(label: str, *, short: bool, with_year: bool) -> str:
    """``2026-03`` → "mrt" (or "mrt ’26") on the chart, "maart 2026" in the table."""
    year, _, month = label.partition("-")
    if not month.isdigit() or not 1 <= int(month) <= 12:
        return label
    name = (MONTHS_SHORT if short else MONTHS)[int(month) - 1]
    if not with_year:
        return name
    return f"{name} ’{year[-2:]}" if short else f"{name} {year}"


def _domain_label(domain: str | None) -> str:
    return DOMAIN_LABELS.get(str(domain), str(domain))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
