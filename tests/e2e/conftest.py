"""End-to-end fixtures: the demo database of ``tests/api`` (a fresh copy per test), the API served
by a real uvicorn server in a thread, and one headless system Chromium per test module."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from passengine.config import Settings
from tests.api import conftest as api_fixtures

# The demo database, its settings and the movable clock, as the API tests have them.
demo_template = api_fixtures.demo_template
demo_db_url = api_fixtures.demo_db_url
app_settings = api_fixtures.app_settings
clock = api_fixtures.clock
client = api_fixtures.client
login = api_fixtures.login

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS_ENV = "PASSENGINE_DESK_SCREENSHOTS"
"""A folder to save the page's screenshots in (``docs/desk`` refreshes the README's pictures);
without it they go to the test's temporary folder, so a test run leaves the tree unchanged."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(app_settings: Settings, clock: api_fixtures.Clock) -> Iterator[str]:
    """The API with the desk page at a real address, over this test's demo database."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(app_settings, clock=clock), host="127.0.0.1", port=port, log_level="warning"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = os.environ.get(SCREENSHOTS_ENV)
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path
