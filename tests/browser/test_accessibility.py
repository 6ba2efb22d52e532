"""Accessibility in a real browser (issue #12, items 1 and 4).

axe-core (the npm package pinned in package.json) runs on every kind of page a customer and a
staff member use, in Arabic and English, at a desktop (1280 px) and a phone (390 px) width,
with the WCAG 2.1 A and AA rules: no serious or critical violation is allowed.

axe cannot judge text over a pseudo-element's background (the header's menu bar is painted by
the design system's `::before`), so the menu's contrast, and that of the unavailable days of the
booking day-picker, is computed here from the computed styles.
"""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from accounts.roles import Role
from meetings.models import WeeklyHours
from tests.factories import PASSWORD, CustomerFactory, UserFactory
from tests.meetings.factories import HostFactory, book_about
from tests.transactions.factories import People, ServiceFactory, transaction_at

AXE = Path(django_settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1280, "phone": 390}
LANGUAGES = ("ar", "en")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}

# The WCAG relative luminance and contrast ratio of two CSS colours, computed in the page (the
# browser resolves any colour syntax, oklch included, through a 1x1 canvas). Each colour's
# alpha is composited over the background below it.
CONTRAST_JS = """
([fg, bg, base]) => {
  const ctx = document.createElement("canvas").getContext("2d", {willReadFrequently: true});
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "#fff";
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2]];
  };
  const over = (top, below) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = below; ctx.fillRect(0, 0, 1, 1);
    ctx.fillStyle = top; ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return `rgb(${d[0]}, ${d[1]}, ${d[2]})`;
  };
  const background = over(bg, base);
  const lum = (css) => {
    const [r, g, b] = rgba(css).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const a = lum(over(fg, background));
  const b = lum(background);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""

# The colour that is really painted behind an element: the nearest non-transparent background
# among the element, its ancestors and their ::before / ::after boxes that cover it.
BACKGROUND_JS = """
(el) => {
  const transparent = (c) => !c || c === "transparent" || /rgba\\(.*,\\s*0\\)$/.test(c);
  const rect = el.getBoundingClientRect();
  const x = rect.left + rect.width / 2, y = rect.top + rect.height / 2;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    for (const pseudo of ["::before", "::after"]) {
      const s = getComputedStyle(node, pseudo);
      if (s.content === "none" || s.display === "none" || transparent(s.backgroundColor)) continue;
      // A pseudo-element has no box of its own to measure: an absolutely positioned one is
      // taken to cover its element (the design system's bars are inset: 0 boxes).
      const box = node.getBoundingClientRect();
      if (x >= box.left && x <= box.right && y >= box.top && y <= box.bottom) {
        return s.backgroundColor;
      }
    }
    const c = getComputedStyle(node).backgroundColor;
    if (!transparent(c)) return c;
  }
  return "rgb(255, 255, 255)";
}
"""


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/ar/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core in the page. `evaluate` runs in the page's context but outside its CSP,
    which would block an injected inline <script>."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "(options) => axe.run(document, options)", json.loads(json.dumps(AXE_OPTIONS))
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(where: str, violations: list[dict]) -> str:
    lines = [f"{where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"      {' '.join(node['target'])}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"        {summary[:300]}")
    return "\n".join(lines)


def check_pages(page: Page, base: str, paths: dict[str, str]) -> list[str]:
    """axe on each page, in each language and at each width; the failures, readably."""
    failures = []
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        for lang in LANGUAGES:
            for name, path in paths.items():
                response = page.goto(f"{base}/{lang}{path}")
                assert response.ok, f"{name} ({lang}) answered {response.status}"
                expect(page.locator("html")).to_have_attribute("lang", lang)
                found = axe_violations(page)
                if found:
                    failures.append(describe(f"{name} /{lang}{path} at {width_name}", found))
    return failures


@pytest.fixture
def world(db, settings):
    """A customer with a transaction returned with a remark and a meeting booked about it, the
    agent and reviewer of its service, and a host with bookable hours."""
    settings.JITSI_DOMAIN = "127.0.0.1:9"  # nothing listens there
    service = ServiceFactory(name_ar="رخصة بناء فيلا", name_en="Villa building permit")
    customer = CustomerFactory(full_name="سارة المهيري", email="customer@example.ae")
    reviewer = UserFactory(role=Role.REVIEWER, full_name="منى الحمادي", email="reviewer@example.ae")
    agent = UserFactory(
        role=Role.HAPPINESS_AGENT, full_name="خالد السويدي", email="agent@example.ae"
    )
    people = People(service=service, customer=customer, reviewer=reviewer, agent=agent)
    host = HostFactory(user=reviewer, min_notice_hours=0, hours=[])
    for weekday in range(7):
        WeeklyHours.objects.create(
            host=host, weekday=weekday, starts=datetime.time(8, 0), ends=datetime.time(14, 0)
        )
    t = transaction_at("remarks_returned", service=service, people=people)
    remark = t.remarks.get()
    meeting = book_about(t, customer=customer, remark=remark)
    return {
        "service": service,
        "customer": customer,
        "agent": agent,
        "transaction": t,
        "remark": remark,
        "meeting": meeting,
    }


@pytest.mark.browser
def test_no_serious_or_critical_axe_violations(
    live_server, transactional_db, private_media, contexts, world
):
    base = live_server.url
    service, t = world["service"], world["transaction"]
    failures = []

    anonymous = contexts().new_page()
    failures += check_pages(
        anonymous,
        base,
        {
            "home": "/",
            "sign-in": "/accounts/login/",
            "service catalogue": "/services/",
            "service": f"/services/{service.code}/",
        },
    )

    customer = contexts().new_page()
    sign_in(customer, base, world["customer"].email)
    failures += check_pages(
        customer,
        base,
        {
            "transactions list": "/transactions/",
            "application form": f"/services/{service.code}/apply/",
            "transaction detail": f"/transactions/{t.pk}/",
            "meetings list": "/meetings/",
            "meeting booking": f"/meetings/book/?remark={world['remark'].pk}",
            "meeting detail": f"/meetings/{world['meeting'].pk}/",
            "profile": "/profile/",
        },
    )

    agent = contexts().new_page()
    sign_in(agent, base, world["agent"].email)
    failures += check_pages(
        agent,
        base,
        {"staff queue": "/staff/transactions/", "transaction (staff)": f"/transactions/{t.pk}/"},
    )

    assert not failures, "\n".join(failures)


@pytest.mark.browser
def test_the_failed_sign_in_and_application_have_no_serious_axe_violations(
    live_server, transactional_db, private_media, contexts, world
):
    """The pages with errors on them: the error summary and the fields' messages."""
    base = live_server.url
    page = contexts().new_page()
    failures = []
    for lang in LANGUAGES:
        page.goto(f"{base}/{lang}/accounts/login/")
        page.locator("input[name=login]").fill("nobody@example.ae")
        page.locator("input[name=password]").fill("wrong")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        # The summary takes the focus from the login field's own autofocus.
        expect(page.locator("[data-error-summary]")).to_be_focused()
        if found := axe_violations(page):
            failures.append(describe(f"failed sign-in ({lang})", found))
    sign_in(page, base, world["customer"].email)
    for lang in LANGUAGES:
        page.goto(f"{base}/{lang}/services/{world['service'].code}/apply/")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        if found := axe_violations(page):
            failures.append(describe(f"failed application ({lang})", found))
    assert not failures, "\n".join(failures)


