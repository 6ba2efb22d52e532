"""The calendar invitations (.ics): they parse, carry METHOD, the Asia/Dubai VTIMEZONE and local
times, the meeting link; one UID for the life of a meeting with a growing SEQUENCE; and they
travel as text/calendar attachments of the booking, reschedule and cancel e-mails."""

import datetime

import pytest
from django.conf import settings
from django.utils import translation
from icalendar import Calendar

from meetings import services
from meetings.ics import meeting_ics, meeting_url
from meetings.selectors import DUBAI
from portal.models import Notification
from tests.factories import CustomerFactory
from tests.meetings.factories import at, book_about, book_enquiry, session_by, team_with_host

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
WED = NOW.date() + datetime.timedelta(days=2)
THU = NOW.date() + datetime.timedelta(days=3)


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _calendar(notification: Notification) -> Calendar:
    [attachment] = notification.attachments
    return Calendar.from_ical(attachment["content"])


def _event(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def _sent(kind: str, recipient) -> Notification:
    return Notification.objects.filter(kind=kind, recipient=recipient).latest("pk")


def _attendees(event) -> set[str]:
    values = event.get("attendee")
    values = values if isinstance(values, list) else [values]
    return {str(v).removeprefix("mailto:") for v in values}


def test_the_invitation_parses_with_dubai_time_and_the_link(db, remarked, people, customer):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    calendar = _calendar(_sent("meeting_booked", customer))

    assert str(calendar["method"]) == "REQUEST"
    assert str(calendar["version"]) == "2.0"
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["tzid"]) == "Asia/Dubai"
    event = _event(calendar)
    assert event["dtstart"].params["TZID"] == "Asia/Dubai"
    assert event["dtend"].params["TZID"] == "Asia/Dubai"
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert (start.hour, start.minute, start.date()) == (10, 0, WED)  # the booked local time
    assert start.utcoffset() == datetime.timedelta(hours=4)
    assert start == meeting.starts_at and end == meeting.ends_at
    assert "DTSTART;TZID=Asia/Dubai:20260304T100000" in calendar.to_ical().decode()
    with translation.override(customer.preferred_language):  # links in the recipient's language
        link = meeting_url(meeting)
    assert link.startswith(settings.SITE_URL)
    assert link.endswith(f"/{customer.preferred_language}/meetings/{meeting.pk}/")
    assert str(event["url"]) == str(event["location"]) == link
    assert link in str(event["description"])
    assert "Discuss it" in str(event["description"])
    assert str(event["uid"]).startswith(str(meeting.ics_uid))
    assert int(event["sequence"]) == 0
    assert str(event["status"]) == "CONFIRMED"
    assert remarked.reference in str(event["summary"])
    assert _attendees(event) == {customer.email, people.reviewer.email}
    # The host owns the event: not no-reply@localhost, whom no calendar can answer.
    assert str(event["organizer"]) == f"mailto:{people.reviewer.email}"
    assert str(event["organizer"].params["cn"]) == people.reviewer.full_name


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence(db, customer):
    team, host = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    first = _event(_calendar(_sent("meeting_booked", customer)))

    services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(THU, 14))

    for person in (customer, host.user):
        calendar = _calendar(_sent("meeting_rescheduled", person))
        assert str(calendar["method"]) == "REQUEST"
        moved = _event(calendar)
        assert str(moved["uid"]) == str(first["uid"])
        assert int(moved["sequence"]) == 1 > int(first["sequence"])
        assert moved.decoded("dtstart") == at(THU, 14)
        assert moved["dtstart"].params["TZID"] == "Asia/Dubai"


def test_a_cancel_sends_method_cancel_with_the_same_uid_and_a_higher_sequence(db, customer):
    team, host = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(THU, 14))
    moved = _event(_calendar(_sent("meeting_rescheduled", host.user)))

    services.meeting_cancel(actor=customer, meeting=meeting, reason="Sorted out")

    notification = _sent("meeting_cancelled", host.user)
    assert notification.attachments[0]["filename"] == "cancel.ics"
    assert notification.attachments[0]["mimetype"].startswith("text/calendar; method=CANCEL")
    calendar = _calendar(notification)
    assert str(calendar["method"]) == "CANCEL"
    cancelled = _event(calendar)
    assert str(cancelled["uid"]) == str(moved["uid"])
    assert int(cancelled["sequence"]) == 2 > int(moved["sequence"])
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled.decoded("dtstart") == at(THU, 14)
    # The customer who cancelled gets it too: it takes the event out of their calendar.
    mine = _event(_calendar(_sent("meeting_cancelled", customer)))
    assert (str(mine["uid"]), int(mine["sequence"])) == (str(moved["uid"]), 2)


