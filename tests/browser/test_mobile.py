"""The portal on a phone (390 px) and on a desktop (1280 px), in Arabic (issue 12, items 9–10):
the header's menu folds behind a menu button that opens and closes it without script, every
menu link is reachable, «تسجيل الخروج» fits its button, list tables show every row's status
without the page scrolling sideways, selects show one arrow; and the pages that were dead ends
(the verify card, the open sessions, the staff home, the staff calendar) work at both widths."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.roles import Role
from portal.models import Holiday, IssuedDocument
from tests.factories import PASSWORD, CustomerFactory, UserFactory
from tests.meetings.factories import HostFactory, at, meeting_row, session_by
from tests.transactions.factories import People, ServiceFactory, transaction_at
from transactions.models import Transaction

S = Transaction.Status
PHONE, DESKTOP = 390, 1280
WIDTHS = [PHONE, DESKTOP]


@pytest.fixture
def open_page(browser: Browser, live_server):
    """open_page(width, path, email=None): a page in Arabic at that width, signed in if asked."""
    contexts = []

    def open_(width: int, path: str, email: str | None = None) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 844}, locale="ar-AE")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if email:
            page.goto(f"{live_server.url}/ar/accounts/login/?next={path}")
            page.locator("input[name=login]").fill(email)
            page.locator("input[name=password]").fill(PASSWORD)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").click()
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        return page

    yield open_
    for context in contexts:
        context.close()


def _no_sideways_scroll(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _inside_the_window(page: Page, locator, width: int) -> None:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box


def _fits_its_box(locator) -> None:
    """The text does not spill out of its button: nothing overflows and it is one line."""
    size = locator.evaluate(
        "el => ({sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight, ch: el.clientHeight,"
        " lh: parseFloat(getComputedStyle(el).lineHeight), h: el.getBoundingClientRect().height})"
    )
    assert size["sw"] <= size["cw"] and size["sh"] <= size["ch"] + 1, size
    assert size["h"] < 2 * size["lh"] + 24, size  # one line of text and the padding


def _customer_with_work():
    service = ServiceFactory(name_ar="رخصة بناء فيلا", name_en="Villa building permit")
    customer = CustomerFactory(full_name="سارة المهيري", email="customer@example.ae")
    people = People(
        service=service,
        customer=customer,
        agent=UserFactory(role=Role.HAPPINESS_AGENT, email="agent@example.ae", full_name="مريم"),
    )
    rows = [
        transaction_at(status, service=service, people=people)
        for status in (S.DRAFT, S.SUBMITTED, S.REMARKS_RETURNED)
    ]
    # A long project name: the column that pushed the status off a phone's screen.
    Transaction.objects.filter(pk=rows[2].pk).update(
        title="فيلا سكنية على القطعة 312-0912، منطقة الرحمانية، الشارقة"
    )
    return people, rows


@pytest.mark.browser
def test_phone_menu_opens_closes_and_reaches_every_link(open_page, transactional_db):
    people, _ = _customer_with_work()
    page = open_page(PHONE, "/ar/", people.customer.email)
    button = page.get_by_test_id("menu-button")
    panel = page.get_by_test_id("menu-panel")
    links = page.locator("nav.portal-nav a")

    expect(button).to_be_visible()
    _inside_the_window(page, button, PHONE)
    expect(panel).to_be_hidden()
    assert links.count() >= 6
    _no_sideways_scroll(page, PHONE)

    button.click()
    expect(panel).to_be_visible()
    for i in range(links.count()):
        link = links.nth(i)
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
        _inside_the_window(page, link, PHONE)
    # Two-factor authentication lives under the profile, not in the menu.
    assert page.locator('nav.portal-nav a[href*="/2fa/"]').count() == 0
    sign_out = page.get_by_test_id("sign-out")
    expect(sign_out).to_be_visible()
    _inside_the_window(page, sign_out, PHONE)
    _fits_its_box(sign_out)
    _no_sideways_scroll(page, PHONE)

    button.click()
    expect(panel).to_be_hidden()


@pytest.mark.browser
def test_desktop_shows_the_menu_without_a_button(open_page, transactional_db):
    people, _ = _customer_with_work()
    page = open_page(DESKTOP, "/ar/", people.customer.email)
    expect(page.get_by_test_id("menu-button")).to_be_hidden()
    links = page.locator("nav.portal-nav a")
    for i in range(links.count()):
        expect(links.nth(i)).to_be_visible()
    assert page.locator('nav.portal-nav a[href*="/2fa/"]').count() == 0
    _fits_its_box(page.get_by_test_id("sign-out"))
    # The menu is one row: every link on the first link's line.
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    assert max(tops) - min(tops) <= 4, tops


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_unread_count_sits_on_the_line_of_its_link(open_page, transactional_db, width):
    people, _ = _customer_with_work()  # the submission and the remarks each told the customer
    page = open_page(width, "/ar/", people.customer.email)
    badge = page.locator("[data-testid=nav-notifications] .aegov-badge")
    assert badge.count() == 1, "the customer has no unread notification to show"
    if width == PHONE:
        page.get_by_test_id("menu-button").click()
    link = page.get_by_test_id("nav-notifications")
    text = link.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el.firstChild);"
        " const b = r.getBoundingClientRect(); return b.top + b.height / 2; }"
    )
    box = badge.bounding_box()
    assert abs(box["y"] + box["height"] / 2 - text) <= 3, (box, text)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_list_tables_show_every_status_without_sideways_scrolling(
    open_page, transactional_db, width
):
    people, rows = _customer_with_work()
    for path, email, shown in (
        ("/ar/transactions/", people.customer.email, 3),
        ("/ar/staff/transactions/", people.agent.email, 1),
    ):
        page = open_page(width, path, email)
        statuses = page.get_by_test_id("row-status")
        assert statuses.count() == shown, path
        for i in range(shown):
            status = statuses.nth(i)
            status.scroll_into_view_if_needed()
            expect(status.locator(".aegov-badge")).to_be_visible()
            _inside_the_window(page, status.locator(".aegov-badge"), width)
        _no_sideways_scroll(page, width)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_selects_show_one_arrow(open_page, transactional_db, width):
    people, _ = _customer_with_work()
    page = open_page(width, "/ar/transactions/", people.customer.email)
    select = page.locator("main select").first
    style = select.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return {appearance: s.appearance, image: s.backgroundImage}; }"
    )
    assert style["appearance"] == "none"  # no browser arrow…
    assert style["image"].startswith("url(")  # …only the design system's


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_header_emblem_is_a_drawn_mark_with_a_name(open_page, transactional_db, width):
    page = open_page(width, "/ar/")
    emblem = page.locator("[data-testid=brand] svg[role=img]")
    expect(emblem).to_be_visible()
    assert emblem.get_attribute("aria-label")
    assert "أ ع" not in page.get_by_test_id("brand").inner_text()
    _no_sideways_scroll(page, width)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_verify_card_takes_a_code(open_page, transactional_db, width):
    document = IssuedDocument.objects.create(
        kind="receipt",
        reference="RCP-2026-000001",
        title_ar="إيصال تسجيل",
        title_en="Registration receipt",
        template="portal/pdf/none.html",
        owner=CustomerFactory(),
    )
    page = open_page(width, "/ar/")
    form = page.get_by_test_id("verify-form")
    form.get_by_test_id("verify-submit").click()
    expect(page.get_by_test_id("verify-error")).to_be_visible()
    expect(page.locator("#verify-code")).to_have_attribute("aria-invalid", "true")
    page.locator("#verify-code").fill(document.verification_code)
    page.get_by_test_id("verify-submit").click()
    expect(page).to_have_url(f"{page.url.split('/verify')[0]}/verify/{document.verification_code}/")
    expect(page.get_by_test_id("verified-document")).to_contain_text("RCP-2026-000001")
    _no_sideways_scroll(page, width)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_open_sessions_are_public_and_registering_signs_in(
    open_page, transactional_db, live_server, width
):
    host = UserFactory(role=Role.REVIEWER, full_name="منى الحمادي")
    HostFactory(user=host)
    day = timezone.localdate() + datetime.timedelta(days=10)
    session = session_by(host, starts_at=at(day, 10))
    customer = CustomerFactory(email="visitor@example.ae")

    page = open_page(width, "/ar/")
    page.locator('main a[href="/ar/meetings/sessions/"]').click()
    expect(page).to_have_url(f"{live_server.url}/ar/meetings/sessions/")
    expect(page.locator(f'[data-testid=session][data-pk="{session.pk}"]')).to_be_visible()
    _no_sideways_scroll(page, width)
    page.locator("[data-action=sign-in-to-register]").click()
    expect(page).to_have_url(f"{live_server.url}/ar/accounts/login/?next=/ar/meetings/sessions/")
    page.locator("input[name=login]").fill(customer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/ar/meetings/sessions/")
    expect(page.locator("[data-action=register]")).to_be_visible()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_staff_home_and_calendar_show_the_members_day(open_page, transactional_db, width):
    people, rows = _customer_with_work()
    Transaction.objects.filter(pk=rows[1].pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    reviewer = UserFactory(role=Role.REVIEWER, email="reviewer@example.ae")
    HostFactory(user=reviewer)

    page = open_page(width, "/ar/staff/", people.agent.email)
    expect(page.get_by_test_id("queue-counts")).to_be_visible()
    expect(page.get_by_test_id("overdue")).to_contain_text(rows[1].reference)
    expect(page.get_by_test_id("no-meetings-today")).to_be_visible()
    _no_sideways_scroll(page, width)

    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    Holiday.objects.create(date=monday + datetime.timedelta(days=2), name_ar="عطلة", name_en="Off")
    meeting_row(reviewer, starts_at=at(monday, 9))
    page = open_page(width, f"/ar/staff/meetings/?date={monday.isoformat()}", reviewer.email)
    days = page.locator("[data-testid=calendar] > li")
    expect(days).to_have_count(3)  # Monday, Tuesday, Thursday: no weekend, no holiday
    _no_sideways_scroll(page, width)