def contrast(page: Page, fg: str, bg: str, base: str = "rgb(255, 255, 255)") -> float:
    return page.evaluate(CONTRAST_JS, [fg, bg, base])


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_main_menu_links_have_enough_contrast(
    live_server, transactional_db, contexts, world, width, lang
):
    page = contexts().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, world["customer"].email)
    page.goto(f"{live_server.url}/{lang}/")
    # On a phone the menu may be folded behind a menu button: open it first.
    button = page.locator("header summary, header button[aria-expanded=false]").first
    if button.count() and button.is_visible():
        button.click()
    links = page.locator("header nav[aria-label] a")
    assert links.count() >= 3
    ratios = {}
    for i in range(links.count()):
        link = links.nth(i)
        if not link.is_visible():
            continue  # a collapsed phone menu: its links are measured when it is open
        color = link.evaluate("(el) => getComputedStyle(el).color")
        background = link.evaluate(BACKGROUND_JS)
        ratios[link.inner_text().strip()] = contrast(page, color, background)
    assert ratios, "no visible menu link"
    low = {name: round(r, 2) for name, r in ratios.items() if r < 4.5}
    assert not low, f"menu links below 4.5:1 at {width}px ({lang}): {low}"


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_unavailable_days_in_the_day_picker_have_enough_contrast(
    live_server, transactional_db, contexts, world, width
):
    page = contexts().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, world["customer"].email)
    page.goto(f"{live_server.url}/ar/meetings/book/?remark={world['remark'].pk}")
    # A day with no free time is a <span data-day>; a bookable one is a link.
    days = page.locator("[data-testid=days] span[data-day]")
    assert days.count() >= 1, "the day-picker shows no unavailable day"
    day = days.first
    color = day.evaluate("(el) => getComputedStyle(el).color")
    background = day.evaluate(BACKGROUND_JS)
    ratio = contrast(page, color, background)
    assert ratio >= 4.5, f"unavailable day at {ratio:.2f}:1 ({color} on {background})"


