"""Open sessions are public (issue 12, item 10: the home page's link led anonymous visitors to a
sign-in wall); registering needs an account. The staff calendar shows the working days."""

import datetime

from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from portal.models import Holiday
from tests.meetings.factories import HostFactory, at, meeting_row, session_by


def _next_monday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


def test_anonymous_visitors_see_open_sessions_and_sign_in_to_register(client, reviewer):
    HostFactory(user=reviewer)
    day = _next_monday() + datetime.timedelta(days=7)
    session = session_by(reviewer, starts_at=at(day, 10))
    cancelled = session_by(reviewer, starts_at=at(day, 13))
    Meeting.objects.filter(pk=cancelled.pk).update(status=Meeting.Status.CANCELLED)
    response = client.get("/ar/meetings/sessions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-pk="{session.pk}"' in html and f'data-pk="{cancelled.pk}"' not in html
    assert 'data-action="register"' not in html  # no form that would post anonymously
    assert f'href="{reverse("account_login")}?next=/ar/meetings/sessions/"' in html


def test_registering_still_needs_sign_in(client, reviewer):
    HostFactory(user=reviewer)
    session = session_by(reviewer, starts_at=at(_next_monday() + datetime.timedelta(days=7), 10))
    response = client.post(reverse("meetings:session_register", args=[session.pk]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not session.registrations.exists()


def test_signed_in_customers_still_get_the_register_form(client, customer, reviewer):
    HostFactory(user=reviewer)
    session_by(reviewer, starts_at=at(_next_monday() + datetime.timedelta(days=7), 10))
    client.force_login(customer)
    assert 'data-action="register"' in client.get("/ar/meetings/sessions/").content.decode()


def _days(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('data-day="')[1:]]


def test_staff_week_shows_working_days_and_any_day_with_a_meeting(client, reviewer):
    HostFactory(user=reviewer)
    monday = _next_monday()
    Holiday.objects.create(date=monday + datetime.timedelta(days=1), name_ar="عطلة", name_en="Off")
    meeting_row(reviewer, starts_at=at(monday + datetime.timedelta(days=5), 10))  # a Saturday
    client.force_login(reviewer)
    html = client.get(reverse("meetings:calendar"), {"date": monday.isoformat()}).content.decode()
    shown = [datetime.date.fromisoformat(d) for d in _days(html)]
    assert shown == [monday + datetime.timedelta(days=n) for n in (0, 2, 3, 5)]


def test_an_empty_staff_week_says_so_instead_of_empty_days(client, reviewer):
    HostFactory(user=reviewer)
    client.force_login(reviewer)
    html = client.get(
        reverse("meetings:calendar"), {"date": _next_monday().isoformat()}
    ).content.decode()
    assert 'data-testid="calendar-empty"' in html and _days(html) == []
