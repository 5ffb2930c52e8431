"""Printed cards: batches to a file (the command line) and the PDF of a few cards (the API).

The shell around ``cardprint``: it loads the cards and their holders' names, builds ``CardData``
(no ORM objects, no status) and the region's ``CardLayout``, and records what was printed.

A batch is streamed from the database to a temporary file next to the target; only when that
file is complete, flushed to disk and renamed does one transaction mark the cards printed and
write the audit row. A batch that fails half-way leaves neither a partial PDF under the target
name nor cards marked printed that were not.
"""

from __future__ import annotations

import contextlib
import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from cardprint import CardData, CardLayout, SheetKind, render_cards, write_cards
from passengine.domain.errors import InvalidCardNumber, InvalidInput, NotFound
from passengine.domain.identifiers import validate_card_number
from passengine.domain.model import CardStatus
from passengine.services.audit import Actor, record
from passengine.services.auth import Forbidden, Principal
from passengine.storage import tables as t

PRINTABLE_STATUSES = (CardStatus.PROVISIONED, CardStatus.LOCAL_STOCK, CardStatus.ACTIVE)
"""Blocked and deleted cards are never printed again: a lost card gets a new number."""
MAX_PDF_CARDS = 50
"""The API renders in the request; larger batches go through ``passengine cards print``."""
PDF_PERMISSIONS = ("REGION_ADMIN", "CARDS_READ")
_BATCH = 1000

Progress = Callable[[int, int], None]
"""Called with (cards drawn, cards in the batch)."""
Row = tuple[int, str, int, CardStatus, str | None, str | None, bool]
"""Card id, number, region, status, holder's first name and surname, holder erased."""


@dataclass(frozen=True, slots=True)
class PrintRequest:
    """Which cards: all cards of a region in a status, or a list of numbers (of one region)."""

    region_id: int | None = None
    status: CardStatus | None = None
    numbers: tuple[str, ...] = ()
    reprint: bool = False
    """Status batches skip cards printed before unless this is set; a list prints as asked."""


@dataclass(frozen=True, slots=True)
class PrintReport:
    region_id: int
    cards: int
    pages: int
    path: Path


def parse_status(text: str) -> CardStatus:
    try:
        status = CardStatus(text.strip().upper())
    except ValueError:
        status = None
    if status not in PRINTABLE_STATUSES:
        names = ", ".join(s.value for s in PRINTABLE_STATUSES)
        raise InvalidInput(
            f"Cannot print cards in status {text!r}: choose one of {names}.",
            code="card-status-not-printable",
        )
    assert status is not None
    return status


def parse_numbers(text: str) -> tuple[str, ...]:
    """Card numbers separated by commas, spaces or new lines, each validated (Luhn)."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise InvalidInput("No card numbers given.", code="no-cards")
    numbers: list[str] = []
    for part in parts:
        try:
            numbers.append(validate_card_number(part))
        except InvalidCardNumber as exc:
            raise InvalidCardNumber(f"{part[:20]}: {exc.message}") from exc
    return tuple(dict.fromkeys(numbers))  # once each, in the order given


def layout_for(region: t.Region, *, logo: Path | None = None, show_qr: bool = True) -> CardLayout:
    """The region's card: its name, colours, contact line and conditions."""
    fields: dict[str, object] = {
        "region_name": region.name,
        "contact_line": region.contact_line or region.website or "",
        "conditions_text": region.conditions_text or "",
        "logo_path": logo,
        "show_qr": show_qr,
    }
    if region.primary_color:
        fields["primary_color"] = region.primary_color
    if region.secondary_color:
        fields["secondary_color"] = region.secondary_color
    if logo is not None and not logo.is_file():
        raise InvalidInput(f"No logo file {logo}.", code="logo-not-found")
    try:
        return CardLayout.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"Region {region.id}'s card layout is not valid: {where}: {first['msg']}.",
            code="card-layout-invalid",
        ) from exc


def display_name(first_name: str | None, name: str | None, erased: bool) -> str:
    """First name and surname as the holder is addressed; blank for stock cards and for holders
    whose personal data was erased."""
    if erased:
        return ""
    return " ".join(p.strip() for p in (first_name or "", name or "") if p and p.strip())


