"""``passengine report``: files that agree with the database to the cent, written whole or not
at all; bad input is one line on stderr."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from passengine.cli import app
from passengine.services.activity_history import HistorySpec, generate_history
from passengine.storage import tables as t
from passengine.storage.db import make_engine, make_sessionmaker, writer
from tests.api import conftest as api_conftest
from tests.cli.test_cli import assert_one_line_error
from tests.conftest import TODAY

demo_template = api_conftest.demo_template
demo_db_url = api_conftest.demo_db_url
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def history_url(demo_db_url: str) -> str:
    engine = make_engine(demo_db_url)
    with make_sessionmaker(writer(engine))() as session:
        generate_history(session, region_id=1, spec=HistorySpec(months=3, seed=7), today=TODAY)
    engine.dispose()
    return demo_db_url


def sql_totals(url: str, start: date, end: date) -> tuple[int, int]:
    """Count and municipal shares of the region's kept sales, straight from the table."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.TicketSale.created_at, t.TicketSale.municipality_cents).where(
                t.TicketSale.region_id == 1, t.TicketSale.cancelled_at.is_(None)
            )
        ).all()
    engine.dispose()
    tz = ZoneInfo("Europe/Brussels")
    kept = [cents for at, cents in rows if start <= at.astimezone(tz).date() <= end]
    return len(kept), sum(kept)


def test_a_settlement_csv_holds_every_sale_of_the_period(history_url: str, tmp_path: Path) -> None:
    out = tmp_path / "oktober.csv"
    code, stdout, stderr = invoke(
        "report", "settlement", "--region", "1", "--from", "2026-10-01", "--to", "2026-10-31",
        "--format", "csv", "--out", str(out), "--database-url", history_url,
    )  # fmt: skip
    assert code == 0, stderr
    assert "Wrote the settlement report" in stdout
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle, delimiter=";"))
    expected_count, expected_municipal = sql_totals(
        history_url, date(2026, 10, 1), date(2026, 10, 31)
    )
    assert expected_count > 0
    assert len(lines) == expected_count
    column = next(k for k in lines[0] if "municipality" in k and "cents" not in k and "nis" not in k
                  and "name" not in k)  # fmt: skip
    total = sum(Decimal(line[column]) for line in lines)
    assert total == Decimal(expected_municipal) / 100
    assert not list(tmp_path.glob(".*.part"))


def test_budgets_and_the_annual_report(history_url: str, tmp_path: Path) -> None:
    budgets = tmp_path / "budgets.json"
    code, _, stderr = invoke(
        "report", "budgets", "--region", "1", "--year", "2026", "--format", "json",
        "--out", str(budgets), "--database-url", history_url,
    )  # fmt: skip
    assert code == 0, stderr
    lines = json.loads(budgets.read_text())["lines"]
    assert sum(line["consumed_cents"] for line in lines) > 0
    pdf = tmp_path / "jaarverslag.pdf"
    code, _, stderr = invoke(
        "report", "annual", "--region", "1", "--year", "2026", "--out", str(pdf),
        "--database-url", history_url,
    )  # fmt: skip
    assert code == 0, stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_input_is_one_line_and_leaves_no_file(demo_db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    out = folder / "x.csv"
    code, _, stderr = invoke(
        "report", "settlement", "--region", "1", "--from", "2026-10-31", "--to", "2026-10-01",
        "--format", "csv", "--out", str(out), "--database-url", demo_db_url,
    )  # fmt: skip
    assert_one_line_error(code, stderr, "ends")
    code, _, stderr = invoke(
        "report", "settlement", "--region", "42", "--from", "2026-10-01", "--to", "2026-10-31",
        "--format", "csv", "--out", str(out), "--database-url", demo_db_url,
    )  # fmt: skip
    assert_one_line_error(code, stderr, "region 42")
    code, _, stderr = invoke(
        "report", "settlement", "--region", "1", "--from", "2026-10-01", "--to", "2026-10-31",
        "--format", "docx", "--out", str(out), "--database-url", demo_db_url,
    )  # fmt: skip
    assert_one_line_error(code, stderr, "csv")
    assert not out.exists()
    assert not list(folder.iterdir())
    engine = make_engine(demo_db_url)
    with engine.connect() as conn:
        audited = conn.scalar(
            select(func.count())
            .select_from(t.AuditEntry)
            .where(t.AuditEntry.action.like("report.%"))
        )
    engine.dispose()
    assert audited == 0
