"""iCalendar invitations (RFC 5545 / iTIP): the UID stays the same across reschedules and the
SEQUENCE grows, so calendars update the one event; times carry the Asia/Dubai VTIMEZONE."""

from email.utils import parseaddr
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from meetings.models import Meeting
from meetings.selectors import DUBAI


def meeting_url(meeting: Meeting) -> str:
    return settings.SITE_URL + reverse("meetings:detail", args=[meeting.pk])


def _address(email: str, name: str, role: str | None = "REQ-PARTICIPANT") -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name or email)
    if role:
        address.params["role"] = vText(role)
    return address


def _organizer(meeting: Meeting) -> vCalAddress:
    """The host owns the event (or the department's configured calendar account): calendars
    accept a CANCEL or an update only from the invitation's ORGANIZER, and a reply to
    no-reply@localhost reaches no one."""
    if settings.MEETING_ORGANIZER_EMAIL:
        name, email = parseaddr(settings.MEETING_ORGANIZER_EMAIL)
        return _address(email, name or settings.DEPARTMENT_NAME_EN, role=None)
    return _address(meeting.host.email, meeting.host.full_name, role=None)


def meeting_ics(*, meeting: Meeting, attendees: list, method: str = "REQUEST") -> str:
    """The invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL) of a meeting."""
    calendar = Calendar()
    calendar.add("prodid", "-//Public Works e-Services//Meetings//AR-EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    event.add("uid", f"{meeting.ics_uid}@{host}")
    event.add("sequence", meeting.ics_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at.astimezone(DUBAI))
    event.add("dtend", meeting.ends_at.astimezone(DUBAI))
    title_ar = meeting.title_ar or f"اجتماع مرئي {meeting.reference}"
    title_en = meeting.title_en or f"Video meeting {meeting.reference}"
    event.add("summary", f"{title_ar} | {title_en}")
    link = meeting_url(meeting)
    event.add("description", f"{meeting.agenda}\n\n{link}".strip())
    event.add("location", link)
    event.add("url", link)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", _organizer(meeting))
    event.add("attendee", _address(meeting.host.email, meeting.host.full_name, "CHAIR"))
    for person in attendees:
        event.add("attendee", _address(person.email, person.full_name))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def ics_attachment(*, meeting: Meeting, attendees: list, method: str = "REQUEST") -> dict:
    return {
        "filename": "cancel.ics" if method == "CANCEL" else "invite.ics",
        "content": meeting_ics(meeting=meeting, attendees=attendees, method=method),
        # No charset here: Django adds charset="utf-8" itself, and twice is an invalid header.
        "mimetype": f"text/calendar; method={method}",
    }
