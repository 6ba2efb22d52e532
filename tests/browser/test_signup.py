"""Sign-up in Arabic, from the form to the first sign-in and the profile page, in a real
browser."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.roles import Role

EMAIL = "fatima@example.ae"
FULL_NAME = "فاطمة الزرعوني"
PASSWORD = "Sharjah-Works-2026"


@pytest.fixture
def outbox(settings, mailoutbox):
    # live_server runs in a thread of this process, so the locmem outbox sees its e-mails.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mailoutbox


def _confirmation_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/confirm-email/[^/\s]+/", message.body)
    assert match, message.body
    return match.group()


@pytest.mark.browser
def test_customer_signs_up_confirms_and_signs_in_in_arabic(page: Page, live_server, outbox):
    page.goto(f"{live_server.url}/ar/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=full_name]").fill(FULL_NAME)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()

    expect(page).to_have_url(f"{live_server.url}/ar/accounts/confirm-email/")
    assert len(outbox) == 1
    assert outbox[0].to == [EMAIL]

    page.goto(_confirmation_link(outbox[0]))
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/ar/accounts/login/"))

    page.locator("input[name=login]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()

    # A customer lands on their transactions; the profile keeps what they signed up with.
    expect(page).to_have_url(f"{live_server.url}/ar/transactions/")
    page.goto(f"{live_server.url}/ar/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("input[name=full_name]")).to_have_value(FULL_NAME)
    expect(page.get_by_role("banner")).to_contain_text(FULL_NAME.split()[0])

    user = User.objects.get(email=EMAIL)
    assert user.full_name == FULL_NAME
    assert user.preferred_language == "ar"
    assert list(user.groups.all()) == [Group.objects.get(name=Role.CUSTOMER)]
