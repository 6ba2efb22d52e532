"""A video meeting about a transaction remark, in a real browser and in Arabic: the customer
books it from the remark, then customer and host open the meeting page and find the Jitsi room
with a token for that one room — the host as moderator, the customer not.

The Jitsi server is not reachable here: the test checks the room's container and its token, and
that the page falls back to a direct link instead of breaking."""

import datetime
import re

import jwt
import pytest
from playwright.sync_api import Page, expect

from accounts.roles import Role
from meetings.models import Meeting, WeeklyHours
from tests.factories import PASSWORD, CustomerFactory, UserFactory
from tests.meetings.factories import HostFactory
from tests.transactions.factories import People, ServiceFactory, transaction_at

APP_ID = "pwd-portal-test"
SECRET = "a-test-secret-only-for-this-test-0123456789"
AGENDA = "مناقشة الارتدادات على المخطط."


def _arabic_rtl(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def _signed_in(contexts, base: str, email: str, next_path: str) -> Page:
    page = contexts().new_page()
    page.goto(f"{base}/ar/accounts/login/?next={next_path}")
    _arabic_rtl(page)
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}{next_path}")
    _arabic_rtl(page)
    return page


def _claims(page: Page, room_name: str) -> dict:
    room = page.locator("#jitsi-room")
    expect(room).to_have_attribute("data-room", room_name)
    expect(room).to_have_attribute("data-lang", "ar")
    token = room.get_attribute("data-jwt")
    assert token
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")
    assert claims["iss"] == APP_ID
    assert claims["room"] == room_name
    # The IFrame API cannot load here: the page says so and links to the room directly.
    fallback = page.locator("[data-testid=room-fallback]")
    expect(fallback).to_be_visible()
    link = fallback.locator("[data-testid=room-link]")
    expect(link).to_have_attribute("href", re.compile(rf"/{room_name}\?jwt=[\w.-]+$"))
    return claims["context"]["user"]


@pytest.mark.browser
def test_customer_books_a_meeting_about_a_remark_and_both_find_the_room(
    live_server, transactional_db, private_media, contexts, settings
):
    settings.JITSI_APP_ID = APP_ID
    settings.JITSI_APP_SECRET = SECRET
    # Nothing listens there: the IFrame API fails to load at once.
    settings.JITSI_DOMAIN = "127.0.0.1:9"
    settings.MEETING_ROOM_OPENS_MINUTES = 60 * 24 * 30  # the room is open from the booking on
    base = live_server.url

    service = ServiceFactory(name_ar="رخصة بناء فيلا", name_en="Villa building permit")
    customer = CustomerFactory(full_name="سارة المهيري", email="customer@example.ae")
    reviewer = UserFactory(role=Role.REVIEWER, full_name="منى الحمادي", email="reviewer@example.ae")
    people = People(
        service=service,
        customer=customer,
        reviewer=reviewer,
        agent=UserFactory(role=Role.HAPPINESS_AGENT),
    )
    # A host bookable at any time of any day, with no notice, so the meeting can be now-ish.
    host = HostFactory(user=reviewer, min_notice_hours=0, hours=[])
    for weekday in range(7):
        WeeklyHours.objects.create(
            host=host, weekday=weekday, starts=datetime.time(0, 0), ends=datetime.time(23, 59)
        )
    t = transaction_at("remarks_returned", service=service, people=people)
    remark = t.remarks.get()

    # --- the customer: transaction page → the remark's meeting link → book -------------------
    cp = _signed_in(contexts, base, customer.email, f"/ar/transactions/{t.pk}/")
    cp.locator("[data-testid=remark] [data-testid=remark-meeting]").click()
    expect(cp).to_have_url(f"{base}/ar/meetings/book/?remark={remark.pk}")
    _arabic_rtl(cp)
    expect(cp.locator("[data-testid=topic-remark]")).to_contain_text(remark.text)
    cp.locator("[data-testid=slots] label").first.click()
    cp.locator("textarea[name=agenda]").fill(AGENDA)
    with cp.expect_navigation():
        cp.locator("[data-testid=book]").click()
    expect(cp).to_have_url(re.compile(r"/ar/meetings/\d+/$"))
    _arabic_rtl(cp)
    meeting = Meeting.objects.get()
    assert (meeting.customer, meeting.host, meeting.remark) == (customer, reviewer, remark)
    assert meeting.agenda == AGENDA
    expect(cp.locator("[data-testid=agenda]")).to_have_text(AGENDA)
    assert _claims(cp, meeting.room_name) == {
        "id": str(customer.pk),
        "name": customer.full_name,
        "email": customer.email,
        "moderator": False,
        "affiliation": "member",
    }

    # --- the host: the same room, as moderator ----------------------------------------------
    hp = _signed_in(contexts, base, reviewer.email, f"/ar/meetings/{meeting.pk}/")
    host_user = _claims(hp, meeting.room_name)
    assert host_user["moderator"] is True
    assert host_user["affiliation"] == "owner"
    assert host_user["id"] == str(reviewer.pk)
