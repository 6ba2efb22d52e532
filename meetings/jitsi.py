"""The video room: Jitsi Meet embedded with its IFrame API, a signed JWT per participant."""

import datetime

import jwt
from django.conf import settings
from django.utils import timezone

from accounts.roles import is_staff_member
from meetings.models import Meeting


def jwt_enabled() -> bool:
    return bool(settings.JITSI_APP_ID and settings.JITSI_APP_SECRET)


def room_opens_at(meeting: Meeting) -> datetime.datetime:
    return meeting.starts_at - datetime.timedelta(minutes=settings.MEETING_ROOM_OPENS_MINUTES)


def room_token(*, meeting: Meeting, user) -> str | None:
    """A JWT (HS256) for this user and this one room, valid from shortly before the meeting to
    an hour after its end; staff are moderators ("owner"), customers members. None when no
    app id and secret are configured (the Jitsi server then runs without authentication)."""
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
        "nbf": int((room_opens_at(meeting) - datetime.timedelta(minutes=5)).timestamp()),
        "exp": int((meeting.ends_at + datetime.timedelta(hours=1)).timestamp()),
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
