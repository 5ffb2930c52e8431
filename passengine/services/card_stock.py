"""Card stock, blocking and replacement.

Suppliers deliver cards as a CSV of ``chip number;card number``: imported all or nothing, with the
line and reason of every refused row. A lost card is blocked; a replacement gets a new number,
the old card stays blocked, and the chain from new to old is kept. Points, history and unused
entitlements are the holder's, not the card's, so they carry over by themselves.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from passengine.domain.errors import (
    Conflict,
    InvalidCardNumber,
    InvalidChipNumber,
    InvalidInput,
    NotFound,
)
from passengine.domain.identifiers import (
    generate_card_number,
    normalise_chip_number,
    validate_card_number,
)
from passengine.domain.model import CardStatus, CardType
from passengine.services.audit import record
from passengine.services.authority import Authority
from passengine.storage import tables as t

BLOCK_REASONS = ("LOST", "STOLEN", "DEFECT", "OTHER")
_system_random = random.SystemRandom()


@dataclass
class StockReport:
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


class StockRefused(InvalidInput):
    code = "card-stock-refused"

    def __init__(self, report: StockReport) -> None:
        line, reason = report.rejected[0]
        more = len(report.rejected) - 1
        super().__init__(
            f"Nothing imported: line {line}: {reason}" + (f" (and {more} more)" if more else ""),
            rejected=[{"line": n, "reason": r} for n, r in report.rejected],
        )
        self.report = report


def import_stock(
    session: Session,
    region_id: int,
    text: str,
    *,
    authority: Authority,
    status: CardStatus = CardStatus.LOCAL_STOCK,
) -> StockReport:
    """Import ``chip;card`` lines (a header line is allowed) into the region's stock."""
    authority.require(authority.can_register(region_id), "manage this region's card stock")
    if session.get(t.Region, region_id) is None:
        raise NotFound(f"No region {region_id}.", code="cardsystem-not-found")
    report = StockReport()
    rows: list[dict[str, object]] = []
    lines: list[int] = []
    seen_cards: set[str] = set()
    seen_chips: set[str] = set()
    for number, fields in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if not fields or all(not f.strip() for f in fields):
            continue
        if number == 1 and not any(c.isdigit() for c in "".join(fields)):
            continue  # header
        if len(fields) != 2:
            report.rejected.append((number, f"{len(fields)} fields, expected chip;card"))
            continue
        try:
            chip = normalise_chip_number(fields[0]) if fields[0].strip() else None
            card = validate_card_number(fields[1])
        except (InvalidChipNumber, InvalidCardNumber) as exc:
            report.rejected.append((number, f"{exc.code}: {exc.message}"))
            continue
        if card in seen_cards or (chip and chip in seen_chips):
            report.rejected.append((number, "listed twice in the file"))
            continue
        seen_cards.add(card)
        if chip:
            seen_chips.add(chip)
        lines.append(number)
        rows.append(
            {
                "uitpas_number": card,
                "chip_number": chip,
                "card_type": CardType.NFC_CARD,
                "status": status,
                "region_id": region_id,
            }
        )
    if seen_cards:
        taken = set(
            session.scalars(
                select(t.Card.uitpas_number).where(t.Card.uitpas_number.in_(seen_cards))
            )
        )
        taken_chips = (
            set(
                session.scalars(
                    select(t.Card.chip_number).where(t.Card.chip_number.in_(seen_chips))
                )
            )
            if seen_chips
            else set()
        )
        for line, row in zip(lines, rows, strict=True):
            if row["uitpas_number"] in taken or row["chip_number"] in taken_chips:
                report.rejected.append(
                    (line, f"card {row['uitpas_number']} or its chip already exists")
                )
    if report.rejected:
        report.rejected.sort()
        raise StockRefused(report)
    if rows:
        session.execute(insert(t.Card), rows)
    report.imported = len(rows)
    record(
        session,
        authority.actor,
        "cards.stock_imported",
        subject=f"region:{region_id}",
        details={"imported": report.imported},
    )
    return report


def _card(session: Session, uitpas_number: str) -> t.Card:
    number = validate_card_number(uitpas_number)
    card = session.scalars(select(t.Card).where(t.Card.uitpas_number == number)).one_or_none()
    if card is None:
        raise NotFound(f"No card {number}.", code="invalid-card")
    return card


def block(
    session: Session, uitpas_number: str, *, reason: str, authority: Authority, at: datetime
) -> None:
    card = _card(session, uitpas_number)
    authority.require(authority.can_register(card.region_id), "block this region's cards")
    if reason not in BLOCK_REASONS:
        raise InvalidInput(
            f"A block reason is one of {', '.join(BLOCK_REASONS)}.", code="invalid-data"
        )
    if card.status is CardStatus.BLOCKED:
        return
    if card.status is not CardStatus.ACTIVE:
        raise Conflict(f"Card {card.uitpas_number} is not in use.", code="invalid-card-status")
    card.status = CardStatus.BLOCKED
    card.blocked_at = at
    card.block_reason = reason
    session.flush()
    record(
        session,
        authority.actor,
        "card.blocked",
        holder_id=card.holder_id,
        subject=f"card:{card.uitpas_number}",
        details={"reason": reason},
    )


def replace(
    session: Session,
    uitpas_number: str,
    *,
    new_number: str | None,
    reason: str,
    authority: Authority,
    at: datetime,
) -> str:
    """Block the card (if it is not already) and give its holder a new one: from stock when a
    number is given, else a digital card. The new card points at the old one."""
    old = _card(session, uitpas_number)
    authority.require(authority.can_register(old.region_id), "replace this region's cards")
    if old.holder_id is None:
        raise Conflict("A stock card has no holder to replace it for.", code="invalid-card-status")
    if session.scalar(select(t.Card.id).where(t.Card.replaces_card_id == old.id)) is not None:
        raise Conflict("This card was already replaced.", code="invalid-card-status")
    if old.status is CardStatus.ACTIVE:
        block(session, old.uitpas_number, reason=reason, authority=authority, at=at)
    if new_number is not None:
        new = _card(session, new_number)
        if (
            new.region_id != old.region_id
            or new.holder_id is not None
            or new.status not in (CardStatus.PROVISIONED, CardStatus.LOCAL_STOCK)
        ):
            raise Conflict(
                f"Card {new.uitpas_number} is not free stock of this region.",
                code="invalid-card-status",
            )
        new.holder_id = old.holder_id
        new.status = CardStatus.ACTIVE
        new.issued_at = at
        new.replaces_card_id = old.id
    else:
        while True:
            number = generate_card_number(_system_random)
            if session.scalar(select(t.Card.id).where(t.Card.uitpas_number == number)) is None:
                break
        new = t.Card(
            uitpas_number=number,
            card_type=CardType.DIGITAL,
            status=CardStatus.ACTIVE,
            region_id=old.region_id,
            holder_id=old.holder_id,
            issued_at=at,
            replaces_card_id=old.id,
        )
        session.add(new)
    session.flush()
    record(
        session,
        authority.actor,
        "card.replaced",
        holder_id=old.holder_id,
        subject=f"card:{new.uitpas_number}",
        details={"replaces": old.uitpas_number, "reason": reason},
    )
    return new.uitpas_number
