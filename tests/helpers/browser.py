"""A real headless Chromium (Debian's package) driven by Playwright, for the web pages.

Playwright's own browser downloads are not used: CI has no network beyond the package
registries, so the browser is `/usr/bin/chromium` from `apt-get install chromium`, which
`.ci/run` installs. The flags keep Chromium from reaching for Google's hosts, which this
machine's closed network refuses."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@asynccontextmanager
async def headless_chromium() -> AsyncIterator[object]:
    """A Playwright Browser; the test is skipped where Chromium is not installed (CI
    installs it, so there it always runs)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()
