"""The card renderer: layout, name shortening, page geometry, stable output and streaming.

Rendering needs DejaVu from Debian's fonts-dejavu-core (``.ci/run`` installs it); without it these
tests skip, and one test checks that the renderer then says what to install.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import random
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from barcode.codex import Code128  # type: ignore[import-untyped]
from hypothesis import given, settings, strategies as st
from PIL import Image
from pydantic import ValidationError
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

import cardprint
from cardprint import (
    CardData,
    CardDoesNotFit,
    CardLayout,
    FontMissing,
    render_cards,
    write_cards,
)
from cardprint.barcode import bar_runs, code128_modules, code128_values, qr_matrix, qr_runs
from cardprint.fonts import DEFAULT_FONT_DIR, load_fonts, printable
from cardprint.render import CARD_H, CARD_W, _Painter, sheet_slots
from cardprint.text import ELLIPSIS, clean, fit_line, graphemes
from passengine.domain.identifiers import generate_card_number

FONT = DEFAULT_FONT_DIR / "DejaVuSans.ttf"
needs_font = pytest.mark.skipif(
    not FONT.is_file(), reason=f"{FONT} missing: apt-get install fonts-dejavu-core"
)

GOLDEN_SHA256 = "6bbf7e29da5f5983c757218cc7f8744b6abcf3ed8663fda663ced778ed70b986"
"""The fixed card below, rendered in invariant mode. If the renderer changed on purpose (or
fonts-dejavu-core changed version), look at the new card (pdftoppm) and update the hash."""

LONG_NAME = (
    "Marie-Christine Anne-Sophie Van den Bossche-Vanderlinden de Wilde-Verhaegen "
    "Van Oudenhove-Ter Beek-Van Goethem-De Smedts"
)
NAMES = [
    "Mehmet Çelik",
    "Ngọc Anh Nguyễn",
    "Øyvind Håkonsen",
    "Ivana Šimić",
    "Noëlle Hermans",
    "Giuseppina Lombardi",
    LONG_NAME,
]
LAYOUT = CardLayout(
    region_name="UiTPAS Maasland",
    primary_color="#e4002b",
    secondary_color="#1d1d1b",
    contact_line="Vragen? UiTPAS-balie in het Sociaal Huis Maasmechelen",
    conditions_text="Je UiTPAS is persoonlijk en niet overdraagbaar.",
)
CARD = CardData("6451620999770", "Mehmet Çelik", 1)


def pdf_pages(pdf: bytes) -> int:
    """The page count of the root page tree (object 2, written by our joiner)."""
    match = re.search(rb"2 0 obj\n<< /Type /Pages /Count (\d+)", pdf)
    assert match is not None
    return int(match.group(1))


def media_boxes(pdf: bytes) -> set[tuple[float, float]]:
    return {
        (round(float(w), 2), round(float(h), 2))
        for w, h in re.findall(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", pdf)
    }


def assert_xref_is_exact(pdf: bytes) -> None:
    """Every object sits where the cross-reference table says: readers rely on it."""
    start = int(re.findall(rb"startxref\n(\d+)", pdf)[-1])
    assert pdf[start:].startswith(b"xref\n0 ")
    count = int(re.match(rb"xref\n0 (\d+)\n", pdf[start:]).group(1))  # type: ignore[union-attr]
    entries = pdf[start:].split(b"\n", 2)[2]
    for number in range(1, count):
        offset = int(entries[20 * number : 20 * number + 10])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number), number


class TestCardLayout:
    def test_defaults_make_a_valid_layout(self) -> None:
        layout = CardLayout(region_name="UiTPAS Maasland")
        assert layout.font == "DejaVu Sans"
        assert layout.barcode_module_mm >= 0.25

    @pytest.mark.parametrize("colour", ["red", "#e4002", "#e4002bb", "e4002b", "#gggggg"])
    def test_colours_are_hex(self, colour: str) -> None:
        with pytest.raises(ValidationError, match="colour"):
            CardLayout(region_name="X", primary_color=colour)

    def test_fonts_come_from_the_allow_list(self) -> None:
        with pytest.raises(ValidationError):
            CardLayout.model_validate({"region_name": "X", "font": "Comic Sans MS"})

    def test_unknown_fields_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            CardLayout.model_validate({"region_name": "X", "status_colour": "#00ff00"})

    def test_the_barcode_cannot_reach_into_the_name(self) -> None:
        with pytest.raises(ValidationError, match="barcode reaches"):
            CardLayout(region_name="X", barcode_y_mm=20, barcode_height_mm=12)

    @pytest.mark.parametrize(
        ("groups", "number", "printed"),
        [
            ((4, 4, 5), "6451620999770", "6451 6209 99770"),
            ((4, 4, 4), "6451620999770", "6451 6209 9977 0"),
            ((3,), "6451620999770", "645 1620999770"),
            ((4, 4, 5), "123", "123"),
        ],
    )
    def test_groups_digits_for_people(
        self, groups: tuple[int, ...], number: str, printed: str
    ) -> None:
        assert CardLayout(region_name="X", digit_groups=groups).group_digits(number) == printed


class TestCardData:
    def test_carries_no_status(self) -> None:
        """The renderer cannot print what it is not given (domain.md: no mark, colour or digit
        may reveal the status)."""
        assert [f.name for f in dataclasses.fields(CardData)] == [
            "number",
            "holder_name",
            "region_id",
        ]

    @pytest.mark.parametrize("number", ["", "12a4", "٦٤٥١٦٢٠٩٩٩٧٧٠", "1" * 41, " 123"])
    def test_numbers_are_ascii_digits(self, number: str) -> None:
        with pytest.raises(ValueError, match="digits"):
            CardData(number, "", 1)


class TestGraphemes:
    def test_combining_marks_stay_with_their_letter(self) -> None:
        decomposed = unicodedata.normalize("NFD", "Nguyễn")
        assert graphemes(decomposed) == [unicodedata.normalize("NFD", c) for c in "Nguyễn"]

    def test_clean_composes_and_drops_control_characters(self) -> None:
        assert clean(" Ngo\u0323c\u00a0 \tAnh\x00\u200b ") == "Ngọc Anh"


@needs_font
class TestFitLine:
    WIDTH = 50 * mm

    @pytest.fixture(autouse=True)
    def _font(self) -> None:
        self.font = load_fonts("DejaVu Sans", DEFAULT_FONT_DIR).regular

    @pytest.mark.parametrize("name", NAMES[:-1])
    def test_ordinary_names_are_kept_whole(self, name: str) -> None:
        fitted = fit_line(name, font=self.font, size=11, min_size=7.5, max_width=self.WIDTH)
        assert (fitted.text, fitted.shortened) == (name, False)

    def test_a_slightly_long_name_gets_smaller_type_not_an_ellipsis(self) -> None:
        name = "Anne-Sophie Van den Bossche"
        fitted = fit_line(name, font=self.font, size=11, min_size=7.5, max_width=self.WIDTH)
        assert fitted.text == name
        assert 7.5 <= fitted.size < 11
        assert stringWidth(name, self.font, fitted.size) <= self.WIDTH

    def test_the_120_character_name_is_shortened_with_an_ellipsis_and_fits(self) -> None:
        assert len(LONG_NAME) == 120
        fitted = fit_line(LONG_NAME, font=self.font, size=11, min_size=7.5, max_width=self.WIDTH)
        assert fitted.shortened
        assert fitted.text.endswith(ELLIPSIS)
        assert LONG_NAME.startswith(fitted.text[:-1])
        assert not fitted.text[:-1].endswith((" ", "-"))
        assert stringWidth(fitted.text, self.font, fitted.size) <= self.WIDTH

    @pytest.mark.parametrize("name", ["Nguyễn", "Ngọc", "Šimić", "Çelik", "Øyvind"])
    def test_decomposed_names_are_never_cut_inside_a_letter(self, name: str) -> None:
        text = unicodedata.normalize("NFD", f"{name} " * 20)
        for width in range(5, 60, 3):
            fitted = fit_line(text, font=self.font, size=11, min_size=7.5, max_width=width * mm)
            body = fitted.text.removesuffix(ELLIPSIS)
            assert text.startswith(body)
            # The next character of the original is not a mark that belonged to the last letter.
            following = text[len(body) : len(body) + 1]
            assert not following or not unicodedata.combining(following)
            assert stringWidth(fitted.text, self.font, fitted.size) <= width * mm


@needs_font
@settings(max_examples=150, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(
            codec="utf-8", categories=("L", "M", "N", "P", "Zs"), max_codepoint=0x2FFF
        ),
        max_size=150,
    ),
    width=st.floats(min_value=5, max_value=80),
)
def test_fitting_never_overflows_and_only_cuts_between_graphemes(text: str, width: float) -> None:
    font = load_fonts("DejaVu Sans", DEFAULT_FONT_DIR).regular
    fitted = fit_line(text, font=font, size=11, min_size=7.5, max_width=width * mm)
    assert stringWidth(fitted.text, font, fitted.size) <= width * mm
    if fitted.shortened and fitted.text:
        body = fitted.text.removesuffix(ELLIPSIS)
        clusters = graphemes(text)
        joined = ""
        prefixes = {joined}
        for cluster in clusters:
            joined += cluster
            prefixes.add(joined)
        assert any(p.rstrip(" -\u2010\u2011\u2013\u2014'’.,") == body for p in prefixes)


@needs_font
class TestFonts:
    @pytest.mark.parametrize("name", NAMES)
    def test_dejavu_has_every_letter_of_the_names(self, name: str) -> None:
        fonts = load_fonts("DejaVu Sans", DEFAULT_FONT_DIR)
        text = printable(name, fonts)
        assert all(fonts.covers(c) for c in text), [c for c in text if not fonts.covers(c)]

    def test_a_missing_font_file_says_which_package_to_install(self, tmp_path: Path) -> None:
        layout = LAYOUT.model_copy(update={"font_dir": tmp_path})
        with pytest.raises(FontMissing, match="fonts-dejavu-core"):
            render_cards([CARD], layout)


class TestBarcodes:
    def test_code128_of_13_digits_has_the_expected_structure(self) -> None:
        modules = code128_modules("6451620999770")
        # Start (11) + 6 pairs in set C + code B + 1 digit + check (11 each) + stop (13).
        assert len(modules) == 11 * 10 + 13
        assert modules.startswith("11010")
        assert modules.endswith("1100011101011")
        assert sum(width for _, width in bar_runs(modules)) == modules.count("1")

    @pytest.mark.parametrize("seed", range(5))
    def test_code128_agrees_with_python_barcode(self, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(200):
            number = generate_card_number(rng)
            if number.startswith("99"):
                continue
            assert code128_modules(number) == Code128(number).build()[0]

    def test_a_leading_99_is_kept(self) -> None:
        """python-barcode 0.16.1 drops it (upstream issue #251); our values keep it."""
        assert code128_values("9999999999994") == [105, 99, 99, 99, 99, 99, 99, 100, 20]
        assert Code128("9999999999994").build()[0] != code128_modules("9999999999994")

    def test_qr_runs_cover_exactly_the_dark_modules(self) -> None:
        matrix = qr_matrix("6451620999770")
        assert len(matrix) == 21  # version 1
        dark = sum(1 for row in matrix for module in row if module)
        assert sum(width for _, _, width in qr_runs(matrix)) == dark


@needs_font
class TestRender:
    def test_golden_card_is_byte_for_byte_stable(self) -> None:
        pdf = render_cards([CARD], LAYOUT)
        assert pdf == render_cards([CARD], LAYOUT)
        assert hashlib.sha256(pdf).hexdigest() == GOLDEN_SHA256

    def test_cr80_pages_are_85_60_by_53_98_mm_front_and_back(self) -> None:
        cards = [CardData("6451620999770", name, 1) for name in NAMES]
        pdf = render_cards(cards, LAYOUT, sheet="CR80")
        assert pdf.startswith(b"%PDF-1.4")
        assert pdf_pages(pdf) == 2 * len(cards)
        (width, height), *others = media_boxes(pdf)
        assert others == []
        assert (round(width / mm, 2), round(height / mm, 2)) == (85.60, 53.98)
        assert_xref_is_exact(pdf)

    @pytest.mark.parametrize(("count", "sheets"), [(1, 1), (10, 1), (11, 2), (25, 3)])
    def test_a4_holds_ten_cards_per_sheet_with_a_back_sheet_each(
        self, count: int, sheets: int
    ) -> None:
        cards = [CardData(str(1000000000000 + i), f"Holder {i}", 1) for i in range(count)]
        pdf = render_cards(cards, LAYOUT, sheet="A4")
        assert pdf_pages(pdf) == 2 * sheets
        assert media_boxes(pdf) == {(round(A4[0], 2), round(A4[1], 2))}

    def test_a4_backs_mirror_the_columns_for_duplex(self) -> None:
        fronts, backs = sheet_slots(back=False), sheet_slots(back=True)
        assert len(fronts) == 10
        for (fx, fy), (bx, by) in zip(fronts, backs, strict=True):
            assert by == fy
            assert bx == pytest.approx(A4[0] - fx - CARD_W)
        # The cards fit the sheet.
        assert all(
            x >= 0 and x + CARD_W <= A4[0] and y >= 0 and y + CARD_H <= A4[1] for x, y in fronts
        )

    def test_nothing_to_render_is_an_error_before_anything_is_written(self) -> None:
        out = io.BytesIO()
        with pytest.raises(ValueError, match="no cards"):
            write_cards([], LAYOUT, out)
        assert out.getvalue() == b""

    def test_a_number_too_long_for_the_card_is_refused(self) -> None:
        with pytest.raises(CardDoesNotFit):
            render_cards([CardData("1" * 40, "", 1)], LAYOUT)

    def test_streams_a_generator_in_chunks_into_one_valid_pdf(self) -> None:
        produced = 0

        def cards() -> Iterator[CardData]:
            nonlocal produced
            for i in range(23):
                produced += 1
                yield CardData(str(2000000000000 + i), NAMES[i % len(NAMES)], 1)

        seen: list[int] = []
        out = io.BytesIO()
        summary = cardprint.write_cards(cards(), LAYOUT, out, chunk_size=5, progress=seen.append)
        pdf = out.getvalue()
        assert (summary.cards, summary.pages, produced) == (23, 46, 23)
        assert pdf_pages(pdf) == 46
        assert seen == list(range(1, 24))
        assert_xref_is_exact(pdf)
        # Each chunk's font subsets have their own name, so viewers cannot mix them up.
        subsets = set(re.findall(rb"/BaseFont /([A-Z]{6})\+DejaVuSans\b", pdf))
        assert len(subsets) == 5

    def test_the_back_fits_long_conditions_and_long_words(self) -> None:
        layout = LAYOUT.model_copy(
            update={
                "contact_line": "Vragen? " + "uitpas-" * 30 + "@maasland.example.org",
                "conditions_text": "Je UiTPAS is persoonlijk en niet overdraagbaar. " * 30,
            }
        )
        lines = _Painter(layout)._back_lines
        assert lines
        assert lines[-1][1].endswith(ELLIPSIS)  # there was more text than room
        for font, text, size, baseline in lines:
            assert stringWidth(text, font, size) <= CARD_W - 2 * layout.margin_mm * mm
            assert baseline >= 6 * mm
        assert pdf_pages(render_cards([CARD], layout)) == 2

    def test_a_logo_in_the_band(self, tmp_path: Path) -> None:
        logo = tmp_path / "logo.png"
        Image.new("RGBA", (300, 100), (255, 255, 255, 255)).save(logo)
        pdf = render_cards([CARD], LAYOUT.model_copy(update={"logo_path": logo}))
        assert b"/Subtype /Image" in pdf
        assert pdf_pages(pdf) == 2

    def test_a_stock_card_has_no_name_and_a_card_never_shows_more_than_it_is_given(self) -> None:
        stock = render_cards([CardData("6451620999770", "", 1)], LAYOUT)
        named = render_cards([CARD], LAYOUT)
        assert pdf_pages(stock) == pdf_pages(named) == 2
        assert stock != named


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_renderer_imports_no_database_or_web_code() -> None:
    allowed = {"cardprint", "reportlab", "barcode", "segno", "pydantic", "__future__"}
    for path in sorted(Path(cardprint.__file__).parent.glob("*.py")):
        for name in imported_modules(path):
            assert name in allowed or name in sys.stdlib_module_names, (path.name, name)
