"""Bulk registration of holders with their card, membership and status (CSV, fixtures, benchmarks).

One pass over the input inside one transaction: every row is validated; valid rows are written in
batches with Core ``executemany`` (an ORM unit of work would be 5–10× slower at a million rows);
at the end, if any row was rejected, the whole transaction is rolled back unless the caller asked
for the valid rows only. So a refused file never leaves half its rows behind.

CSV layout (UTF-8, ``;``-separated as Belgian spreadsheets export it, header required)::

    region_id;uitpas_number;chip_number;name;first_name;birth_date;insz;street;postal_code;
    sub_municipality;email;phone;target_group;status_end_date
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passengine.domain.errors import (
    Conflict,
    InvalidCardNumber,
    InvalidChipNumber,
    InvalidInput,
    InvalidInsz,
)
from passengine.domain.identifiers import (
    normalise_chip_number,
    validate_card_number,
    validate_insz,
)
from passengine.domain.model import CardStatus, CardType, MembershipStatus
from passengine.services.audit import Actor, record
from passengine.services.pii import InszVault
from passengine.storage.base import Base, utcnow
from passengine.storage.tables import (
    AuditEntry,
    Card,
    Membership,
    PassHolder,
    PostalCode,
    Region,
    SocialTariffStatusRow,
    SubMunicipality,
    TargetGroup,
)

CSV_COLUMNS = (
    "region_id",
    "uitpas_number",
    "chip_number",
    "name",
    "first_name",
    "birth_date",
    "insz",
    "street",
    "postal_code",
    "sub_municipality",
    "email",
    "phone",
    "target_group",
    "status_end_date",
)
REQUIRED_COLUMNS = ("region_id", "uitpas_number", "name", "first_name", "birth_date", "postal_code")
BATCH_SIZE = 2000
MAX_FIELD_LENGTH = 200


@dataclass(frozen=True, slots=True)
class HolderRow:
    """A holder to register, already validated for form (not yet against the database)."""

    line: int
    region_id: int
    uitpas_number: str
    name: str
    first_name: str
    birth_date: date
    postal_code: str
    chip_number: str | None = None
    insz: str | None = None
    street: str | None = None
    sub_municipality: str | None = None
    email: str | None = None
    phone: str | None = None
    target_group: str | None = None
    status_end_date: date | None = None
    status_start_date: date | None = None
    grace_period_days: int | None = None
    card_status: CardStatus = CardStatus.ACTIVE
    points: int = 0
    holder_id: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected


class ImportRefused(InvalidInput):
    """The file had invalid rows, so nothing was written."""

    code = "import-refused"

    def __init__(self, report: ImportReport) -> None:
        first = report.rejected[0]
        more = len(report.rejected) - 1
        suffix = f" (and {more} more rejected rows)" if more else ""
        super().__init__(f"Nothing imported: {first}{suffix}.", rejected=len(report.rejected))
        self.report = report


# --- Parsing -------------------------------------------------------------------------------------
def _decoded_lines(raw: Iterable[bytes], errors: list[RowError]) -> Iterator[str]:
    for number, chunk in enumerate(raw, start=1):
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(RowError(number, "not UTF-8 text (save the file as CSV UTF-8)"))
            yield "\n"  # keep the line numbering of the csv reader in step
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield text


def _parse_date(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{column} {value!r} is not a date (YYYY-MM-DD)") from None


def parse_row(line: int, values: dict[str, str]) -> HolderRow:
    """Validate one CSV row's form; raises InvalidInput with a reason a person can act on."""
    for column in REQUIRED_COLUMNS:
        if not values.get(column, "").strip():
            raise InvalidInput(f"{column} is empty")
    for column, value in values.items():
        if len(value) > MAX_FIELD_LENGTH:
            raise InvalidInput(f"{column} is longer than {MAX_FIELD_LENGTH} characters")
    cleaned = {k: v.strip() or None for k, v in values.items()}
    try:
        region_id = int(values["region_id"])
    except ValueError:
        raise InvalidInput(f"region_id {values['region_id']!r} is not a number") from None
    postal_code = values["postal_code"].strip()
    if len(postal_code) != 4 or not postal_code.isascii() or not postal_code.isdigit():
        raise InvalidInput(f"postal_code {postal_code!r} is not a Belgian postal code")
    birth_date = _parse_date(values["birth_date"].strip(), "birth_date")
    end_raw = cleaned.get("status_end_date")
    target_group = cleaned.get("target_group")
    if bool(end_raw) != bool(target_group):
        raise InvalidInput("target_group and status_end_date go together")
    chip = cleaned.get("chip_number")
    insz = cleaned.get("insz")
    return HolderRow(
        line=line,
        region_id=region_id,
        uitpas_number=validate_card_number(values["uitpas_number"]),
        chip_number=normalise_chip_number(chip) if chip else None,
        name=values["name"].strip(),
        first_name=values["first_name"].strip(),
        birth_date=birth_date,
        insz=validate_insz(insz) if insz else None,
        street=cleaned.get("street"),
        postal_code=postal_code,
        sub_municipality=cleaned.get("sub_municipality"),
        email=cleaned.get("email"),
        phone=cleaned.get("phone"),
        target_group=target_group,
        status_end_date=_parse_date(end_raw, "status_end_date") if end_raw else None,
    )