# --- errors, help text, the TOTP secret, uploads (items 2 and 3) ------------------------------
DESCRIBED_BY_JS = """
(el) => (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean).map((id) => {
  const target = document.getElementById(id);
  return {id, found: !!target, text: target ? target.textContent.trim() : ""};
})
"""


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_failed_submit_focuses_one_error_summary_that_leads_to_each_field(
    live_server, transactional_db, contexts, world, width
):
    page = contexts().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, world["customer"].email)
    page.goto(f"{live_server.url}/ar/services/{world['service'].code}/apply/")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_have_count(1)
    expect(summary).to_be_focused()
    # One announcement, not one per field.
    expect(page.locator("main [role=alert]")).to_have_count(1)

    invalid = page.locator("main [aria-invalid=true]")
    assert invalid.count() >= 1
    links = summary.locator("a[href^='#']")
    expect(links).to_have_count(invalid.count())
    for i in range(invalid.count()):
        field = invalid.nth(i)
        described = field.evaluate(DESCRIBED_BY_JS)
        assert described, "an invalid field with no description"
        for ref in described:
            assert ref["found"], f"aria-describedby names #{ref['id']}, which is not on the page"
            assert ref["text"], f"#{ref['id']} is empty"
        assert any(ref["id"].endswith("_error") for ref in described)

    # A summary link takes the focus to its field.
    first = links.first
    target_id = first.get_attribute("href").lstrip("#")
    first.click()
    expect(page.locator(f"[id='{target_id}']")).to_be_focused()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_password_rules_are_in_the_element_the_field_points_to(
    live_server, transactional_db, contexts, width
):
    page = contexts().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/ar/accounts/signup/")
    password = page.locator("input[name=password1]")
    described = password.evaluate(DESCRIBED_BY_JS)
    helptext = [ref for ref in described if ref["id"].endswith("_helptext")]
    assert helptext, f"the password field points to no help text: {described}"
    assert helptext[0]["found"] and helptext[0]["text"]
    expect(page.locator(f"[id='{helptext[0]['id']}'] li").first).to_be_visible()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_totp_secret_can_be_focused_and_the_qr_code_is_described(
    live_server, transactional_db, contexts, world, width
):
    page = contexts().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, world["customer"].email)
    page.goto(f"{live_server.url}/ar/accounts/2fa/totp/activate/")
    # allauth asks for the password again before a security change.
    with page.expect_navigation():
        page.locator("main input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
    secret = page.locator("#authenticator_secret")
    expect(secret).to_be_enabled()
    expect(secret).not_to_be_editable()  # read-only: it can be selected and copied
    value = secret.input_value()
    assert len(value) >= 16
    secret.focus()
    expect(secret).to_be_focused()
    assert (
        secret.evaluate(
            "(el) => { el.select(); return el.value.slice(el.selectionStart, el.selectionEnd); }"
        )
        == value
    )
    qr = page.locator("main form img").first
    alt = qr.get_attribute("alt")
    assert alt and value not in alt
    # The help text is tied to the field.
    assert any(ref["found"] and ref["text"] for ref in secret.evaluate(DESCRIBED_BY_JS))


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_an_upload_returns_the_focus_to_the_documents_and_is_announced(
    live_server, transactional_db, private_media, contexts, world, width
):
    from tests.transactions.factories import PDF_BYTES

    t = world["transaction"]
    page = contexts().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, world["customer"].email)
    page.goto(f"{live_server.url}/ar/transactions/{t.pk}/")
    form = page.locator("form[data-testid=upload-form]")
    file_input = form.locator("input[type=file]")

    # The file input's focus is a ring around it, not only a colour change.
    file_input.focus()
    ring = file_input.evaluate(
        "(el) => { const s = getComputedStyle(el);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert ring[0] != "none" and ring[1] >= 2, ring

    select = form.locator("select")
    select.select_option(index=1)
    file_input.set_input_files(
        {"name": "plan-v9.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#documents-title")).to_be_focused()
    message = page.locator("main [role=status]").first
    announcer = page.locator("[data-announcer]")
    expect(announcer).not_to_be_empty()
    assert announcer.inner_text().strip() == message.inner_text().strip()
