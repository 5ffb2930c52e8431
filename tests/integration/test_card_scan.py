"""Printed cards scan: render → rasterise (pdftoppm) → decode (zbarimg) → the card number.

What a handheld scanner at a desk does, with the tools of poppler-utils and zbar-tools
(``.ci/run`` installs them; without them these tests skip and say so). A sample of random valid
card numbers, the demo names and the longest names; the Code 128 and the QR code separately;
single CR80 pages at 300 dpi (a card printer's resolution) and a whole A4 sheet.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from cardprint import CardData, CardLayout, render_cards
from cardprint.fonts import DEFAULT_FONT_DIR
from passengine.domain.identifiers import generate_card_number

TOOLS = ("pdftoppm", "zbarimg", "pdftotext")
missing = [tool for tool in TOOLS if shutil.which(tool) is None]
if not (DEFAULT_FONT_DIR / "DejaVuSans.ttf").is_file():
    missing.append("fonts-dejavu-core")
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"needs {', '.join(missing)} (apt-get install poppler-utils zbar-tools "
    "fonts-dejavu-core; .ci/run installs them)",
)

LONGEST = (
    "Marie-Christine Anne-Sophie Van den Bossche-Vanderlinden de Wilde-Verhaegen "
    "Van Oudenhove-Ter Beek-Van Goethem-De Smedts"
)
NAMES = [
    "Giuseppina Lombardi",
    "Mehmet Çelik",
    "Ngọc Anh Nguyễn",
    "Øyvind Håkonsen",
    "Ivana Šimić",
    LONGEST,
    "Wolfeschlegelsteinhausenbergerdorff-Übermüller Karl-Theodor Maria Nikolaus Johann",
    "",  # a stock card
]
LAYOUT = CardLayout(
    region_name="UiTPAS Maasland",
    primary_color="#e4002b",
    secondary_color="#1d1d1b",
    contact_line="Vragen? UiTPAS-balie in het Sociaal Huis Maasmechelen",
    conditions_text="Je UiTPAS is persoonlijk en niet overdraagbaar.",
)


def sample() -> list[CardData]:
    rng = random.Random(20261123)
    numbers = ["6451620999770", "1000000000009", "9999999999994"]
    numbers += [generate_card_number(rng) for _ in range(len(NAMES) - len(numbers))]
    return [CardData(n, name, 1) for n, name in zip(numbers, NAMES, strict=True)]


def rasterise(pdf: bytes, tmp_path: Path, *, dpi: int) -> list[Path]:
    source = tmp_path / "cards.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    return sorted(tmp_path.glob("page-*.png"))


def decode(image: Path, symbology: str) -> list[str]:
    """What zbarimg reads in ``image``, for one symbology only (code128 or qrcode)."""
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", f"-S{symbology}.enable", str(image)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Exit code 4 means "nothing found": the assertion below says which card.
    assert result.returncode in (0, 4), result.stderr
    return sorted(line for line in result.stdout.splitlines() if line)


@pytest.mark.parametrize("symbology", ["code128", "qrcode"])
def test_every_card_scans_as_its_number_on_cr80_pages(tmp_path: Path, symbology: str) -> None:
    cards = sample()
    pages = rasterise(render_cards(cards, LAYOUT, sheet="CR80"), tmp_path, dpi=300)
    assert len(pages) == 2 * len(cards)
    for card, front, back in zip(cards, pages[0::2], pages[1::2], strict=True):
        assert decode(front, symbology) == [card.number], (card.holder_name, symbology)
        assert decode(back, symbology) == []  # nothing to scan on the back


@pytest.mark.parametrize("symbology", ["code128", "qrcode"])
def test_a_whole_a4_sheet_scans(tmp_path: Path, symbology: str) -> None:
    cards = sample()
    front, back = rasterise(render_cards(cards, LAYOUT, sheet="A4"), tmp_path, dpi=200)
    assert decode(front, symbology) == sorted(card.number for card in cards)
    assert decode(back, symbology) == []


def test_names_are_in_the_pdf_as_written(tmp_path: Path) -> None:
    """The embedded fonts map every glyph back to its character (ToUnicode), so the names read
    back exactly: no boxes, no question marks, no dropped accents."""
    cards = sample()[:5]
    source = tmp_path / "cards.pdf"
    source.write_bytes(render_cards(cards, LAYOUT))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(source), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for card in cards:
        assert card.holder_name in text
        assert LAYOUT.group_digits(card.number) in text