def read_csv(raw: Iterable[bytes], errors: list[RowError]) -> Iterator[HolderRow]:
    """Yield the valid rows; append a RowError for each invalid one (with its line number)."""
    reader = csv.reader(_decoded_lines(raw, errors), delimiter=";")
    header = next(reader, None)
    if header is None:
        errors.append(RowError(1, "the file is empty"))
        return
    header = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing columns {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown columns {', '.join(unknown)}")
        errors.append(RowError(1, "bad header: " + "; ".join(parts)))
        return
    try:
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue  # empty lines are allowed
            if len(values) != len(header):
                errors.append(RowError(line, f"{len(values)} fields, expected {len(header)}"))
                continue
            try:
                yield parse_row(line, dict(zip(header, values, strict=True)))
            except (InvalidCardNumber, InvalidChipNumber, InvalidInsz) as exc:
                errors.append(RowError(line, f"{exc.code}: {exc.message}"))
            except InvalidInput as exc:
                errors.append(RowError(line, exc.message))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, f"malformed CSV: {exc}"))


def write_csv(rows: Iterable[HolderRow], out: TextIO) -> int:
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for r in rows:
        writer.writerow(
            [
                r.region_id,
                r.uitpas_number,
                r.chip_number or "",
                r.name,
                r.first_name,
                r.birth_date.isoformat(),
                r.insz or "",
                r.street or "",
                r.postal_code,
                r.sub_municipality or "",
                r.email or "",
                r.phone or "",
                r.target_group or "",
                r.status_end_date.isoformat() if r.status_end_date else "",
            ]
        )
        count += 1
    return count


# --- Writing -------------------------------------------------------------------------------------
@dataclass
class _Lookups:
    """Reference data loaded once per import, so a row costs no extra queries."""

    regions: dict[int, str]
    postal: dict[str, str]
    sub_by_name: dict[tuple[str, str], int]
    sub_by_postal: dict[str, int]
    target_groups: dict[tuple[int, str], tuple[int, int]]

    @classmethod
    def load(cls, session: Session) -> _Lookups:
        regions = {r.id: r.timezone for r in session.execute(select(Region.id, Region.timezone))}
        postal: dict[str, str] = {}
        for code, nis in session.execute(select(PostalCode.postal_code, PostalCode.nis_code)):
            postal.setdefault(code, nis)
        sub_by_name: dict[tuple[str, str], int] = {}
        postal_subs: dict[str, list[int]] = {}
        for sub_id, sub_nis, name, sub_code in session.execute(
            select(
                SubMunicipality.id,
                SubMunicipality.nis_code,
                SubMunicipality.name,
                SubMunicipality.postal_code,
            )
        ):
            sub_by_name[(sub_nis, name.casefold())] = sub_id
            if sub_code:
                postal_subs.setdefault(sub_code, []).append(sub_id)
        # A postal code that covers exactly one sub-municipality tells us which one it is.
        sub_by_postal = {code: ids[0] for code, ids in postal_subs.items() if len(ids) == 1}
        groups = {
            (region, code): (group_id, grace)
            for group_id, region, code, grace in session.execute(
                select(
                    TargetGroup.id,
                    TargetGroup.region_id,
                    TargetGroup.code,
                    TargetGroup.default_grace_period_days,
                )
            )
        }
        return cls(regions, postal, sub_by_name, sub_by_postal, groups)


