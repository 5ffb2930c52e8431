"""``passengine config`` on a demo region (Maasland, region 1): tariffs, card prices,
municipalities and API clients, each change audited as the CLI operator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from passengine.cli import app
from passengine.services.credentials import verify_secret
from passengine.storage import tables as t
from passengine.storage.db import make_engine
from tests.conftest import MAASMECHELEN

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, stderr: str, fragment: str) -> None:
    assert code == 1
    assert "Traceback" not in stderr
    assert stderr.startswith("error: "), stderr
    assert fragment in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


@pytest.fixture
def url(migrated_db_url: str) -> str:
    code, _, err = run("fixtures", "load", str(MAASMECHELEN), "--database-url", migrated_db_url)
    assert code == 0, err
    return migrated_db_url


@pytest.fixture
def db(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    yield engine
    engine.dispose()


def cli_audit(db: Engine, action: str) -> list[t.AuditEntry]:
    with db.connect() as conn:
        rows = conn.execute(select(t.AuditEntry).where(t.AuditEntry.action == action)).all()
    return [t.AuditEntry(**row._mapping) for row in rows]


class TestTariffs:
    def test_show_then_set_round_trips_a_new_version(
        self, url: str, db: Engine, tmp_path: Path
    ) -> None:
        code, out, err = run("config", "tariffs", "show", "--region", "1", "--database-url", url)
        assert code == 0, err
        assert "version 1" in err
        document = json.loads(out)
        assert document["rules"][0]["id"] == "kansentarief"
        document["rules"][0]["minimum_price_cents"] = 150
        file = tmp_path / "tariffs.json"
        file.write_text(json.dumps(document), encoding="utf-8")
        code, out, err = run(
            "config", "tariffs", "set", str(file), "--region", "1", "--database-url", url
        )
        assert code == 0, err
        assert "Saved version 2" in out
        [entry] = [e for e in cli_audit(db, "tariff_config.changed") if e.details["version"] == 2]
        assert entry.actor_label == "cli"

    def test_an_invalid_document_lists_its_issues_and_saves_nothing(
        self, url: str, db: Engine, tmp_path: Path
    ) -> None:
        file = tmp_path / "tariffs.toml"
        file.write_text('[[rules]]\nid = "x"\npriority = -1\n', encoding="utf-8")
        code, _, err = run(
            "config", "tariffs", "set", str(file), "--region", "1", "--database-url", url
        )
        assert code == 1
        assert "Traceback" not in err
        assert "rules.0.priority" in err
        assert err.strip().splitlines()[-1].startswith("error: ")
        with db.connect() as conn:
            versions = conn.scalars(select(t.TariffConfigRow.version)).all()
        assert max(versions) == 1

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            (("show", "--region", "9"), "Region 9 does not exist"),
            (("show", "--region", "1", "--version", "7"), "no version 7"),
            (("set", "/no/such.json", "--region", "1"), "no such file"),
        ],
    )
    def test_errors_are_one_line(self, url: str, args: tuple[str, ...], fragment: str) -> None:
        code, _, err = run("config", "tariffs", *args, "--database-url", url)
        assert_one_line_error(code, err, fragment)

    def test_a_file_that_is_not_json_is_one_line(self, url: str, tmp_path: Path) -> None:
        file = tmp_path / "tariffs.json"
        file.write_text("{not json", encoding="utf-8")
        code, _, err = run(
            "config", "tariffs", "set", str(file), "--region", "1", "--database-url", url
        )
        assert_one_line_error(code, err, "not valid json")


class TestClients:
    def test_create_prints_the_secret_once_and_stores_its_hash(self, url: str, db: Engine) -> None:
        code, out, err = run(
            "config", "clients", "create", "kiosk-bib",
            "--name", "Kiosk bibliotheek", "--role", "DESK", "--region", "1",
            "--organizer", "org-bib-lanaken", "--permission", "PASSES_READ",
            "--permission", "CHECKINS_WRITE", "--database-url", url,
        )  # fmt: skip
        assert code == 0, err
        secret = out.strip().splitlines()[-1]
        with db.connect() as conn:
            stored = conn.scalar(
                select(t.ApiClient.secret_hash).where(t.ApiClient.client_id == "kiosk-bib")
            )
        assert verify_secret(secret, str(stored))
        assert cli_audit(db, "config.client.created")[0].actor_label == "cli"
        code, out, _ = run("config", "clients", "list", "--region", "1", "--database-url", url)
        assert code == 0
        assert "kiosk-bib" in out
        assert secret not in out

    def test_rotate_replaces_the_secret(self, url: str, db: Engine) -> None:
        code, out, err = run(
            "config", "clients", "rotate", "demo-desk-maasmechelen", "--database-url", url
        )
        assert code == 0, err
        secret = out.strip().splitlines()[-1]
        with db.connect() as conn:
            client = conn.execute(
                select(t.ApiClient.secret_hash, t.ApiClient.token_version).where(
                    t.ApiClient.client_id == "demo-desk-maasmechelen"
                )
            ).one()
        assert verify_secret(secret, client.secret_hash)
        assert not verify_secret("demo-desk-secret", client.secret_hash)
        assert client.token_version == 2

    def test_disable_stops_new_tokens(self, url: str, db: Engine) -> None:
        code, _, err = run(
            "config", "clients", "disable", "demo-desk-maasmechelen", "--database-url", url
        )
        assert code == 0, err
        with db.connect() as conn:
            disabled = conn.scalar(
                select(t.ApiClient.disabled_at).where(
                    t.ApiClient.client_id == "demo-desk-maasmechelen"
                )
            )
        assert disabled is not None

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            (("rotate", "nobody"), "No client nobody"),
            (
                ("create", "xyz", "--name", "X", "--role", "DESK", "--region", "1",
                 "--permission", "PASSES_READ"),
                "organizer_id",
            ),
            (
                ("create", "xyz", "--name", "X", "--role", "REGION_ADMIN", "--region", "1",
                 "--permission", "FLY"),
                "Unknown permission(s) FLY",
            ),
        ],
    )  # fmt: skip
    def test_errors_are_one_line(self, url: str, args: tuple[str, ...], fragment: str) -> None:
        code, _, err = run("config", "clients", *args, "--database-url", url)
        assert_one_line_error(code, err, fragment)


class TestMunicipalities:
    def test_a_new_municipality_joins_and_leaves_a_region(self, url: str, db: Engine) -> None:
        code, out, err = run(
            "config", "municipality", "create", "73109", "Voeren",
            "--postal-code", "3790=Moelingen", "--postal-code", "3798='s-Gravenvoeren",
            "--sub", "Moelingen=3790", "--database-url", url,
        )  # fmt: skip
        assert code == 0, err
        assert "3790, 3798" in out
        code, out, err = run(
            "config", "municipality", "join", "73109", "--region", "1", "--on", "2027-01-01",
            "--database-url", url,
        )  # fmt: skip
        assert code == 0, err
        assert "from 2027-01-01" in out
        code, out, err = run(
            "config", "municipality", "leave", "73109", "--region", "1", "--on", "2030-01-01",
            "--database-url", url,
        )  # fmt: skip
        assert code == 0, err
        [joined] = cli_audit(db, "config.region.municipality_joined")
        assert joined.details["nis_code"] == "73109"
        assert len(cli_audit(db, "config.region.municipality_left")) == 1

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            (("join", "73042", "--region", "1", "--on", "2030-01-01"), "periods may not overlap"),
            (("join", "99999", "--region", "1", "--on", "2030-01-01"), "create it first"),
            (("join", "73042", "--region", "1", "--on", "someday"), "joined_on"),
            (("leave", "12014", "--region", "1", "--on", "2030-01-01"), "never been part"),
        ],
    )
    def test_errors_are_one_line(self, url: str, args: tuple[str, ...], fragment: str) -> None:
        code, _, err = run("config", "municipality", *args, "--database-url", url)
        assert_one_line_error(code, err, fragment)


class TestCardPrices:
    def test_set_then_show(self, url: str, tmp_path: Path) -> None:
        file = tmp_path / "prices.toml"
        file.write_text(
            '[[prices]]\nreason = "FIRST_CARD"\nprice_cents = 500\nwith_status = false\n'
            '[[prices]]\nreason = "FIRST_CARD"\nprice_cents = 0\nwith_status = true\n',
            encoding="utf-8",
        )
        code, out, err = run(
            "config", "card-prices", "set", str(file), "--region", "1",
            "--valid-from", "2099-01-01", "--database-url", url,
        )  # fmt: skip
        assert code == 0, err
        assert "Saved 2 card prices" in out
        code, out, err = run(
            "config", "card-prices", "show", "--region", "1", "--database-url", url
        )
        assert code == 0, err
        assert "€ 5.00" in out

    def test_a_list_in_the_past_is_refused_in_one_line(self, url: str, tmp_path: Path) -> None:
        file = tmp_path / "prices.json"
        file.write_text(json.dumps({"prices": []}), encoding="utf-8")
        code, _, err = run(
            "config", "card-prices", "set", str(file), "--region", "1",
            "--valid-from", "2020-01-01", "--database-url", url,
        )  # fmt: skip
        assert_one_line_error(code, err, "have started")
