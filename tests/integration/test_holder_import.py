"""Bulk holder import: all or nothing, with a line number and reason for every refused row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.domain.identifiers import make_insz
from passengine.services.audit import CLI_OPERATOR
from passengine.services.holder_import import (
    CSV_COLUMNS,
    ImportRefused,
    import_csv_file,
    write_csv,
)
from passengine.services.pii import InszVault
from passengine.services.synthetic import Place, generate_holders
from passengine.storage import tables as t
from tests.conftest import TODAY
from tests.factories import make_region

HEADER = ";".join(CSV_COLUMNS)
CARD_A, CARD_B, CARD_C = "4001000000004", "5203000000013", "6100000000010"


def row(card: str, insz: str = "", *, postal: str = "9000", group: str = "", end: str = "") -> str:
    return f"90;{card};;Peeters;Jan;1985-07-30;{insz};Kerkstraat 1;{postal};;;;{group};{end}"


def write(tmp_path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "holders.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(t.PassHolder)) or 0,
        session.scalar(select(func.count()).select_from(t.Card)) or 0,
        session.scalar(select(func.count()).select_from(t.Membership)) or 0,
        session.scalar(select(func.count()).select_from(t.SocialTariffStatusRow)) or 0,
    )


@pytest.fixture
def region(session: Session) -> t.Region:
    region = make_region(session)
    session.commit()
    return region


def run(session: Session, vault: InszVault, path: Path, *, valid_only: bool = False):  # type: ignore[no-untyped-def]
    return import_csv_file(
        session, path, vault=vault, actor=CLI_OPERATOR, today=TODAY, valid_only=valid_only
    )


@pytest.mark.usefixtures("region")
class TestImportCsv:
    def test_imports_holders_with_card_membership_status_and_audit(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        insz = make_insz(date(1985, 7, 30), 33)
        path = write(
            tmp_path,
            HEADER,
            row(CARD_A, insz, group="KANSENSTATUUT", end="2027-04-30"),
            "",
            row(CARD_B),
        )
        report = run(session, vault, path)
        assert (report.imported, report.rejected) == (2, [])
        assert counts(session) == (2, 2, 2, 1)
        holder = session.scalars(
            select(t.PassHolder).where(t.PassHolder.insz_hash.is_not(None))
        ).one()
        assert holder.insz_hash == vault.hash(insz)
        assert holder.insz_encrypted is not None
        assert vault.decrypt(holder.insz_encrypted) == insz
        assert holder.sub_municipality_id is not None  # postal code 9000 → its sub-municipality
        actions = session.scalars(select(t.AuditEntry.action)).all()
        assert actions.count("holder.registered") == 2
        assert "holders.imported" in actions

    @pytest.mark.parametrize(
        ("bad_line", "reason"),
        [
            (row(CARD_C, "85073003329"), "invalid-insz-number"),
            (row("6100000000011"), "check digit"),
            (row(CARD_C, postal="1000"), "unknown postal code 1000"),
            (row(CARD_C, group="KANSENSTATUUT"), "go together"),
            (row(CARD_C, group="SENIOR", end="2027-04-30"), "target group SENIOR"),
            (row(CARD_A), "appears twice"),
            (row(CARD_C).replace("1985-07-30", "1985-02-30"), "birth_date"),
            ("90;" + CARD_C + ";;Peeters", "fields, expected"),
        ],
    )
    def test_a_bad_row_refuses_the_whole_file(
        self, session: Session, vault: InszVault, tmp_path: Path, bad_line: str, reason: str
    ) -> None:
        path = write(tmp_path, HEADER, row(CARD_A), row(CARD_B), bad_line)
        with pytest.raises(ImportRefused) as info:
            run(session, vault, path)
        [error] = info.value.report.rejected
        assert error.line == 4
        assert reason in error.reason
        assert counts(session) == (0, 0, 0, 0)

    def test_duplicate_insz_within_the_file_is_refused(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        insz = make_insz(date(1985, 7, 30), 33)
        path = write(tmp_path, HEADER, row(CARD_A, insz), row(CARD_B, insz))
        with pytest.raises(ImportRefused) as info:
            run(session, vault, path)
        assert [(e.line, "INSZ" in e.reason) for e in info.value.report.rejected] == [(3, True)]
        assert counts(session) == (0, 0, 0, 0)

    def test_a_holder_already_in_the_database_is_refused(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        insz = make_insz(date(1985, 7, 30), 33)
        run(session, vault, write(tmp_path, HEADER, row(CARD_A, insz)))
        with pytest.raises(ImportRefused) as info:
            run(session, vault, write(tmp_path, HEADER, row(CARD_B, insz)))
        assert "already registered" in info.value.report.rejected[0].reason
        assert counts(session)[0] == 1

    def test_wrong_encoding_is_reported_with_its_line(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        path = write(tmp_path, HEADER, row(CARD_A).replace("Peeters", "Çelik"), encoding="latin-1")
        with pytest.raises(ImportRefused) as info:
            run(session, vault, path)
        assert [e.line for e in info.value.report.rejected] == [2]
        assert "UTF-8" in info.value.report.rejected[0].reason
        assert counts(session) == (0, 0, 0, 0)

    def test_a_utf8_bom_and_names_with_diacritics_are_fine(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        path = tmp_path / "bom.csv"
        path.write_bytes(
            ("\ufeff" + HEADER + "\n" + row(CARD_A).replace("Jan", "Ngọc") + "\n").encode()
        )
        assert run(session, vault, path).imported == 1
        assert session.scalars(select(t.PassHolder.first_name)).one() == "Ngọc"

    def test_a_bad_header_is_refused(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "region;card;name", row(CARD_A))
        with pytest.raises(ImportRefused) as info:
            run(session, vault, path)
        assert "bad header" in info.value.report.rejected[0].reason

    def test_valid_only_imports_the_good_rows_and_reports_the_rest(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        path = write(
            tmp_path, HEADER, row(CARD_A), row("6100000000011"), row(CARD_B, postal="1000")
        )
        report = run(session, vault, path, valid_only=True)
        assert report.imported == 1
        assert [e.line for e in report.rejected] == [3, 4]
        assert counts(session)[0] == 1


@pytest.mark.usefixtures("region")
class TestGeneratedHolders:
    def test_ten_thousand_synthetic_holders_round_trip_through_csv(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        places = [Place("9000", "Deel 9000", ("Veldstraat",)), Place("9030", None, ())]
        path = tmp_path / "gen.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            written = write_csv(
                generate_holders(region_id=90, places=places, count=10_000, seed=3, today=TODAY),
                handle,
            )
        assert written == 10_000
        report = run(session, vault, path)
        assert report.imported == 10_000
        holders, cards, memberships, statuses = counts(session)
        assert holders == cards == memberships == 10_000
        assert 3_000 < statuses < 5_000  # about 40 % hold a status


@pytest.mark.usefixtures("region")
class TestLargeRefusedFile:
    def test_a_bad_last_row_of_100_000_leaves_the_database_unchanged(
        self, session: Session, vault: InszVault, tmp_path: Path
    ) -> None:
        places = [Place("9000", "Deel 9000", ("Veldstraat",))]
        path = tmp_path / "large.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            write_csv(
                generate_holders(region_id=90, places=places, count=99_999, seed=5, today=TODAY),
                handle,
            )
            handle.write(row(CARD_A, "85073003329") + "\n")  # line 100,001: a bad INSZ
        with pytest.raises(ImportRefused) as info:
            run(session, vault, path)
        assert [e.line for e in info.value.report.rejected] == [100_001]
        assert counts(session) == (0, 0, 0, 0)