class HolderWriter:
    """Buffers validated rows and writes them in batches within the caller's transaction."""

    def __init__(
        self,
        session: Session,
        vault: InszVault,
        *,
        actor: Actor,
        today: date,
        id_factory: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._session = session
        self._vault = vault
        self._actor = actor
        self._today = today
        self._new_id = id_factory
        self._lookups = _Lookups.load(session)
        self._buffer: list[tuple[HolderRow, str, str | None]] = []
        self._seen_cards: set[str] = set()
        self._seen_chips: set[str] = set()
        self._seen_insz: set[str] = set()
        self.written = 0
        self.discarding = False
        """Set after the first refused row of an all-or-nothing import: check on, write no more."""
        self.holder_ids: dict[int, str] = {}
        """Line → holder id of every row written (fixtures link households through it)."""

    def add(self, row: HolderRow) -> RowError | None:
        """Check the row against reference data and earlier rows; buffer it if it is fine."""
        error = self._check(row)
        if error:
            return error
        insz_hash = self._vault.hash_valid(row.insz) if row.insz else None
        if insz_hash is not None:
            if insz_hash in self._seen_insz:
                return RowError(row.line, "this INSZ number appears twice in the file")
            self._seen_insz.add(insz_hash)
        if row.uitpas_number in self._seen_cards:
            return RowError(row.line, "this card number appears twice in the file")
        self._seen_cards.add(row.uitpas_number)
        if row.chip_number:
            if row.chip_number in self._seen_chips:
                return RowError(row.line, "this chip number appears twice in the file")
            self._seen_chips.add(row.chip_number)
        nis = self._lookups.postal[row.postal_code]
        self._buffer.append((row, nis, insz_hash))
        if len(self._buffer) >= BATCH_SIZE:
            return self._flush_checked()
        return None

    def _check(self, row: HolderRow) -> RowError | None:
        if row.region_id not in self._lookups.regions:
            return RowError(row.line, f"unknown region {row.region_id}")
        if row.postal_code not in self._lookups.postal:
            return RowError(row.line, f"unknown postal code {row.postal_code}")
        if row.birth_date > self._today:
            return RowError(row.line, "birth_date lies in the future")
        if (
            row.target_group
            and (row.region_id, row.target_group) not in self._lookups.target_groups
        ):
            return RowError(
                row.line,
                f"target group {row.target_group} does not exist in region {row.region_id}",
            )
        return None

    def finish(self) -> RowError | None:
        return self._flush_checked()

    def _flush_checked(self) -> RowError | None:
        """Refuse the batch if a card, chip or INSZ already exists in the database."""
        if not self._buffer:
            return None
        rows = self._buffer
        cards = [r.uitpas_number for r, _, _ in rows]
        taken = set(
            self._session.scalars(select(Card.uitpas_number).where(Card.uitpas_number.in_(cards)))
        )
        hashes = [h for _, _, h in rows if h]
        taken_insz = (
            set(
                self._session.scalars(
                    select(PassHolder.insz_hash).where(PassHolder.insz_hash.in_(hashes))
                )
            )
            if hashes
            else set()
        )
        chips = [r.chip_number for r, _, _ in rows if r.chip_number]
        taken_chips = (
            set(self._session.scalars(select(Card.chip_number).where(Card.chip_number.in_(chips))))
            if chips
            else set()
        )
        for row, _, insz_hash in rows:
            if row.uitpas_number in taken:
                self._buffer = []
                return RowError(row.line, f"card {row.uitpas_number} already exists")
            if insz_hash in taken_insz:
                self._buffer = []
                return RowError(row.line, "a holder with this INSZ number is already registered")
            if row.chip_number in taken_chips:
                self._buffer = []
                return RowError(row.line, f"chip {row.chip_number} already exists")
        self._write(rows)
        self._buffer = []
        return None

    def _write(self, batch: list[tuple[HolderRow, str, str | None]]) -> None:
        if self.discarding:
            return
        now = utcnow()
        lk = self._lookups
        holders: list[dict[str, Any]] = []
        for row, nis, insz_hash in batch:
            holder_id = row.holder_id or self._new_id()
            self.holder_ids[row.line] = holder_id
            sub_id = None
            if row.sub_municipality:
                sub_id = lk.sub_by_name.get((nis, row.sub_municipality.casefold()))
            if sub_id is None:
                sub_id = lk.sub_by_postal.get(row.postal_code)
            holders.append(
                {
                    "id": holder_id,
                    "name": row.name,
                    "first_name": row.first_name,
                    "birth_date": row.birth_date,
                    "street": row.street,
                    "postal_code": row.postal_code,
                    "nis_code": nis,
                    "sub_municipality_id": sub_id,
                    "email": row.email,
                    "phone": row.phone,
                    "insz_hash": insz_hash,
                    "insz_encrypted": self._vault.encrypt(row.insz) if row.insz else None,
                    "points": row.points,
                    "created_at": now,
                }
            )
        self._session.execute(_core(PassHolder).insert(), holders)
        membership_ids = self._session.scalars(
            _core(Membership)
            .insert()
            .returning(_core(Membership).c.id, sort_by_parameter_order=True),
            [
                {
                    "holder_id": h["id"],
                    "region_id": row.region_id,
                    "status": MembershipStatus.ACTIVE,
                    "created_at": now,
                }
                for (row, _, _), h in zip(batch, holders, strict=True)
            ],
        ).all()
        self._session.execute(
            _core(Card).insert(),
            [
                {
                    "uitpas_number": row.uitpas_number,
                    "chip_number": row.chip_number,
                    "card_type": CardType.NFC_CARD if row.chip_number else CardType.DIGITAL,
                    "status": row.card_status,
                    "region_id": row.region_id,
                    "holder_id": h["id"],
                    "issued_at": now,
                    "blocked_at": now if row.card_status is CardStatus.BLOCKED else None,
                    "block_reason": "LOST" if row.card_status is CardStatus.BLOCKED else None,
                }
                for (row, _, _), h in zip(batch, holders, strict=True)
            ],
        )
        statuses = []
        audits = []
        for (row, _, _), h, membership_id in zip(batch, holders, membership_ids, strict=True):
            details: dict[str, Any] = {"region_id": row.region_id, "import_line": row.line}
            if row.target_group and row.status_end_date:
                group_id, default_grace = lk.target_groups[(row.region_id, row.target_group)]
                start = row.status_start_date or min(self._today, row.status_end_date)
                statuses.append(
                    {
                        "membership_id": membership_id,
                        "target_group_id": group_id,
                        "start_date": start,
                        "end_date": row.status_end_date,
                        "grace_period_days": (
                            default_grace
                            if row.grace_period_days is None
                            else row.grace_period_days
                        ),
                        "granted_at": now,
                    }
                )
                details["status"] = {
                    "target_group": row.target_group,
                    "end_date": row.status_end_date.isoformat(),
                }
            audits.append(
                {
                    "at": now,
                    "actor_client_id": self._actor.client_id,
                    "actor_desk_id": self._actor.desk_id,
                    "actor_label": self._actor.label,
                    "action": "holder.registered",
                    "holder_id": h["id"],
                    "subject": f"card:{row.uitpas_number}",
                    "details": details,
                }
            )
        if statuses:
            self._session.execute(_core(SocialTariffStatusRow).insert(), statuses)
        self._session.execute(_core(AuditEntry).insert(), audits)
        self.written += len(batch)


def _core(model: type[Base]) -> Table:
    """The Core table of a model: one ``executemany`` per batch, no ORM bulk bookkeeping
    (which split a 2,000-row batch into hundreds of statements)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def import_holders(
    session: Session,
    rows: Iterable[HolderRow],
    *,
    vault: InszVault,
    actor: Actor,
    today: date,
    parse_errors: list[RowError] | None = None,
    valid_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Register the rows in one transaction; refuse them all if any is invalid (unless
    ``valid_only``). ``parse_errors`` is filled by the reader while ``rows`` is consumed."""
    errors = parse_errors if parse_errors is not None else []
    report = ImportReport()
    with session.begin():
        writer = HolderWriter(session, vault, actor=actor, today=today)
        try:
            for row in rows:
                error = writer.add(row)
                if error:
                    errors.append(error)
                if errors and not valid_only:
                    writer.discarding = True
                if progress:
                    progress(row.line)
            error = writer.finish()
        except IntegrityError as exc:  # a concurrent writer took a card number or INSZ first
            raise Conflict(
                "Another import registered some of these cards or people at the same "
                "time; nothing was imported. Try again."
            ) from exc
        if error:
            errors.append(error)
        report.rejected = sorted(errors, key=lambda e: e.line)
        if report.rejected and not valid_only:
            raise ImportRefused(report)  # leaving the block rolls everything back
        report.imported = writer.written
        record(
            session,
            actor,
            "holders.imported",
            details={"imported": report.imported, "rejected": len(report.rejected)},
        )
    report.committed = True
    return report


def import_csv_file(
    session: Session,
    path: Path,
    *,
    vault: InszVault,
    actor: Actor,
    today: date,
    valid_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    errors: list[RowError] = []
    with path.open("rb") as raw:
        return import_holders(
            session,
            read_csv(raw, errors),
            vault=vault,
            actor=actor,
            today=today,
            parse_errors=errors,
            valid_only=valid_only,
            progress=progress,
        )
