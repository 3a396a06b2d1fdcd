"""Debian's chromium, driven by Playwright, started the way this machine allows (no sandbox as root, no
background networking): the one launcher the page tests share."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import skip_or_fail

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
QUIET_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
)
# no network at all: every proxy connection refused, every host name unknown
OFFLINE_FLAGS = ("--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")


@contextmanager
def chromium(*, offline: bool = False) -> Iterator[Any]:
    """A headless chromium browser (skipped where chromium is missing, a failure in CI)."""
    if not CHROMIUM:
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*QUIET_FLAGS, *(OFFLINE_FLAGS if offline else ())])
        try:
            yield browser
        finally:
            browser.close()
