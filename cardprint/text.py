"""Fitting a line of text into a box: smaller type first, then an ellipsis between graphemes.

A name is never cut inside a character: the cut falls between grapheme clusters (a base letter
with its combining marks), so "Nguyễn" written with a combining tilde loses the whole letter or
keeps it whole. The standard library has no grapheme segmentation; clusters here are a base
character followed by combining marks, variation selectors and zero-width-joiner sequences, which
is what names in Latin, Greek and Cyrillic script need.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

ELLIPSIS = "…"
_ZWJ = "\u200d"
_TRIM_BEFORE_ELLIPSIS = " -\u2010\u2011\u2013\u2014'’.,"


def clean(text: str) -> str:
    """NFC, control and format characters removed, runs of whitespace as one space."""
    text = unicodedata.normalize("NFC", text)
    kept = (
        " " if c.isspace() else c
        for c in text
        if c == _ZWJ or c.isspace() or unicodedata.category(c) not in ("Cc", "Cf")
    )
    return " ".join("".join(kept).split())


def _extends(char: str) -> bool:
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char == _ZWJ
        or "\ufe00" <= char <= "\ufe0f"  # variation selectors
    )


def graphemes(text: str) -> list[str]:
    clusters: list[str] = []
    for char in text:
        if clusters and (_extends(char) or clusters[-1].endswith(_ZWJ)):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


@dataclass(frozen=True, slots=True)
class Fitted:
    text: str
    size: float
    shortened: bool


def fit_line(
    text: str,
    *,
    font: str,
    size: float,
    min_size: float,
    max_width: float,
    step: float = 0.5,
) -> Fitted:
    """The largest size from ``size`` down to ``min_size`` at which ``text`` fits ``max_width``
    (points); at ``min_size``, the longest prefix of whole graphemes plus an ellipsis that fits."""
    current = size
    while True:
        if stringWidth(text, font, current) <= max_width:
            return Fitted(text, current, False)
        if current <= min_size:
            break
        current = max(min_size, current - step)
    clusters = graphemes(text)

    def candidate(count: int) -> str:
        return "".join(clusters[:count]).rstrip(_TRIM_BEFORE_ELLIPSIS) + ELLIPSIS

    low, high = 0, len(clusters) - 1  # invariant: candidate(low) fits or low == 0
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(candidate(middle), font, min_size) <= max_width:
            low = middle
        else:
            high = middle - 1
    # Trimming punctuation makes width not quite monotonic in the count: step back until it fits.
    while low > 0 and stringWidth(candidate(low), font, min_size) > max_width:
        low -= 1
    shortened = candidate(low)
    if stringWidth(shortened, font, min_size) > max_width:
        shortened = ""
    return Fitted(shortened, min_size, True)
