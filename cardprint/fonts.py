"""Fonts from an allow-list, embedded (subset) in every PDF.

Only fonts with full Latin coverage are allowed, so that Çelik, Ngọc, Øyvind and Šimić print as
written. DejaVu comes from Debian's ``fonts-dejavu-core`` (``.ci/run`` installs it); no font is
vendored in the repository. A missing file is a clear error, never a silent fallback to a
standard PDF font that would print boxes or question marks instead of letters.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FontFamily = Literal["DejaVu Sans", "DejaVu Serif"]
DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
DEBIAN_PACKAGE = "fonts-dejavu-core"

ALLOWED_FONTS: dict[str, tuple[str, str]] = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "DejaVu Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
}
"""Family → (regular, bold) files; all four are in fonts-dejavu-core."""


class FontMissing(FileNotFoundError):
    """The font file of the layout is not installed."""


@dataclass(frozen=True, slots=True)
class FontPair:
    """Registered reportlab names of a family's regular and bold faces."""

    regular: str
    bold: str
    regular_font: TTFont
    bold_font: TTFont

    def covers(self, char: str, *, bold: bool = False) -> bool:
        font = self.bold_font if bold else self.regular_font
        return ord(char) in font.face.charToGlyph


_registered: dict[tuple[str, str], FontPair] = {}
_lock = threading.Lock()


def font_path(family: str, font_dir: Path, *, bold: bool = False) -> Path:
    if family not in ALLOWED_FONTS:
        raise ValueError(f"font {family!r} is not allowed: use one of {sorted(ALLOWED_FONTS)}")
    return font_dir / ALLOWED_FONTS[family][1 if bold else 0]


def load_fonts(family: str, font_dir: Path) -> FontPair:
    """Register the family's faces once per process (parsing a TTF takes tens of ms)."""
    key = (family, str(font_dir))
    with _lock:
        pair = _registered.get(key)
        if pair is not None:
            return pair
        faces: list[tuple[str, TTFont]] = []
        for bold in (False, True):
            path = font_path(family, font_dir, bold=bold)
            if not path.is_file():
                raise FontMissing(
                    f"font file {path} is missing: install the Debian package {DEBIAN_PACKAGE} "
                    f"(apt-get install {DEBIAN_PACKAGE}) or set the layout's font_dir"
                )
            # The registered name is stable for a path, so the PDF's bytes do not depend on the
            # order in which a process met its fonts.
            digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
            name = f"{path.stem}-{digest}"
            font = TTFont(name, str(path))
            pdfmetrics.registerFont(font)
            faces.append((name, font))
        pair = FontPair(faces[0][0], faces[1][0], faces[0][1], faces[1][1])
        _registered[key] = pair
        return pair


def printable(text: str, fonts: FontPair, *, bold: bool = False) -> str:
    """Text the font can draw: NFC first (ọ is one glyph), and a character the font lacks is
    decomposed into base and marks when the font has those (the marks then overprint)."""
    text = unicodedata.normalize("NFC", text)
    if all(fonts.covers(c, bold=bold) for c in text):
        return text
    out: list[str] = []
    for char in text:
        if fonts.covers(char, bold=bold):
            out.append(char)
            continue
        parts = unicodedata.normalize("NFD", char)
        out.append(parts if all(fonts.covers(p, bold=bold) for p in parts) else char)
    return "".join(out)
