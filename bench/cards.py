"""Benchmark: render printed cards (front and back, Code 128 and QR) on one core.

    .venv/bin/python -m bench.cards [--count 1000] [--sheet CR80|A4] [--no-qr]
    .venv/bin/python -m bench.cards --count 100000 --stream [--out cards.pdf]

Without ``--stream`` the PDF is built in memory (``render_cards``, as the API does); with it, the
cards come from a generator and the PDF is written to a file chunk by chunk (``write_cards``, as
``passengine cards print`` does). Prints cards per second, bytes per card and the peak RSS of
this process (``resource.getrusage``), after the first 1,000 cards and at the end: in streaming
mode the two stay the same however many cards are printed. No database: the renderer is pure.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cardprint import CardData, CardLayout, render_cards, write_cards
from passengine.domain.identifiers import generate_card_number

NAMES = [
    "Giuseppina Lombardi",
    "Mehmet Çelik",
    "Ngọc Anh Nguyễn",
    "Øyvind Håkonsen",
    "Ivana Šimić",
    "Agnieszka Kowalczyk",
    "Karim El Idrissi",
    "Noëlle Hermans",
    "Marie-Christine Anne-Sophie Van den Bossche-Vanderlinden de Wilde-Verhaegen "
    "Van Oudenhove-Ter Beek-Van Goethem-De Smedts",
    "",  # a stock card
]
LAYOUT = CardLayout(
    region_name="UiTPAS Maasland",
    primary_color="#e4002b",
    secondary_color="#1d1d1b",
    contact_line="Vragen? UiTPAS-balie in het Sociaal Huis Maasmechelen, "
    "uitpas@maasland.example.org",
    conditions_text="Je UiTPAS is persoonlijk en niet overdraagbaar. Verlies of diefstal meld je "
    "meteen aan een UiTPAS-balie: we blokkeren je kaart en je punten en voordelen gaan mee naar "
    "je nieuwe kaart. Het kansentarief geldt alleen bij activiteiten in de regio UiTPAS Maasland.",
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cards(count: int) -> Iterator[CardData]:
    rng = random.Random(6)
    for index in range(count):
        yield CardData(generate_card_number(rng), NAMES[index % len(NAMES)], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--sheet", choices=["CR80", "A4"], default="CR80")
    parser.add_argument("--no-qr", action="store_true")
    parser.add_argument("--stream", action="store_true", help="write to a file in chunks")
    parser.add_argument("--out", type=Path, help="with --stream: keep the PDF here")
    args = parser.parse_args()
    layout = LAYOUT.model_copy(update={"show_qr": not args.no_qr})
    render_cards(list(cards(10)), layout)  # fonts parsed and registered before timing
    at_1000 = 0.0

    def progress(done: int) -> None:
        nonlocal at_1000
        if done == min(1000, args.count):
            at_1000 = peak_rss_mb()

    batch = None if args.stream else list(cards(args.count))  # in memory: cards made up front
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.stream:
            out = args.out or Path(tmp) / "cards.pdf"
            with out.open("wb") as handle:
                summary = write_cards(
                    cards(args.count), layout, handle, sheet=args.sheet, progress=progress
                )
            size = out.stat().st_size
        else:
            assert batch is not None
            buffer = io.BytesIO()  # what render_cards does, with the page count
            summary = write_cards(batch, layout, buffer, sheet=args.sheet, progress=progress)
            size = len(buffer.getvalue())
    elapsed = time.perf_counter() - started
    mode = "streamed to a file" if args.stream else "in memory"
    qr = "no QR" if args.no_qr else "Code 128 + QR"
    count = summary.cards
    print(f"cards            {count:,} ({args.sheet}, front and back, {qr}, {mode})")
    print(f"pages            {summary.pages:,}")
    print(f"time             {elapsed:.2f} s")
    print(f"cards per second {count / elapsed:,.0f}")
    print(f"bytes per card   {size / count:,.0f} ({size / 1e6:,.1f} MB in all)")
    print(
        f"peak RSS         {at_1000:.0f} MB after {min(1000, count):,} cards, "
        f"{peak_rss_mb():.0f} MB at the end"
    )


if __name__ == "__main__":
    main()
