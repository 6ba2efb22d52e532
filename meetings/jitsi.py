"""The video room: Jitsi Meet embedded with its IFrame API, a signed JWT per participant."""

import datetime

import jwt
from django.conf import settings
from django.utils import timezone

from accounts.roles import is_staff_member
from meetings.models import Meeting


def jwt_enabled() -> bool:
    return bool(settings.JITSI_APP_ID and settings.JITSI_APP_SECRET)


# The room stays open this long after the planned end: meetings run over, and a participant's
# "left" event comes after the meeting. One window for everything that asks whether the room is
# open: the page, the attendance service (and so the API's allowed actions) and the JWT.
ROOM_GRACE = datetime.timedelta(hours=1)


def room_opens_at(meeting: Meeting) -> datetime.datetime:
    return meeting.starts_at - datetime.timedelta(minutes=settings.MEETING_ROOM_OPENS_MINUTES)


def room_closes_at(meeting: Meeting) -> datetime.datetime:
    return meeting.ends_at + ROOM_GRACE


def room_is_open(meeting: Meeting, *, now: datetime.datetime | None = None) -> bool:
    """A live meeting's room, between its opening and its closing."""
    now = now or timezone.now()
    return meeting.status in Meeting.LIVE and (
        room_opens_at(meeting) <= now <= room_closes_at(meeting)
    )


def room_token(*, meeting: Meeting, user) -> str | None:
    """A JWT (HS256) for this user and this one room, valid exactly while the room is open
    (room_opens_at to room_closes_at); staff are moderators ("owner"), customers members.
    None when no app id and secret are configured (the Jitsi server then runs without
    authentication)."""
    if not jwt_enabled():
        return None
    moderator = is_staff_member(user)
    now = timezone.now()
    payload = {
        "iss": settings.JITSI_APP_ID,
        "aud": "jitsi",
        "sub": settings.JITSI_JWT_SUBJECT,
        "room": meeting.room_name,
        "iat": int(now.timestamp()),
        "nbf": int(room_opens_at(meeting).timestamp()),
        "exp": int(room_closes_at(meeting).timestamp()),
        "context": {
            "user": {
                "id": str(user.pk),
                "name": user.full_name or user.email,
                "email": user.email,
                "moderator": moderator,
                "affiliation": "owner" if moderator else "member",
            }
        },
    }
    return jwt.encode(payload, settings.JITSI_APP_SECRET, algorithm="HS256")
