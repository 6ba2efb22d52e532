"""The Jitsi room: one signed JWT (HS256) per participant for that one room, valid from just
before the room opens until after the end; staff are moderators ("owner"), customers members;
no token without a secret; room names nobody can guess."""

import datetime
import re

import jwt
import pytest

from meetings.jitsi import jwt_enabled, room_closes_at, room_opens_at, room_token
from meetings.selectors import DUBAI
from tests.meetings.factories import at, book_enquiry, meeting_row, team_with_host

APP_ID = "pwd-portal"
SECRET = "a-long-test-secret-for-hs256-signatures"
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)
WED = NOW.date() + datetime.timedelta(days=2)


@pytest.fixture(autouse=True)
def jitsi(settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.JITSI_APP_ID = APP_ID
    settings.JITSI_APP_SECRET = SECRET
    settings.JITSI_JWT_SUBJECT = "meet.example.ae"
    settings.MEETING_ROOM_OPENS_MINUTES = 10
    return settings


@pytest.fixture
def meeting(db, customer):
    team, _ = team_with_host()
    return book_enquiry(team, customer=customer, starts_at=at(WED, 10))


def _decode(token: str, *, secret=SECRET) -> dict:
    # Checked as the Jitsi server would, now (time_machine moves PyJWT's clock too).
    return jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        audience="jitsi",
        issuer=APP_ID,
        options={"require": ["iss", "aud", "sub", "room", "nbf", "exp"]},
    )


def test_the_hosts_token_makes_them_the_moderator(meeting, time_machine):
    token = room_token(meeting=meeting, user=meeting.host)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    time_machine.move_to(meeting.starts_at, tick=False)
    claims = _decode(token)

    assert claims["iss"] == APP_ID
    assert claims["aud"] == "jitsi"
    assert claims["sub"] == "meet.example.ae"
    assert claims["room"] == meeting.room_name
    # Valid exactly while the room is open (the page and the attendance service's window).
    assert claims["nbf"] == room_opens_at(meeting).timestamp() < meeting.starts_at.timestamp()
    assert claims["exp"] == room_closes_at(meeting).timestamp() > meeting.ends_at.timestamp()
    assert claims["context"]["user"] == {
        "id": str(meeting.host.pk),
        "name": meeting.host.full_name,
        "email": meeting.host.email,
        "moderator": True,
        "affiliation": "owner",
    }


def test_the_customers_token_makes_them_a_member(meeting, customer, time_machine):
    token = room_token(meeting=meeting, user=customer)
    time_machine.move_to(meeting.starts_at, tick=False)
    user = _decode(token)["context"]["user"]
    assert user["id"] == str(customer.pk)
    assert user["name"] == customer.full_name == "سارة المهيري"
    assert user["email"] == customer.email
    assert user["moderator"] is False
    assert user["affiliation"] == "member"


def test_other_staff_are_moderators_too(meeting, agent, time_machine):
    token = room_token(meeting=meeting, user=agent)
    time_machine.move_to(meeting.starts_at, tick=False)
    user = _decode(token)["context"]["user"]
    assert (user["moderator"], user["affiliation"]) == (True, "owner")


def test_the_token_is_valid_only_around_the_meeting(meeting, customer, time_machine):
    token = room_token(meeting=meeting, user=customer)
    opens = room_opens_at(meeting)
    assert opens == meeting.starts_at - datetime.timedelta(minutes=10)
    time_machine.move_to(opens - datetime.timedelta(minutes=6), tick=False)
    with pytest.raises(jwt.ImmatureSignatureError):
        _decode(token)
    time_machine.move_to(opens, tick=False)  # the room opens: the token works
    assert _decode(token)["room"] == meeting.room_name
    time_machine.move_to(meeting.ends_at + datetime.timedelta(minutes=59), tick=False)
    assert _decode(token)["room"] == meeting.room_name
    time_machine.move_to(meeting.ends_at + datetime.timedelta(hours=1, minutes=1), tick=False)
    with pytest.raises(jwt.ExpiredSignatureError):
        _decode(token)


def test_the_token_is_signed_with_the_configured_secret(meeting, customer, time_machine):
    token = room_token(meeting=meeting, user=customer)
    time_machine.move_to(meeting.starts_at, tick=False)
    with pytest.raises(jwt.InvalidSignatureError):
        _decode(token, secret="another-secret-of-the-same-length-abcdefgh")
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, SECRET, algorithms=["HS256"], audience="other")


def test_no_token_without_an_app_id_and_secret(meeting, customer, settings):
    settings.JITSI_APP_SECRET = ""
    assert not jwt_enabled()
    assert room_token(meeting=meeting, user=customer) is None
    settings.JITSI_APP_SECRET, settings.JITSI_APP_ID = SECRET, ""
    assert room_token(meeting=meeting, user=meeting.host) is None
    settings.JITSI_APP_ID = APP_ID
    assert jwt_enabled()


def test_room_names_are_long_random_and_differ_per_meeting(db):
    _, host = team_with_host()
    meetings = [
        meeting_row(host.user, starts_at=at(WED, 8) + datetime.timedelta(hours=i))
        for i in range(40)
    ]
    names = [m.room_name for m in meetings]
    assert len(set(names)) == len(names)
    for meeting in meetings:
        # Safe in a URL, and nothing in it comes from the meeting itself.
        assert re.fullmatch(r"pwd-[a-z0-9]{24}", meeting.room_name)
        assert meeting.reference.lower() not in meeting.room_name
        assert str(meeting.pk) != meeting.room_name.removeprefix("pwd-")
    # No shared stem: any two names differ in most positions.
    for a, b in zip(names, names[1:], strict=False):
        assert sum(x != y for x, y in zip(a[4:], b[4:], strict=True)) >= 12
