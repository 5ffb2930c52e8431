"""``passengine cards print``: a PDF of the right cards, marked printed only once it is complete;
bad input is one line on stderr and marks nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cardprint import write_cards
from cardprint.fonts import DEFAULT_FONT_DIR
from passengine.cli import app
from passengine.domain.model import CardStatus
from passengine.storage import tables as t
from passengine.storage.db import make_engine
from tests.api import conftest as api_conftest
from tests.cli.test_cli import assert_one_line_error

# The demo database of the API tests (all three regions, copied fresh for each test).
demo_template = api_conftest.demo_template
demo_db_url = api_conftest.demo_db_url

pytestmark = pytest.mark.skipif(
    not (DEFAULT_FONT_DIR / "DejaVuSans.ttf").is_file(),
    reason="needs fonts-dejavu-core (apt-get install fonts-dejavu-core; .ci/run installs it)",
)
runner = CliRunner()
MAASLAND = 1
DEMO_NUMBERS = ("6451620999770", "2340804679577", "2854686297092")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def page_count(pdf: bytes) -> int:
    match = re.search(rb"2 0 obj\n<< /Type /Pages /Count (\d+)", pdf)
    assert match is not None
    return int(match.group(1))


def scalar(url: str, statement: Any) -> Any:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(statement)
    finally:
        engine.dispose()


def printed(url: str) -> int:
    return int(
        scalar(url, select(func.count()).select_from(t.Card).where(t.Card.printed_at.is_not(None)))
    )


def cards_in(url: str, status: CardStatus) -> int:
    return int(
        scalar(
            url,
            select(func.count())
            .select_from(t.Card)
            .where(t.Card.region_id == MAASLAND, t.Card.status == status),
        )
    )


def print_audits(url: str) -> list[dict[str, Any]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                dict(row)
                for row in conn.scalars(
                    select(t.AuditEntry.details).where(t.AuditEntry.action == "cards.printed")
                )
            ]
    finally:
        engine.dispose()


class TestCardsPrint:
    def test_prints_the_regions_stock_and_marks_it_printed(
        self, demo_db_url: str, tmp_path: Path
    ) -> None:
        out = tmp_path / "stock.pdf"
        stock = cards_in(demo_db_url, CardStatus.LOCAL_STOCK)
        assert stock > 0
        code, stdout, stderr = invoke(
            "cards", "print", "--region", "1", "--status", "local_stock",
            "--out", str(out), "--database-url", demo_db_url,
        )  # fmt: skip
        assert code == 0, stderr
        assert f"Printed {stock} cards" in stdout
        pdf = out.read_bytes()
        assert pdf.startswith(b"%PDF-")
        assert page_count(pdf) == 2 * stock  # a front and a back page per card
        assert printed(demo_db_url) == stock
        assert print_audits(demo_db_url) == [
            {
                "count": stock,
                "pages": 2 * stock,
                "sheet": "CR80",
                "status": "LOCAL_STOCK",
                "numbers": None,
                "reprint": False,
                "file": "stock.pdf",
            }
        ]
        assert not list(tmp_path.glob(".*.part"))  # no temporary file left behind

    def test_a_second_run_skips_printed_cards_unless_asked_to_reprint(
        self, demo_db_url: str, tmp_path: Path
    ) -> None:
        out = str(tmp_path / "active.pdf")
        args = ("cards", "print", "--region", "1", "--status", "ACTIVE", "--out", out)
        assert invoke(*args, "--database-url", demo_db_url)[0] == 0
        code, _, stderr = invoke(*args, "--database-url", demo_db_url)
        assert_one_line_error(code, stderr, "no ACTIVE cards that were not printed before")
        code, _, stderr = invoke(*args, "--reprint", "--database-url", demo_db_url)
        assert code == 0, stderr

    def test_a_list_of_numbers_on_a4_sheets(self, demo_db_url: str, tmp_path: Path) -> None:
        numbers = tmp_path / "numbers.txt"
        numbers.write_text("\n".join(DEMO_NUMBERS) + "\n", encoding="utf-8")
        out = tmp_path / "sheet.pdf"
        code, _, stderr = invoke(
            "cards", "print", "--numbers", str(numbers), "--sheet", "A4",
            "--out", str(out), "--database-url", demo_db_url,
        )  # fmt: skip
        assert code == 0, stderr
        assert page_count(out.read_bytes()) == 2  # one sheet of fronts, one of backs
        assert printed(demo_db_url) == 3

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            (("--region", "99", "--status", "ACTIVE"), "No region 99"),
            (("--region", "1", "--status", "BLOCKED"), "Cannot print cards in status 'BLOCKED'"),
            (("--region", "1", "--status", "SHINY"), "Cannot print cards in status 'SHINY'"),
            (("--region", "1"), "--region and --status, or --numbers"),
            (("--numbers", "6451620999771"), "6451620999771: The card number's check digit"),
            (("--numbers", "1287327660059"), "check digit"),
            (("--numbers", "9609790229107"), "is BLOCKED"),
            (("--numbers", "6451620999770,3249047387477"), "print the cards of each region"),
            (("--numbers", "6451620999770", "--region", "2"), "belongs to region 1, not 2"),
            (("--numbers", "6451620999770", "--status", "ACTIVE"), "not both"),
            (("--region", "1", "--status", "ACTIVE", "--sheet", "A5"), "--sheet must be CR80"),
        ],
    )
    def test_bad_input_is_one_line_and_marks_nothing(
        self, demo_db_url: str, tmp_path: Path, args: tuple[str, ...], fragment: str
    ) -> None:
        out = tmp_path / "cards.pdf"
        code, _, stderr = invoke(
            "cards", "print", *args, "--out", str(out), "--database-url", demo_db_url
        )
        assert_one_line_error(code, stderr, fragment)
        assert not out.exists()
        assert printed(demo_db_url) == 0

    def test_an_output_directory_that_does_not_exist(
        self, demo_db_url: str, tmp_path: Path
    ) -> None:
        out = tmp_path / "nowhere" / "cards.pdf"
        code, _, stderr = invoke(
            "cards", "print", "--region", "1", "--status", "ACTIVE",
            "--out", str(out), "--database-url", demo_db_url,
        )  # fmt: skip
        assert_one_line_error(code, stderr, "no such directory")
        assert printed(demo_db_url) == 0

    def test_a_failure_while_writing_leaves_no_file_and_no_card_marked(
        self, demo_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def disk_full(cards: Any, layout: Any, out: BinaryIO, **kwargs: Any) -> Any:
            def some_then_fail() -> Any:
                for index, card in enumerate(cards):
                    if index == 120:
                        raise OSError(28, "No space left on device")
                    yield card

            return write_cards(some_then_fail(), layout, out, chunk_size=50, **kwargs)

        monkeypatch.setattr("passengine.services.card_printing.write_cards", disk_full)
        out = tmp_path / "cards.pdf"
        code, _, stderr = invoke(
            "cards", "print", "--region", "1", "--status", "ACTIVE",
            "--out", str(out), "--database-url", demo_db_url,
        )  # fmt: skip
        assert code == 1
        # The progress bar had started: the error is the last line.
        assert stderr.strip().splitlines()[-1] == "error: [Errno 28] No space left on device"
        assert not out.exists()
        assert not list(tmp_path.glob(".*.part"))  # nor its temporary file
        assert printed(demo_db_url) == 0
        assert print_audits(demo_db_url) == []
