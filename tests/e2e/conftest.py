"""Browser tests: Debian's Chromium driven by Playwright against a live server.

The browser is never downloaded; with CI=true a missing Chromium fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

CHROMIUM = os.environ.get("MENDWELL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve ``app`` on a free local port for the browser; its address."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve the test app on a free local port for the browser."""
    from mendwell.clock import Clock

    app.state.clock = Clock()  # a real browser session needs real time
    with serving(app) as address:
        yield address


@pytest.fixture(scope="session")
def playwright_browser(chromium_path: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _is_fault(message) -> bool:  # type: ignore[no-untyped-def]
    """Console errors that mean a fault: not the browser noting an intended 4xx answer."""
    expected = "Failed to load resource: the server responded with a status of 4"
    return message.type == "error" and not message.text.startswith(expected)


@contextmanager
def watched_page(context) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A page of ``context`` that fails the test on any script error or console fault."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if _is_fault(msg) else None)
    yield page
    context.close()
    assert errors == [], f"browser errors: {errors}"


@pytest.fixture
def page(playwright_browser, live_server: str):  # type: ignore[no-untyped-def]
    context = playwright_browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}
    )
    with watched_page(context) as page:
        yield page


def sign_in(page, username: str, password: str | None = None) -> None:  # type: ignore[no-untyped-def]
    from support.world import PASSWORD

    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
