"""A whole application with the keyboard alone (issue #12, item 4): a customer opens a service,
signs in, fills in the application, uploads the plan (the file chooser opened with the keyboard
from the focused file input) and submits it, with only Tab, Shift+Tab, the arrow keys, Space,
Enter and typing. Every Tab must move the focus to an element it has not visited yet on that
page before the wanted one is reached: no trap, and nothing the keyboard cannot get to."""

import re

import pytest
from playwright.sync_api import Browser, FileChooser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.factories import PASSWORD, CustomerFactory
from tests.transactions.factories import PDF_BYTES, ServiceFactory
from transactions.models import Transaction

MAX_TABS = 120

# An id for the focused element, stable for the life of the page, and a short description.
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {key: "body", what: "body"};
  if (!el.dataset.kbKey) el.dataset.kbKey = String((window.__kbKeys = (window.__kbKeys || 0) + 1));
  const name = el.getAttribute("name") || el.id || (el.textContent || "").trim().slice(0, 30);
  return {key: el.dataset.kbKey, what: `${el.tagName.toLowerCase()} ${name}`};
}
"""


def tab_to(page: Page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus, checking
    that each press moves the focus to an element not visited yet."""
    seen: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED_JS)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        assert focused["key"] == "body" or focused["key"] not in seen, (
            f"the focus came back to {focused['what']} before reaching {selector}: "
            f"{' → '.join(seen)}"
        )
        seen.append(focused["key"])
    raise AssertionError(f"{selector} not reached in {MAX_TABS} presses of Tab")


def press(page: Page, key: str) -> None:
    """Press a key that submits a form or follows a link, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def open_file_chooser(page: Page) -> FileChooser:
    """Open the focused file input's chooser with the keyboard: Space, or Enter when Chromium,
    busy, let the first key press go by without a chooser."""
    for key in ("Space", "Enter"):
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press(key)
        except PlaywrightTimeoutError:
            continue
        return chooser.value
    raise AssertionError("the focused file input opens no file chooser from the keyboard")


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_customer_applies_and_submits_with_the_keyboard_alone(
    live_server, transactional_db, private_media, browser: Browser, width
):
    base = live_server.url
    service = ServiceFactory(name_ar="رخصة بناء فيلا", name_en="Villa building permit")
    customer = CustomerFactory(full_name="سارة المهيري", email="customer@example.ae")
    context = browser.new_context(locale="ar-AE", viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{base}/ar/services/{service.code}/")
        tab_to(page, "[data-testid=start-application]")
        press(page, "Enter")

        # Sign in.
        expect(page).to_have_url(re.compile(r"/ar/accounts/login/"))
        tab_to(page, "input[name=login]")
        page.keyboard.type(customer.email)
        tab_to(page, "input[name=password]")
        page.keyboard.type(PASSWORD)
        press(page, "Enter")
        expect(page).to_have_url(f"{base}/ar/services/{service.code}/apply/")

        # The application: its title and the service's own field; back once with Shift+Tab.
        tab_to(page, "input[name=title]")
        page.keyboard.type("فيلا سكنية، القطعة 312")
        tab_to(page, "input[name=f_plot-number]")
        page.keyboard.type("312-0457")
        tab_to(page, "input[name=title]", backwards=True)
        page.keyboard.press("End")
        page.keyboard.type(" ب")
        tab_to(page, "main form button[type=submit]")
        press(page, "Enter")
        expect(page).to_have_url(re.compile(r"/ar/transactions/\d+/$"))
        t = Transaction.objects.get(applicant=customer)
        assert t.title == "فيلا سكنية، القطعة 312 ب"
        assert t.data == {"plot-number": "312-0457"}

        # The plan: the item with the arrow keys, the file from the chooser opened by Space.
        plan = service.versions.get().checklist.get(code="plan")
        form = page.locator("form[data-testid=upload-form]")
        tab_to(page, "form[data-testid=upload-form] select")
        while form.locator("select").input_value() != str(plan.pk):
            page.keyboard.press("ArrowDown")
        tab_to(page, "form[data-testid=upload-form] input[type=file]")
        open_file_chooser(page).set_files(
            {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
        )
        tab_to(page, "form[data-testid=upload-form] button[type=submit]")
        press(page, "Enter")
        assert t.documents.filter(item=plan).count() == 1

        # Submit: the focus is back at the documents; the submit button is reached from there.
        tab_to(page, 'form[action$="/submit/"] button[type=submit]')
        press(page, "Enter")
        t.refresh_from_db()
        assert t.status == Transaction.Status.SUBMITTED
        expect(page.locator("main header [data-status]")).to_have_attribute(
            "data-status", Transaction.Status.SUBMITTED
        )
    finally:
        context.close()
