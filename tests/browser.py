"""Debian's headless Chromium, driven by Playwright, for the tests that need a browser.

The browser is Debian's (``make test`` installs it), never a downloaded one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require(path: Path, what: str) -> None:
    """Fail under CI, skip elsewhere, when ``path`` (something ``make test`` installs) is missing."""
    if path.exists():
        return
    problem = f"{what} is missing at {path}; `make test` installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(problem)
    pytest.skip(problem)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Chromium, launched for the block and closed after it."""
    require(CHROMIUM, "Debian's chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            await browser.close()