def _cards_query() -> Select[int, str, int, CardStatus, str | None, str | None, bool]:
    return select(
        t.Card.id,
        t.Card.uitpas_number,
        t.Card.region_id,
        t.Card.status,
        t.PassHolder.first_name,
        t.PassHolder.name,
        t.PassHolder.erased_at.is_not(None),
    ).outerjoin(t.PassHolder, t.PassHolder.id == t.Card.holder_id)


def _region(session: Session, region_id: int) -> t.Region:
    region = session.get(t.Region, region_id)
    if region is None:
        raise NotFound(f"No region {region_id}.", code="cardsystem-not-found")
    return region


def _status_filter(request: PrintRequest) -> list[ColumnElement[bool]]:
    assert request.region_id is not None
    assert request.status is not None
    conditions: list[ColumnElement[bool]] = [
        t.Card.region_id == request.region_id,
        t.Card.status == request.status,
    ]
    if not request.reprint:
        conditions.append(t.Card.printed_at.is_(None))
    return conditions


def _load_numbers(session: Session, numbers: Sequence[str]) -> list[Row]:
    """The cards of ``numbers`` in the order given; every number must exist and be printable."""
    found: dict[str, Row] = {}
    for first in range(0, len(numbers), _BATCH):
        batch = numbers[first : first + _BATCH]
        for result in session.execute(_cards_query().where(t.Card.uitpas_number.in_(batch))):
            found[result[1]] = result
    missing = [n for n in numbers if n not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise NotFound(f"No card {missing[0]}{more}.", code="pass-not-found")
    rows = [found[n] for n in numbers]
    for row in rows:
        if row[3] not in PRINTABLE_STATUSES:
            raise InvalidInput(
                f"Card {row[1]} is {row[3].value}: it is not printed again "
                "(a lost card is replaced by a card with a new number).",
                code="card-status-not-printable",
            )
    return rows


def _one_region(rows: Sequence[Row]) -> int:
    regions = sorted({row[2] for row in rows})
    if len(regions) > 1:
        raise InvalidInput(
            f"These cards belong to regions {', '.join(map(str, regions))}: "
            "print the cards of each region separately (each region has its own card).",
            code="cards-of-several-regions",
        )
    return regions[0]


def print_cards(
    readers: sessionmaker[Session],
    writers: sessionmaker[Session],
    request: PrintRequest,
    *,
    out: Path,
    sheet: SheetKind,
    actor: Actor,
    at: datetime,
    logo: Path | None = None,
    show_qr: bool = True,
    progress: Progress | None = None,
) -> PrintReport:
    """Print a batch to ``out`` and mark its cards printed once the file is complete.

    Reading and drawing stream (1,000 rows at a time, a few hundred cards per PDF chunk), so a
    batch of 100,000 cards holds only the ids of the cards it printed (8 bytes each) in memory.
    """
    if not request.numbers and (request.region_id is None or request.status is None):
        raise InvalidInput("Say which cards: --region and --status, or --numbers.", code="no-cards")
    if request.numbers and request.status is not None:
        raise InvalidInput("Give --status or --numbers, not both.", code="no-cards")
    printed = array("q")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    with readers() as session, session.begin(), contextlib.ExitStack() as cursors:
        if request.numbers:
            rows = _load_numbers(session, request.numbers)
            region_id = _one_region(rows)
            if request.region_id is not None and region_id != request.region_id:
                raise InvalidInput(
                    f"Card {rows[0][1]} belongs to region {region_id}, not {request.region_id}.",
                    code="cards-of-several-regions",
                )
            total = len(rows)
            layout = layout_for(_region(session, region_id), logo=logo, show_qr=show_qr)
            source: Iterator[Row] = iter(rows)
        else:
            assert request.region_id is not None
            region_id = request.region_id
            _region(session, region_id)
            conditions = _status_filter(request)
            total = session.scalar(select(func.count()).select_from(t.Card).where(*conditions)) or 0
            if total == 0:
                assert request.status is not None
                raise NotFound(
                    f"Region {region_id} has no {request.status.value} cards"
                    + ("." if request.reprint else " that were not printed before."),
                    code="no-cards",
                )
            layout = layout_for(_region(session, region_id), logo=logo, show_qr=show_qr)
            # A server-side cursor on PostgreSQL: closed explicitly, also when drawing fails.
            result = session.execute(
                _cards_query()
                .where(*conditions)
                .order_by(t.Card.id)
                .execution_options(yield_per=_BATCH)
            )
            source = iter(cursors.enter_context(contextlib.closing(result)))

        def cards() -> Iterator[CardData]:
            for card_id, number, row_region, _status, first, name, erased in source:
                printed.append(card_id)
                yield CardData(number, display_name(first, name, erased), row_region)

        def drawn(done: int) -> None:
            if progress is not None:
                progress(done, total)

        try:
            with tmp.open("wb") as handle:
                summary = write_cards(cards(), layout, handle, sheet=sheet, progress=drawn)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(out)  # only a complete file gets the target's name
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    _fsync_directory(out.parent)

    with writers() as session, session.begin():
        for first in range(0, len(printed), _BATCH):
            ids = list(printed[first : first + _BATCH])
            session.execute(update(t.Card).where(t.Card.id.in_(ids)).values(printed_at=at))
        record(
            session,
            actor,
            "cards.printed",
            subject=f"region:{region_id}",
            details={
                "count": summary.cards,
                "pages": summary.pages,
                "sheet": sheet,
                "status": request.status.value if request.status else None,
                "numbers": len(request.numbers) or None,
                "reprint": request.reprint,
                "file": out.name,
            },
        )
    return PrintReport(region_id=region_id, cards=summary.cards, pages=summary.pages, path=out)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable too (POSIX; Windows has no directory handles to sync)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def card_pdf(
    session: Session,
    numbers: Sequence[str],
    *,
    principal: Principal,
    sheet: SheetKind = "CR80",
) -> bytes:
    """The PDF of up to 50 cards of one region, for a region administrator of that region.

    Every card served is audited (``cards.pdf``, with its holder); a refusal for a card outside
    the caller's regions is audited too. The PDF is a download, not a print run: ``printed_at``
    is left alone (it records the batches a region sent to its printer).
    """
    if not any(principal.has(p) for p in PDF_PERMISSIONS):
        raise Forbidden(
            "This client lacks the REGION_ADMIN or CARDS_READ permission.",
            permission="CARDS_READ",
        )
    numbers = tuple(dict.fromkeys(validate_card_number(n) for n in numbers))
    if not 0 < len(numbers) <= MAX_PDF_CARDS:
        raise InvalidInput(
            f"Ask for 1 to {MAX_PDF_CARDS} cards; print larger batches with "
            "`passengine cards print`.",
            code="too-many-cards",
        )
    with session.begin():
        found: dict[str, tuple[Row, str | None]] = {
            result[1]: (result[:7], result[7])
            for result in session.execute(
                _cards_query()
                .add_columns(t.Card.holder_id)
                .where(t.Card.uitpas_number.in_(numbers))
            )
        }
        outside = [n for n in numbers if n in found and found[n][0][2] not in principal.region_ids]
        missing = [n for n in numbers if n not in found]
        if outside:
            for number in outside:
                record(
                    session,
                    principal.actor,
                    "cards.pdf.refused",
                    holder_id=found[number][1],
                    subject=f"card:{number}",
                )
        elif missing:
            raise NotFound(f"No card {missing[0]}.", code="pass-not-found")
        else:
            rows = [found[n][0] for n in numbers]
            region_id = _one_region(rows)
            for _id, number, _region_id, status, *_ in rows:
                if status not in PRINTABLE_STATUSES:
                    raise InvalidInput(
                        f"Card {number} is {status.value}: it is not printed again.",
                        code="card-status-not-printable",
                    )
            layout = layout_for(_region(session, region_id))
            cards = [
                CardData(number, display_name(first, name, erased), row_region)
                for _id, number, row_region, _status, first, name, erased in rows
            ]
            # Audited in the transaction that read the names: the data has left the database.
            for number in numbers:
                record(
                    session,
                    principal.actor,
                    "cards.pdf",
                    holder_id=found[number][1],
                    subject=f"card:{number}",
                    details={"sheet": sheet, "cards": len(numbers)},
                )
    if outside:
        # Raised after the commit so that the audit rows of the refusal are kept.
        raise Forbidden("This card belongs to a region outside the client's regions.")
    return render_cards(cards, layout, sheet=sheet)
