"""Card printing: a pure renderer from card data and a layout to PDF (CR80 pages or A4 sheets).

No database code here: the shell (``passengine.services.card_printing``) loads the cards and
builds ``CardData``; this package only draws.
"""

from cardprint.fonts import FontMissing
from cardprint.layout import CR80_HEIGHT_MM, CR80_WIDTH_MM, CardData, CardLayout, SheetKind
from cardprint.render import (
    CARDS_PER_SHEET,
    CardDoesNotFit,
    RenderSummary,
    render_cards,
    write_cards,
)

__all__ = [
    "CARDS_PER_SHEET",
    "CR80_HEIGHT_MM",
    "CR80_WIDTH_MM",
    "CardData",
    "CardDoesNotFit",
    "CardLayout",
    "FontMissing",
    "RenderSummary",
    "SheetKind",
    "render_cards",
    "write_cards",
]
