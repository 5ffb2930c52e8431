"""What the renderer takes: the data of one card and the region's layout, in millimetres.

``CardData`` is deliberately poor: a number, a name to show and a region. It carries no status,
no ORM object and no database id, so nothing on a card can depend on whether its holder has a
kansenstatuut (domain.md: "the card must not reveal the status"; Amsterdam's green dot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cardprint.fonts import DEFAULT_FONT_DIR, FontFamily

CR80_WIDTH_MM = 85.60
CR80_HEIGHT_MM = 53.98
"""ISO/IEC 7810 ID-1 (CR80): every card printer and pre-cut card sheet uses it."""

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_NUMBER_LENGTH = 40


@dataclass(frozen=True, slots=True)
class CardData:
    """One card to print. ``holder_name`` is empty for stock cards (no holder yet)."""

    number: str
    holder_name: str
    region_id: int

    def __post_init__(self) -> None:
        # Code 128 could carry letters, but a desk types what it reads: digits only.
        number = self.number
        if not (0 < len(number) <= MAX_NUMBER_LENGTH and number.isascii() and number.isdigit()):
            raise ValueError(f"card number {self.number[:50]!r} is not 1 to 40 digits")


class CardLayout(BaseModel):
    """A region's card. Every box is in millimetres from the card's lower-left corner.

    Defaults give a card that scans: Code 128 modules of 0.375 mm (15 mil, what handheld scanners
    read at arm's length) with quiet zones, and a QR code of 0.6 mm modules.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    region_name: str = Field(min_length=1, max_length=200)
    primary_color: str = "#1d1d1b"
    """The band on the front and the stripe on the back."""
    secondary_color: str = "#e4002b"
    """A thin accent line under the band."""
    band_text_color: str = "#ffffff"
    text_color: str = "#1d1d1b"
    logo_path: Path | None = None
    """A PNG or JPEG drawn at the right of the band, scaled to fit."""
    contact_line: str = Field(default="", max_length=300)
    conditions_text: str = Field(default="", max_length=2000)
    font: FontFamily = "DejaVu Sans"
    font_dir: Path = DEFAULT_FONT_DIR
    show_qr: bool = True
    digit_groups: tuple[int, ...] = (4, 4, 5)
    """How the number is printed for people: 6451 6209 99770 (the rest, if any, follows)."""

    margin_mm: float = Field(default=5.0, ge=2.0, le=10.0)
    band_height_mm: float = Field(default=13.0, ge=6.0, le=20.0)
    name_baseline_mm: float = Field(default=27.5, ge=15.0, le=35.0)
    name_size_pt: float = Field(default=11.0, ge=6.0, le=16.0)
    name_min_size_pt: float = Field(default=7.5, ge=5.0, le=16.0)
    barcode_x_mm: float = Field(default=6.0, ge=0.0, le=40.0)
    barcode_y_mm: float = Field(default=9.0, ge=6.0, le=30.0)
    barcode_module_mm: float = Field(default=0.375, ge=0.25, le=0.6)
    """The narrowest bar. Below 0.25 mm (10 mil) printers smear and scanners miss."""
    barcode_height_mm: float = Field(default=12.0, ge=6.0, le=20.0)
    qr_module_mm: float = Field(default=0.6, ge=0.4, le=1.0)

    @field_validator("primary_color", "secondary_color", "band_text_color", "text_color")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        if not _HEX_COLOUR.match(value):
            raise ValueError(f"{value!r} is not a colour like #e4002b")
        return value.lower()

    @field_validator("digit_groups")
    @classmethod
    def _groups(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(g < 1 or g > 8 for g in value):
            raise ValueError("digit groups are 1 to 8 digits each")
        return value

    @model_validator(mode="after")
    def _fits(self) -> CardLayout:
        if self.name_min_size_pt > self.name_size_pt:
            raise ValueError("name_min_size_pt is larger than name_size_pt")
        if self.barcode_y_mm + self.barcode_height_mm >= self.name_baseline_mm:
            raise ValueError("the barcode reaches into the holder's name")
        if self.name_baseline_mm + 5 >= CR80_HEIGHT_MM - self.band_height_mm:
            raise ValueError("the holder's name reaches into the band")
        return self

    def group_digits(self, number: str) -> str:
        """``6451620999770`` → ``6451 6209 99770``: groups for people, the barcode has none."""
        parts: list[str] = []
        start = 0
        for size in self.digit_groups:
            if start >= len(number):
                break
            parts.append(number[start : start + size])
            start += size
        if start < len(number):
            parts.append(number[start:])
        return " ".join(parts)


SheetKind = Literal["CR80", "A4"]
