"""What every browser test shares: Django's ORM from Playwright's thread, and Arabic contexts
closed after the test."""

import pytest
from playwright.sync_api import Browser, BrowserContext


@pytest.fixture(autouse=True)
def _async_unsafe(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the factories are ordinary ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def contexts(browser: Browser):
    """A factory of browser contexts in Arabic (the UAE), each closed after the test."""
    opened: list[BrowserContext] = []

    def new() -> BrowserContext:
        context = browser.new_context(locale="ar-AE", accept_downloads=True)
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()