def test_the_uid_differs_per_meeting(db, customer, other_customer):
    team, _ = team_with_host()
    a = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    b = book_enquiry(team, customer=other_customer, starts_at=at(WED, 11, 20))
    uid_a = _event(_calendar(_sent("meeting_booked", customer)))["uid"]
    uid_b = _event(_calendar(_sent("meeting_booked", other_customer)))["uid"]
    assert a.ics_uid != b.ics_uid and str(uid_a) != str(uid_b)


def test_the_invitation_is_stable_for_one_state(db, customer):
    team, host = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    once = meeting_ics(meeting=meeting, attendees=[customer])
    assert meeting_ics(meeting=meeting, attendees=[customer]) == once  # time is frozen
    assert "METHOD:CANCEL" in meeting_ics(meeting=meeting, attendees=[customer], method="CANCEL")


def test_the_booking_email_carries_the_invitation_to_customer_and_host(
    db, customer, mailoutbox, django_capture_on_commit_callbacks
):
    team, host = team_with_host()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))

    assert sorted(m.to[0] for m in mailoutbox) == sorted([customer.email, host.user.email])
    for message in mailoutbox:
        parts = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
        [part] = parts
        assert part.get_param("method") == "REQUEST"
        assert part.get_filename() == "invite.ics"
        assert part.get_content_disposition() == "attachment"
        # One charset parameter: a repeated one makes the header invalid.
        assert str(part["Content-Type"]).lower().count("charset") == 1
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        event = _event(calendar)
        assert str(calendar["method"]) == "REQUEST"
        assert str(event["uid"]).startswith(str(meeting.ics_uid))
        assert event.decoded("dtstart") == at(WED, 10)


def test_the_cancel_email_carries_a_cancel_invitation(
    db, customer, mailoutbox, django_capture_on_commit_callbacks
):
    team, host = team_with_host()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    mailoutbox.clear()  # the invitations went out first: a CANCEL never overtakes them
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(actor=host.user, meeting=meeting, reason="Host unavailable")
    assert sorted(m.to[0] for m in mailoutbox) == sorted([customer.email, host.user.email])
    for message in mailoutbox:
        [part] = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == "CANCEL"
        assert part.get_filename() == "cancel.ics"
        assert str(Calendar.from_ical(part.get_payload(decode=True))["method"]) == "CANCEL"


@pytest.mark.parametrize("who", ["customer", "host"])
def test_whoever_cancels_gets_the_cancel_like_everyone_who_got_the_request(db, customer, who):
    """Item 5: the actor was dropped and kept the event in their calendar."""
    team, host = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    invited = set(
        Notification.objects.filter(kind="meeting_booked").values_list("recipient", flat=True)
    )
    actor = customer if who == "customer" else host.user

    services.meeting_cancel(actor=actor, meeting=meeting, reason="Not needed")

    told = Notification.objects.filter(kind="meeting_cancelled")
    assert set(told.values_list("recipient", flat=True)) == invited == {customer.pk, host.user.pk}
    for notification in told:
        assert str(_calendar(notification)["method"]) == "CANCEL"


def test_the_host_who_cancels_a_session_gets_the_cancel_too(db, customer):
    _, host = team_with_host()
    session = session_by(host.user, starts_at=at(WED, 10))
    services.session_register(actor=customer, session=session)

    services.meeting_cancel(actor=host.user, meeting=session, reason="Postponed")

    told = Notification.objects.filter(kind="meeting_cancelled")
    assert set(told.values_list("recipient", flat=True)) == {customer.pk, host.user.pk}


def test_the_organizer_is_the_host_or_the_configured_calendar(db, customer, settings):
    team, host = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    event = _event(Calendar.from_ical(meeting_ics(meeting=meeting, attendees=[customer])))
    assert str(event["organizer"]) == f"mailto:{host.user.email}"
    assert "no-reply@localhost" not in meeting_ics(meeting=meeting, attendees=[customer])

    settings.MEETING_ORGANIZER_EMAIL = "Meetings Desk <meetings@pwd.example.ae>"
    event = _event(Calendar.from_ical(meeting_ics(meeting=meeting, attendees=[customer])))
    assert str(event["organizer"]) == "mailto:meetings@pwd.example.ae"
    assert str(event["organizer"].params["cn"]) == "Meetings Desk"


def test_a_session_invitation_names_only_its_recipient(db, customer, other_customer):
    _, host = team_with_host()
    session = session_by(host.user, starts_at=at(WED, 10))
    third = CustomerFactory()
    for person in (customer, other_customer, third):
        services.session_register(actor=person, session=session)

    # Registrants must not learn each other's e-mail addresses from the invitation.
    latest = _event(_calendar(_sent("session_registered", third)))
    assert _attendees(latest) == {host.user.email, third.email}
    services.meeting_cancel(actor=host.user, meeting=session, reason="Postponed")
    for person in (customer, other_customer, third):
        event = _event(_calendar(_sent("meeting_cancelled", person)))
        assert _attendees(event) == {host.user.email, person.email}
        assert str(event["summary"]) == "كيف تشارك في المناقصات | How to take part in tenders"
