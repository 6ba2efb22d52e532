"""Reminders 24 hours and 15 minutes before a meeting: each sent once when due (running again
sends nothing more), none for meetings no longer scheduled, re-armed by a reschedule, to
registrants and host for sessions; the Celery beat task returns how many went out."""

import datetime

import pytest

from meetings import services
from meetings.selectors import DUBAI
from meetings.tasks import send_reminders
from portal.models import Notification
from portal.notifications import notification_deliver
from tests.factories import CustomerFactory
from tests.meetings.factories import at, book_enquiry, session_by, team_with_host

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
WED = NOW.date() + datetime.timedelta(days=2)
THU = NOW.date() + datetime.timedelta(days=3)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(hours=24)
QUARTER = datetime.timedelta(minutes=15)


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def host_team(db):
    # Two hours' notice, so the customer may still reschedule after the 24-hour reminder.
    return team_with_host(min_notice_hours=2)


def _reminders(meeting=None) -> list[tuple]:
    rows = Notification.objects.filter(kind="meeting_reminder").order_by("pk")
    if meeting is not None:
        rows = rows.filter(object_id=str(meeting.pk))
    return [(n.recipient, n.context["when"]) for n in rows]


def _send_at(time_machine, moment) -> int:
    time_machine.move_to(moment, tick=False)
    return services.reminders_send()


def test_each_reminder_is_sent_once_when_due(host_team, customer, time_machine):
    team, host = host_team
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    start = meeting.starts_at

    assert _send_at(time_machine, start - DAY - MINUTE) == 0
    assert _reminders() == []

    assert _send_at(time_machine, start - DAY) == 1
    assert _reminders() == [(customer, "24h"), (host.user, "24h")]
    assert services.reminders_send() == 0  # running again sends nothing more
    assert _send_at(time_machine, start - DAY + datetime.timedelta(hours=10)) == 0
    assert _send_at(time_machine, start - QUARTER - MINUTE) == 0
    assert len(_reminders()) == 2
    meeting.refresh_from_db()
    assert meeting.reminded_24h_at == start - DAY
    assert meeting.reminded_15m_at is None

    assert _send_at(time_machine, start - QUARTER) == 1
    assert _reminders()[2:] == [(customer, "15m"), (host.user, "15m")]
    assert services.reminders_send() == 0
    assert _send_at(time_machine, start - MINUTE) == 0
    assert _send_at(time_machine, start + MINUTE) == 0
    assert len(_reminders()) == 4
    meeting.refresh_from_db()
    assert meeting.reminded_15m_at == start - QUARTER


def test_a_late_run_still_sends_the_due_reminder_once(host_team, customer, time_machine):
    team, _ = host_team
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    # The beat was down the whole day before: the 24-hour one goes out late, once...
    assert _send_at(time_machine, meeting.starts_at - datetime.timedelta(hours=3)) == 1
    assert _send_at(time_machine, meeting.starts_at - datetime.timedelta(hours=2)) == 0
    # ... and inside the last 15 minutes only the 15-minute one is due.
    other = book_enquiry(team, customer=CustomerFactory(), starts_at=at(THU, 10))
    assert _send_at(time_machine, other.starts_at - datetime.timedelta(minutes=5)) == 1
    assert [when for _, when in _reminders(other)] == ["15m", "15m"]


def test_no_reminders_for_cancelled_meetings(host_team, customer, time_machine):
    team, host = host_team
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    services.meeting_cancel(actor=host.user, meeting=meeting, reason="Host unavailable")
    assert _send_at(time_machine, meeting.starts_at - DAY) == 0
    assert _send_at(time_machine, meeting.starts_at - QUARTER) == 0
    assert _reminders() == []


def test_a_cancel_after_the_first_reminder_stops_the_second(host_team, customer, time_machine):
    team, _ = host_team
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert _send_at(time_machine, meeting.starts_at - DAY) == 1
    services.meeting_cancel(actor=customer, meeting=meeting)
    assert _send_at(time_machine, meeting.starts_at - QUARTER) == 0
    assert len(_reminders()) == 2


def test_a_reschedule_rearms_the_reminders(host_team, customer, time_machine):
    team, host = host_team
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert _send_at(time_machine, meeting.starts_at - DAY) == 1

    moved = services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(THU, 10))
    assert (moved.reminded_24h_at, moved.reminded_15m_at) == (None, None)
    assert services.reminders_send() == 0  # the new time is two days away
    assert _send_at(time_machine, at(WED, 10) - QUARTER) == 0  # nothing at the old time

    assert _send_at(time_machine, at(THU, 10) - DAY) == 1
    assert _send_at(time_machine, at(THU, 10) - QUARTER) == 1
    assert [when for _, when in _reminders()] == ["24h"] * 4 + ["15m"] * 2
    assert _reminders()[-2:] == [(customer, "15m"), (host.user, "15m")]


def test_session_reminders_go_to_the_registrants_and_the_host(db, time_machine):
    _, host = team_with_host()
    session = session_by(host.user, starts_at=at(WED, 10))
    registrants = [CustomerFactory(), CustomerFactory()]
    for person in registrants:
        services.session_register(actor=person, session=session)
    CustomerFactory()  # not registered: hears nothing

    assert _send_at(time_machine, session.starts_at - DAY) == 1
    sent = _reminders(session)
    assert len(sent) == 3
    assert set(sent) == {(p, "24h") for p in registrants} | {(host.user, "24h")}
    assert _send_at(time_machine, session.starts_at - QUARTER) == 1
    assert {r for r, when in _reminders(session) if when == "15m"} == {*registrants, host.user}


def test_reminder_emails_render(
    host_team, customer, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    team, host = host_team
    # The invitation is delivered first: a reminder never overtakes it.
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    mailoutbox.clear()
    time_machine.move_to(meeting.starts_at - DAY, tick=False)
    services.reminders_send()
    for notification in Notification.objects.filter(kind="meeting_reminder"):
        assert notification_deliver(notification_id=notification.pk)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([customer.email, host.user.email])
    for message in mailoutbox:
        # The date in the one long format of the recipient's language (portal_format).
        assert "4 مارس 2026، 10:00" in message.subject or "4 March 2026, 10:00" in message.subject
        assert meeting.reference in message.body
        assert "{{" not in message.body


def test_the_beat_task_returns_the_count(host_team, customer, other_customer, time_machine):
    team, _ = host_team
    book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    book_enquiry(team, customer=other_customer, starts_at=at(WED, 11, 20))
    time_machine.move_to(at(WED, 12) - DAY, tick=False)
    assert send_reminders.apply().get() == 2
    assert send_reminders.apply().get() == 0
