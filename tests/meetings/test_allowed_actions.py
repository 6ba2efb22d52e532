"""One rule, one place (STYLE 16): for every meeting status and time case × persona, what the
page and the API offer (services.allowed_actions) is exactly what the services accept. Also the
staff reach of item 15: a meeting is its host's, the host's team supervisor's and the
administrators' — other staff neither see nor cancel it."""

import datetime
import re
from collections.abc import Callable

import jwt
import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction as db_transaction
from django.http import Http404
from rest_framework.test import APIClient

from meetings import services
from meetings.jitsi import room_closes_at, room_opens_at, room_token
from meetings.models import Meeting
from meetings.selectors import DUBAI, meetings_visible_to
from portal.errors import DomainError
from tests.factories import CustomerFactory
from tests.meetings.factories import (
    at,
    book_about,
    book_enquiry,
    session_by,
    take_to,
    team_with_host,
)
from tests.transactions.factories import transaction_at

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
MON = NOW.date()
TUE, WED = MON + datetime.timedelta(days=1), MON + datetime.timedelta(days=2)
FRI = MON + datetime.timedelta(days=4)
MINUTE = datetime.timedelta(minutes=1)
PAGE_ACTIONS = {"reschedule", "cancel", "minutes", "no-show", "rate"}
PERSONAS = ["customer", "other_customer", "host", "other_staff", "supervisor", "admin"]


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def persons(people, customer, other_customer, agent, supervisor, admin_user):
    return {
        "customer": customer,
        "other_customer": other_customer,
        "host": people.reviewer,
        "other_staff": agent,  # staff, but neither the host, their supervisor nor an admin
        "supervisor": supervisor,
        "admin": admin_user,
    }


# --- the cases: a meeting in a status, seen at a moment ----------------------------------------


def _appointment(remarked, customer, time_machine, status=None, rated=False):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))  # 10:00–10:30
    if status:
        take_to(meeting, status, time_machine=time_machine)
    if rated:
        time_machine.move_to(at(WED, 11), tick=False)
        services.meeting_rate(actor=customer, meeting=meeting, rating=3)
    return meeting


def _session(remarked, customer, time_machine, status=None, **_):
    session = session_by(remarked.assignee, starts_at=at(WED, 13))
    services.session_register(actor=customer, session=session)
    if status == Meeting.Status.CANCELLED:
        services.meeting_cancel(actor=session.host, meeting=session, reason="Hall unavailable")
    return session


H = Meeting.Status
CASES: dict[str, tuple[Callable, dict, datetime.datetime]] = {
    "scheduled, days ahead": (_appointment, {}, NOW),
    "scheduled, inside the notice": (_appointment, {}, at(TUE, 11)),
    "scheduled, room open before the start": (_appointment, {}, at(WED, 9, 55)),
    "scheduled, started": (_appointment, {}, at(WED, 10, 5)),
    "scheduled, room closed": (_appointment, {}, at(WED, 11, 31)),
    "held, room still open": (_appointment, {"status": H.HELD}, at(WED, 10, 20)),
    "held, later": (_appointment, {"status": H.HELD}, at(WED, 14)),
    "held and rated": (_appointment, {"status": H.HELD, "rated": True}, at(WED, 14)),
    "no-show": (_appointment, {"status": H.NO_SHOW}, at(WED, 10, 20)),
    "cancelled": (_appointment, {"status": H.CANCELLED}, NOW),
    "session, days ahead": (_session, {}, NOW),
    "session, started": (_session, {}, at(WED, 13, 5)),
    "session, cancelled": (_session, {"status": H.CANCELLED}, NOW),
}


# --- each action through its service, with valid input -------------------------------------------

