"""The CLI: clear one-line errors and non-zero exits for bad input, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from passengine.cli import app
from passengine.services.holder_import import CSV_COLUMNS
from passengine.storage import tables as t
from passengine.storage.base import Base
from passengine.storage.db import make_engine
from tests.conftest import MAASMECHELEN, REGION_DIRS

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def count(url: str, table: type[Base]) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(table)) or 0
    finally:
        engine.dispose()


def assert_one_line_error(code: int, stderr: str, fragment: str) -> None:
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.startswith("error: ")
    assert fragment in stderr
    assert len(stderr.strip().splitlines()) == 1


class TestDbUpgrade:
    def test_builds_the_schema(self, fresh_db_url: str) -> None:
        code, out, _ = invoke("db", "upgrade", "--database-url", fresh_db_url)
        assert code == 0, out
        engine = make_engine(fresh_db_url)
        assert "pass_holders" in inspect(engine).get_table_names()
        engine.dispose()

    @pytest.mark.parametrize(
        ("url", "fragment"),
        [
            ("not a url", "Not a database URL"),
            ("mysql://root@localhost/x", "Unsupported database 'mysql'"),
            ("postgresql+psycopg://nobody@127.0.0.1:1/nowhere", "cannot use the database"),
            ("sqlite:////no/such/dir/x.db", "cannot use the database"),
        ],
    )
    def test_a_bad_database_url_is_one_clear_line(self, url: str, fragment: str) -> None:
        code, _, err = invoke("db", "upgrade", "--database-url", url)
        assert_one_line_error(code, err, fragment)


class TestFixturesLoad:
    def test_an_unknown_file_is_one_clear_line(self, migrated_db_url: str, tmp_path: Path) -> None:
        code, _, err = invoke(
            "fixtures", "load", str(tmp_path / "nope.toml"), "--database-url", migrated_db_url
        )
        assert_one_line_error(code, err, "no such file or directory")

    def test_a_malformed_region_file_names_the_field_and_writes_nothing(
        self, migrated_db_url: str, tmp_path: Path
    ) -> None:
        broken = tmp_path / "region.toml"
        text = (REGION_DIRS[0] / "region.toml").read_text(encoding="utf-8")
        broken.write_text(text.replace('timezone = "Europe/Brussels"', "timezone = 12", 1))
        code, _, err = invoke("fixtures", "load", str(broken), "--database-url", migrated_db_url)
        assert_one_line_error(code, err, "region.timezone")
        assert count(migrated_db_url, t.Region) == 0

    def test_loads_a_region_then_refuses_to_load_it_twice(self, migrated_db_url: str) -> None:
        region = str(REGION_DIRS[0])
        code, out, err = invoke("fixtures", "load", region, "--database-url", migrated_db_url)
        assert code == 0, err
        assert "Loaded region" in out
        holders = count(migrated_db_url, t.PassHolder)
        assert holders > 0
        code, _, err = invoke("fixtures", "load", region, "--database-url", migrated_db_url)
        assert_one_line_error(code, err, "already loaded")
        assert count(migrated_db_url, t.PassHolder) == holders

    def test_a_malformed_csv_row_is_reported_and_nothing_is_written(
        self, migrated_db_url: str, tmp_path: Path
    ) -> None:
        assert (
            invoke("fixtures", "load", str(MAASMECHELEN), "--database-url", migrated_db_url)[0] == 0
        )
        before = count(migrated_db_url, t.PassHolder)
        csv_file = tmp_path / "holders.csv"
        good = "1;4001000000004;;Peeters;Jan;1985-07-30;;Kerkstraat 1;3630;;;;;"
        bad = "1;4001000000005;;Peeters;Jan;1985-07-30;;Kerkstraat 1;3630;;;;;"
        csv_file.write_text("\n".join([";".join(CSV_COLUMNS), good, bad]) + "\n", encoding="utf-8")
        result = runner.invoke(
            app, ["fixtures", "load", str(csv_file), "--database-url", migrated_db_url]
        )
        assert result.exit_code == 1
        assert "Traceback" not in result.stderr
        assert "line 3: invalid-uitpas-number" in result.stderr
        assert "line 2" not in result.stderr  # the good row was fine; only line 3 refused
        assert "error: Nothing imported" in result.stderr
        assert count(migrated_db_url, t.PassHolder) == before


class TestFixturesGenerate:
    def test_writes_a_csv_that_loads(self, migrated_db_url: str, tmp_path: Path) -> None:
        out = tmp_path / "gen.csv"
        code, _, err = invoke(
            "fixtures",
            "generate",
            "--region",
            str(MAASMECHELEN),
            "--count",
            "500",
            "--out",
            str(out),
        )
        assert code == 0, err
        assert len(out.read_text(encoding="utf-8").splitlines()) == 501
        assert (
            invoke("fixtures", "load", str(MAASMECHELEN), "--database-url", migrated_db_url)[0] == 0
        )
        before = count(migrated_db_url, t.PassHolder)
        code, _, err = invoke("fixtures", "load", str(out), "--database-url", migrated_db_url)
        assert code == 0, err
        assert count(migrated_db_url, t.PassHolder) == before + 500


class TestDemo:
    def test_creates_a_fresh_database_and_prints_cards_and_credentials(
        self, tmp_path: Path
    ) -> None:
        database = tmp_path / "demo.db"
        code, out, err = invoke("demo", "--database", str(database), "--no-serve")
        assert code == 0, err
        assert "demo-desk-maasmechelen" in out
        assert "demo-desk-secret" in out
        url = f"sqlite:///{database}"
        assert count(url, t.Region) == len(REGION_DIRS) == 3
        # Every region gets its past: one line each, and sales and check-ins in the database.
        assert out.count("History of region") == 3
        sales = count(url, t.TicketSale)
        assert sales > 0
        assert count(url, t.Checkin) > 0
        # Run again: the database is recreated, not appended to.
        assert invoke("demo", "--database", str(database), "--no-serve")[0] == 0
        assert count(url, t.Region) == 3
        assert count(url, t.TicketSale) == sales
