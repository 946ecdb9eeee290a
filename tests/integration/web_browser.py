"""Helpers for the browser tests: a served app on a real socket and a Playwright Chromium.

Playwright drives the system Chromium (Debian's ``chromium`` package): no browser is downloaded.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.conftest import wait_until
from tests.integration.test_http_api import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return "needs a Chromium binary (Debian: apt-get install chromium)"
    return None


needs_browser = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def serve(app: FastAPI) -> Iterator[str]:
    """``app`` on 127.0.0.1 (a free port) until the generator closes."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: served.started, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        served.should_exit = True
        thread.join(timeout=15)


def chromium_page(width: int = 1280, height: int = 800) -> Iterator[Any]:
    """A Playwright page in a fresh headless Chromium; it records the page's console errors and
    every request to another origin in ``page.problems``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.problems = []
            page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
            page.on("pageerror", lambda e: page.problems.append(f"error: {e}"))
            page.on(
                "request",
                lambda r: (
                    r.url.startswith(("http://127.0.0.1", "blob:", "data:"))
                    or page.problems.append(f"request elsewhere: {r.url}")
                ),
            )
            yield page
        finally:
            browser.close()