ATTEMPTS: dict[str, Callable] = {
    "reschedule": lambda user, m: services.meeting_reschedule(
        actor=user, meeting=m, starts_at=at(FRI, 10)
    ),
    "cancel": lambda user, m: services.meeting_cancel(actor=user, meeting=m, reason="A reason"),
    "minutes": lambda user, m: services.meeting_record_minutes(
        actor=user, meeting=m, minutes="Talked it through.", outcome="resolved"
    ),
    "no-show": lambda user, m: services.meeting_mark_no_show(actor=user, meeting=m),
    "rate": lambda user, m: services.meeting_rate(actor=user, meeting=m, rating=3),
    "attendance": lambda user, m: services.attendance_record(actor=user, meeting=m, event="joined"),
    "unregister": lambda user, m: services.session_unregister(actor=user, session=m),
}


class _Undo(Exception):
    """Rolls back an accepted attempt, so each action is tried on the same state."""


def _accepted(action: str, user, meeting: Meeting) -> bool:
    try:
        with db_transaction.atomic():
            ATTEMPTS[action](user, Meeting.objects.get(pk=meeting.pk))
            raise _Undo
    except _Undo:
        return True
    except (PermissionDenied, DomainError, Http404):
        return False


def _api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_every_action_is_named_and_tried():
    assert set(ATTEMPTS) == set(services.MEETING_ACTIONS)


@pytest.mark.parametrize("case", list(CASES))
def test_offered_is_exactly_what_the_services_accept(
    case, remarked, customer, persons, client, time_machine
):
    build, options, moment = CASES[case]
    meeting = build(remarked, customer, time_machine, **options)
    time_machine.move_to(moment, tick=False)
    for persona in PERSONAS:
        user = persons[persona]
        offered = services.allowed_actions(user=user, meeting=Meeting.objects.get(pk=meeting.pk))
        accepted = [a for a in services.MEETING_ACTIONS if _accepted(a, user, meeting)]
        assert offered == accepted, (case, persona)

        # The API and the page show the same list (the page: its own forms of it).
        visible = meetings_visible_to(user=user).filter(pk=meeting.pk).exists()
        response = _api(user).get(f"/api/v1/meetings/{meeting.pk}/")
        client.force_login(user)
        page = client.get(f"/en/meetings/{meeting.pk}/")
        if not visible:
            assert offered == [], (case, persona)
            assert (response.status_code, page.status_code) == (404, 404), (case, persona)
            continue
        assert response.json()["allowed_actions"] == offered, (case, persona)
        on_page = set(re.findall(r'data-action="([a-z-]+)"', page.content.decode()))
        assert on_page == set(offered) & PAGE_ACTIONS, (case, persona)


# --- the rules that had drifted ------------------------------------------------------------------


