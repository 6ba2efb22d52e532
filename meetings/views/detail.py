"""The meeting page, for its participants and staff: what it is about, the video room, and the
actions of the customer (reschedule, cancel, rate) and of the host (minutes, no-show, cancel).
Each POST validates one form, calls one service and redirects back; a DomainError raised by a
service becomes a message (portal.middleware.DomainErrorMiddleware)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.roles import is_staff_member
from meetings import services
from meetings.forms import CancelForm, MinutesForm, RatingForm, RescheduleForm
from meetings.ics import meeting_ics
from meetings.jitsi import room_closes_at, room_opens_at, room_token
from meetings.models import Meeting
from meetings.selectors import (
    free_slots,
    host_profile_for,
    meeting_attachments,
    meeting_get_for_user,
    meeting_is_participant,
)
from meetings.views._common import booking_window
from portal.decorators import post_only
from portal.middleware import allow_video_frame

M = Meeting.Status


@dataclass
class Room:
    state: str  # waiting | open | closed
    opens_at: datetime.datetime
    domain: str
    name: str
    token: str | None = None

    @property
    def direct_link(self) -> str:
        link = f"https://{self.domain}/{self.name}"
        return f"{link}?jwt={self.token}" if self.token else link


def _room(meeting: Meeting, user, *, participant: bool) -> Room | None:
    """The video room for a participant of a live meeting; staff who only look at the meeting
    do not get one (their join would not be theirs to record)."""
    if not participant or meeting.status not in Meeting.LIVE:
        return None
    now = timezone.now()
    opens = room_opens_at(meeting)
    if now < opens:
        state = "waiting"
    elif now <= room_closes_at(meeting):
        state = "open"
    elif meeting.status == M.HELD:
        return None  # over and done: the minutes say the rest
    else:
        state = "closed"
    return Room(
        state=state,
        opens_at=opens,
        domain=settings.JITSI_DOMAIN,
        name=meeting.room_name,
        token=room_token(meeting=meeting, user=user) if state == "open" else None,
    )


def _attendance(meeting: Meeting) -> list[dict]:
    """Who joined, when, and for how long in all (their stays added up)."""
    people: dict[int, dict] = {}
    for stay in meeting.attendance.select_related("user"):
        row = people.setdefault(
            stay.user_id, {"user": stay.user, "first": stay.joined_at, "seconds": 0, "stays": 0}
        )
        row["seconds"] += stay.seconds
        row["stays"] += 1
    for row in people.values():
        row["minutes"] = round(row["seconds"] / 60)
    return list(people.values())


def _reschedule_slots(meeting: Meeting) -> list[datetime.datetime]:
    profile = host_profile_for(user=meeting.host)
    if profile is None:
        return []
    day_from, day_to = booking_window()
    return list(free_slots(hosts=[profile], day_from=day_from, day_to=day_to, ignore=meeting))


def _allowed(meeting: Meeting, user) -> list[str]:
    """The page's actions (its forms) that the services accept now: services.allowed_actions
    (the room and unregistering have their own controls)."""
    return [a for a in services.allowed_actions(user=user, meeting=meeting) if a in ACTIONS]


def _form(action: str, meeting: Meeting, user, data=None) -> forms.Form:
    kwargs = {"prefix": action, "data": data}
    if action == "reschedule":
        return RescheduleForm(slots=_reschedule_slots(meeting), **kwargs)
    if action == "cancel":
        return CancelForm(reason_required=is_staff_member(user), **kwargs)
    if action == "minutes":
        return MinutesForm(**kwargs)
    if action == "rate":
        return RatingForm(**kwargs)
    return forms.Form(**kwargs)


def _render(
    request: HttpRequest,
    meeting: Meeting,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    staff = is_staff_member(user)
    participant = meeting_is_participant(user=user, meeting=meeting)
    allowed = _allowed(meeting, user)
    bound = bound or {}
    forms_ = {
        f"{action.replace('-', '_')}_form": bound.get(action) or _form(action, meeting, user)
        for action in allowed
    }
    room = _room(meeting, user, participant=participant)
    context = {
        "meeting": meeting,
        "viewer_is_staff": staff,
        "is_host": meeting.host_id == user.pk,
        "is_customer": meeting.customer_id == user.pk,
        "participant": participant,
        "allowed": allowed,
        "attachments": meeting_attachments(meeting=meeting),
        "room": room,
        "lang": "ar" if (get_language() or "ar").startswith("ar") else "en",
        "JITSI_DOMAIN": settings.JITSI_DOMAIN,
        # The attendance endpoint of the meetings API (session-authenticated, CSRF header).
        "attendance_url": reverse("api:meeting-attendance", args=[meeting.pk]),
        "attendance": _attendance(meeting) if staff else [],
        "registrations": (
            list(meeting.registrations.select_related("customer"))
            if staff and meeting.kind == Meeting.Kind.SESSION
            else []
        ),
        "invalid": bool(bound),
        **forms_,
    }
    response = render(request, "meetings/detail.html", context, status=status)
    if room and room.state == "open":
        # Only this page, and only while its room is open, may load the Jitsi IFrame API and
        # frame the Jitsi server (settings.CONTENT_SECURITY_POLICY allows neither elsewhere).
        origin = f"https://{settings.JITSI_DOMAIN}"
        allow_video_frame(response, origin=origin, script=f"{origin}/external_api.js")
    return response


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, meeting_get_for_user(user=request.user, pk=pk))


@login_required
def meeting_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting as an iCalendar file, with the one customer it is about (a session's
    registrants do not see each other's addresses)."""
    meeting = meeting_get_for_user(user=request.user, pk=pk)
    attendees = [meeting.customer] if meeting.customer_id else []
    if meeting.kind == Meeting.Kind.SESSION and not is_staff_member(request.user):
        attendees = [request.user]
    method = "CANCEL" if meeting.status == M.CANCELLED else "REQUEST"
    response = HttpResponse(
        meeting_ics(meeting=meeting, attendees=attendees, method=method),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{meeting.reference}.ics"'
    return response


# Each action: the service call, given the request, the meeting and its cleaned form, returning
# the success message.
def _reschedule(request, meeting, form):
    moved = services.meeting_reschedule(
        actor=request.user, meeting=meeting, starts_at=form.cleaned_data["starts_at"]
    )
    return _("Your meeting has been moved to %(when)s (Dubai time).") % {
        "when": timezone.localtime(moved.starts_at).strftime("%Y-%m-%d %H:%M")
    }


def _cancel(request, meeting, form):
    services.meeting_cancel(actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"])
    return _("The meeting has been cancelled.")


def _minutes(request, meeting, form):
    services.meeting_record_minutes(
        actor=request.user,
        meeting=meeting,
        minutes=form.cleaned_data["minutes"],
        outcome=form.cleaned_data["outcome"],
        follow_up=form.cleaned_data["follow_up"],
    )
    return _("The minutes have been recorded.")


def _no_show(request, meeting, form):
    services.meeting_mark_no_show(actor=request.user, meeting=meeting)
    return _("The meeting has been recorded as not attended.")


def _rate(request, meeting, form):
    services.meeting_rate(
        actor=request.user,
        meeting=meeting,
        rating=form.cleaned_data["rating"],
        comment=form.cleaned_data["comment"],
    )
    return _("Thank you for your rating.")


ACTIONS: dict[str, Callable[[HttpRequest, Meeting, forms.Form], str]] = {
    "reschedule": _reschedule,
    "cancel": _cancel,
    "minutes": _minutes,
    "no-show": _no_show,
    "rate": _rate,
}


@post_only("meetings:detail")
@login_required
def meeting_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    meeting = meeting_get_for_user(user=request.user, pk=pk)
    form = _form(action, meeting, request.user, data=request.POST)
    if not form.is_valid():
        return _render(request, meeting, bound={action: form}, status=400)
    messages.success(request, handler(request, meeting, form))
    return redirect("meetings:detail", pk=meeting.pk)
