"""``passengine admin`` on a demo region: the operator's version of the referrer's tasks."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from passengine.cli import app
from passengine.storage import tables as t
from passengine.storage.db import make_engine
from tests.conftest import MAASMECHELEN

runner = CliRunner()
ACTIVE_INSZ = "68031412828"  # the Maasland demo holder "active"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def loaded(url: str) -> str:
    assert run("fixtures", "load", str(MAASMECHELEN), "--database-url", url)[0] == 0
    return url


def statuses(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.scalar(select(func.count()).select_from(t.SocialTariffStatusRow)) or 0
    engine.dispose()
    return value


class TestAdminCli:
    def test_bulk_renewal_is_a_dry_run_until_applied(
        self, migrated_db_url: str, tmp_path: Path
    ) -> None:
        url = loaded(migrated_db_url)
        listing = tmp_path / "crossroads.txt"
        listing.write_text(f"{ACTIVE_INSZ}\n", encoding="utf-8")
        before = statuses(url)
        code, out, err = run(
            "admin", "renew-bulk", str(listing), "--region", "1", "--database-url", url
        )
        assert code == 0, err
        assert "Dry run" in out
        assert statuses(url) == before
        code, out, err = run(
            "admin", "renew-bulk", str(listing), "--region", "1", "--apply", "--database-url", url
        )
        assert code == 0, err
        assert "Renewed 1 statuses." in out
        assert statuses(url) == before + 1

    def test_a_bad_line_refuses_the_whole_renewal(
        self, migrated_db_url: str, tmp_path: Path
    ) -> None:
        url = loaded(migrated_db_url)
        listing = tmp_path / "crossroads.txt"
        listing.write_text(f"{ACTIVE_INSZ}\n12345678901\n", encoding="utf-8")
        before = statuses(url)
        code, _, err = run(
            "admin", "renew-bulk", str(listing), "--region", "1", "--apply", "--database-url", url
        )
        assert code == 1
        assert "Nothing renewed: line 2" in err
        assert statuses(url) == before

    def test_export_then_erase(self, migrated_db_url: str, tmp_path: Path) -> None:
        url = loaded(migrated_db_url)
        engine = make_engine(url)
        with engine.connect() as conn:
            holder_id = conn.scalar(
                select(t.Card.holder_id).where(t.Card.uitpas_number == "6451620999770")
            )
        engine.dispose()
        assert holder_id is not None
        out = tmp_path / "export.json"
        assert run("admin", "export", holder_id, "--out", str(out), "--database-url", url)[0] == 0
        assert json.loads(out.read_text(encoding="utf-8"))["insz"] == ACTIVE_INSZ
        code, _, err = run("admin", "erase", holder_id, "--database-url", url)
        assert code == 1
        assert "add --yes" in err
        assert run("admin", "erase", holder_id, "--yes", "--database-url", url)[0] == 0
        code, out_text, _ = run("admin", "audit", "--holder", holder_id, "--database-url", url)
        assert code == 0
        assert "holder.erased" in out_text
        assert "holder.exported" in out_text