def test_inside_the_notice_the_customer_is_offered_no_change(
    remarked, customer, client, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    client.force_login(customer)
    time_machine.move_to(at(TUE, 10, 1), tick=False)  # 23h59 before: inside the 24h notice
    html = client.get(f"/en/meetings/{meeting.pk}/").content.decode()
    body = _api(customer).get(f"/api/v1/meetings/{meeting.pk}/").json()
    assert 'data-action="reschedule"' not in html and 'data-action="cancel"' not in html
    assert 'data-testid="too-late"' in html
    assert body["allowed_actions"] == []


ROOM_MOMENTS = {
    "a minute before the opening": (lambda m: room_opens_at(m) - MINUTE, False),
    "a minute after the opening": (lambda m: room_opens_at(m) + MINUTE, True),
    "45 minutes after the end": (lambda m: m.ends_at + 45 * MINUTE, True),
    "a minute before the closing": (lambda m: room_closes_at(m) - MINUTE, True),
    "a minute after the closing": (lambda m: room_closes_at(m) + MINUTE, False),
}


@pytest.mark.parametrize("when", list(ROOM_MOMENTS))
def test_the_room_window_is_the_same_for_page_api_service_and_token(
    when, remarked, customer, client, settings, time_machine
):
    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "portal", "s" * 32
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    moment_of, is_open = ROOM_MOMENTS[when]
    moment = moment_of(meeting)
    client.force_login(customer)
    time_machine.move_to(moment, tick=False)
    page = client.get(f"/en/meetings/{meeting.pk}/").content.decode()
    offered = _api(customer).get(f"/api/v1/meetings/{meeting.pk}/").json()["allowed_actions"]
    claims = jwt.decode(
        room_token(meeting=meeting, user=customer),
        "s" * 32,
        algorithms=["HS256"],
        audience="jitsi",
        options={"verify_nbf": False, "verify_exp": False},
    )
    found = (
        'data-state="open"' in page,
        "attendance" in offered,
        _accepted("attendance", customer, meeting),
        claims["nbf"] <= moment.timestamp() <= claims["exp"],
    )
    assert found == (is_open,) * 4


@pytest.mark.parametrize("status", ["draft", "remarks_returned", "withdrawn"])
def test_topic_closed_is_one_rule_for_page_api_and_service(
    people, service, customer, client, status
):
    t = transaction_at(status, service=service, people=people)
    closed = not services.topic_is_open(t)
    assert closed == (status != "remarks_returned")
    client.force_login(customer)
    page = client.get("/en/meetings/book/", {"transaction": t.pk}).content.decode()
    slots = _api(customer).get("/api/v1/meetings/slots/", {"transaction": t.pk})
    try:
        book_about(t, customer=customer, starts_at=at(WED, 10))
    except DomainError as error:
        assert error.code == "topic_closed"
        booked = False
    else:
        booked = True
    refused = (str(services.TOPIC_CLOSED) in page, slots.status_code == 409, not booked)
    assert refused == (closed,) * 3


# --- staff reach ---------------------------------------------------------------------------------


def test_other_staff_neither_see_nor_cancel_a_meeting(remarked, customer, agent, client):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    client.force_login(agent)
    assert client.get(f"/en/meetings/{meeting.pk}/").status_code == 404
    cancel_page = client.post(f"/en/meetings/{meeting.pk}/cancel/", {"cancel-reason": "Mine now"})
    assert cancel_page.status_code == 404
    api = _api(agent)
    assert api.get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    cancel_api = api.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {"reason": "Mine now"})
    assert cancel_api.status_code == 404
    assert api.get("/api/v1/meetings/").json()["count"] == 0
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(actor=agent, meeting=meeting, reason="Mine now")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


@pytest.mark.parametrize("who", ["host", "supervisor", "admin"])
def test_the_host_their_supervisor_and_administrators_see_and_cancel(
    who, remarked, customer, persons
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    api = _api(persons[who])
    assert api.get("/api/v1/meetings/").json()["count"] == 1
    response = api.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {"reason": "Host is ill"})
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


def test_a_supervisor_sees_only_the_meetings_of_their_teams(
    remarked, customer, supervisor, time_machine
):
    mine = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    team, _host = team_with_host()
    book_enquiry(team, customer=customer)  # another team's host
    assert list(meetings_visible_to(user=supervisor)) == [mine]


def test_the_page_and_the_api_list_the_same_open_sessions(people, customer, client, time_machine):
    full = session_by(people.reviewer, starts_at=at(WED, 13), capacity=1)
    services.session_register(actor=customer, session=full)
    later = session_by(people.reviewer, starts_at=at(FRI, 9))
    done = session_by(people.reviewer, starts_at=at(TUE, 9))
    time_machine.move_to(at(TUE, 9, 30), tick=False)  # `done` has started: closed
    someone = CustomerFactory()
    client.force_login(someone)
    html = client.get("/en/meetings/sessions/").content.decode()
    on_page = [int(pk) for pk in re.findall(r'data-testid="session" data-pk="(\d+)"', html)]
    listed = _api(someone).get("/api/v1/sessions/").json()["results"]
    assert on_page == [s["id"] for s in listed] == [full.pk, later.pk]
    assert [s["places_left"] for s in listed] == [0, 10]
    assert done.pk not in on_page


def test_the_sessions_page_links_staff_only_to_sessions_in_their_reach(
    people, agent, supervisor, client
):
    session = session_by(people.reviewer, starts_at=at(WED, 13))
    link = f'href="/en/meetings/{session.pk}/"'
    for user, linked in [(agent, False), (supervisor, True), (people.reviewer, True)]:
        client.force_login(user)
        assert (link in client.get("/en/meetings/sessions/").content.decode()) is linked
