"""The meetings REST API: free slots and booking enforce the same rules (minimum notice,
horizon, buffers), the meeting's life through the API (reschedule, cancel, minutes, no-show,
rating, attendance in the room), open sessions and their capacity, who may see and do what
(404 outsiders, 403 wrong role, 409 refused by a rule, and nothing changes), query budgets.
Time is frozen on a Monday morning in Dubai so every date below is known."""

import datetime

import jwt
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from knox.models import AuthToken
from rest_framework.test import APIClient

from meetings.models import Attendance, Meeting, Registration
from meetings.selectors import DUBAI
from portal.models import AuditEvent, Notification
from tests.factories import CustomerFactory
from tests.meetings.factories import (
    at,
    book_about,
    book_enquiry,
    meeting_row,
    session_by,
    team_with_host,
)
from tests.transactions.factories import draft, pdf

API = "/api/v1"
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
MON = NOW.date()
TUE = MON + datetime.timedelta(days=1)
WED = MON + datetime.timedelta(days=2)
MINUTE = datetime.timedelta(minutes=1)
S = Meeting.Status


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def token_api(user) -> APIClient:
    # A fresh user object per request, as in production (no role cache carried over).
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def url(meeting, action: str = "") -> str:
    return f"{API}/meetings/{meeting.pk}/" + (f"{action}/" if action else "")


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(DUBAI).isoformat()


def error(response) -> str:
    return response.json()["error"]["code"]


def slots(client, day=WED, to=None, **topic) -> list[str]:
    response = client.get(
        f"{API}/meetings/slots/", {**topic, "from": day, "to": to or day}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()["slots"]


def book(client, starts_at, **topic):
    return client.post(
        f"{API}/meetings/", {"starts_at": iso(starts_at), "agenda": "Plan", **topic}, format="json"
    )


def snapshot() -> tuple:
    """What must not change when a request is refused."""
    return (
        list(Meeting.objects.values_list("pk", "status", "starts_at", "rating")),
        AuditEvent.objects.count(),
        Notification.objects.count(),
        Registration.objects.count(),
    )


# --- free slots and booking: the same rules ------------------------------------------------------

FULL_DAY = [(8, 0), (8, 40), (9, 20), (10, 0), (10, 40), (11, 20)]


def test_slots_are_the_hosts_free_times_in_dubai_time(remarked, customer):
    client = api(customer)
    day = slots(client, transaction=remarked.pk)
    assert day[:6] == [iso(at(WED, h, m)) for h, m in FULL_DAY]
    assert day[0] == "2026-03-04T08:00:00+04:00"
    assert len(day) == 12
    remark = remarked.remarks.get()
    assert slots(client, remark=remark.pk) == day

    # By default the next 14 days, from the end of the minimum notice (Tuesday 09:00).
    body = client.get(f"{API}/meetings/slots/", {"transaction": remarked.pk}).json()
    assert (body["from"], body["to"]) == ("2026-03-02", "2026-03-15")
    assert body["slots"][0] == iso(at(TUE, 9, 20))
    assert body["slots"][-1] == iso(at(MON + datetime.timedelta(days=13), 15, 20))


def test_slots_for_a_team_enquiry(customer):
    team, _ = team_with_host()
    assert slots(api(customer), team=team.code)[0] == iso(at(WED, 8))
    assert api(customer).get(f"{API}/meetings/slots/", {"team": "no-such-team"}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"transaction": 1, "team": "roads"},
        {"team": "roads", "from": "2026-03-10", "to": "2026-03-09"},
        {"team": "roads", "from": "2026-03-01", "to": "2026-04-01"},  # 32 days
        {"team": "roads", "from": "not-a-date"},
    ],
)
def test_slots_refuse_bad_queries(customer, params):
    response = api(customer).get(f"{API}/meetings/slots/", params)
    assert response.status_code == 400
    assert error(response) == "invalid"


def test_slots_for_31_days_at_most(customer):
    team, _ = team_with_host()
    body = slots(api(customer), day=MON, to=MON + datetime.timedelta(days=30), team=team.code)
    # Up to the end of the 30-day horizon (Wednesday 1 April, 09:00).
    assert body[-1] == iso(at(MON + datetime.timedelta(days=30), 8, 40))


def test_two_bookings_one_slot_apart_respect_the_buffer(remarked, customer):
    client = api(customer)
    first = book(client, at(WED, 8), transaction=remarked.pk)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["starts_at"], body["ends_at"]) == (iso(at(WED, 8)), iso(at(WED, 8, 30)))
    assert body["host"]["id"] == remarked.assignee_id
    assert body["status"] == "scheduled"

    # The next free slot starts at the end plus the 10-minute buffer, and booking takes it.
    offered = slots(client, transaction=remarked.pk)
    assert offered[0] == iso(at(WED, 8, 40))
    assert iso(at(WED, 8)) not in offered
    second = book(client, at(WED, 8, 40), transaction=remarked.pk)
    assert second.status_code == 201, second.json()
    assert Meeting.objects.filter(host=remarked.assignee, status=S.SCHEDULED).count() == 2


@pytest.mark.parametrize(
    "moment, code",
    [
        (at(TUE, 8, 40), "too_soon"),  # 23h20 ahead; the notice is 24 hours
        (at(MON + datetime.timedelta(days=31), 10), "too_far"),  # the horizon is 30 days
        (at(WED, 8, 20), "slot_taken"),  # not a slot
        (at(WED, 7, 20), "slot_taken"),  # before the host's hours
        (at(WED, 16), "slot_taken"),  # after them
    ],
)
def test_booking_refuses_what_the_slots_do_not_offer(remarked, customer, moment, code):
    client = api(customer)
    day = moment.astimezone(DUBAI).date()
    assert iso(moment) not in slots(client, day=day, transaction=remarked.pk)
    before = snapshot()
    response = book(client, moment, transaction=remarked.pk)
    assert response.status_code == 409
    assert error(response) == code
    assert snapshot() == before


def test_a_time_inside_another_meetings_buffer_is_taken(remarked, customer):
    # An off-grid meeting of the host ends at 07:50 and blocks 20 minutes after it.
    meeting_row(remarked.assignee, starts_at=at(WED, 7, 20), minutes=30, buffer=20)
    client = api(customer)
    offered = slots(client, transaction=remarked.pk)
    assert iso(at(WED, 8)) not in offered
    assert offered[0] == iso(at(WED, 8, 40))
    before = snapshot()
    response = book(client, at(WED, 8), transaction=remarked.pk)
    assert (response.status_code, error(response)) == (409, "slot_taken")
    assert snapshot() == before
    assert book(client, at(WED, 8, 40), transaction=remarked.pk).status_code == 201


def test_a_taken_slot_is_taken_for_the_next_customer(remarked, customer):
    assert book(api(customer), at(WED, 10), transaction=remarked.pk).status_code == 201
    colleague = CustomerFactory(organization=customer.organization)
    response = book(api(colleague), at(WED, 10), transaction=remarked.pk)
    assert (response.status_code, error(response)) == (409, "slot_taken")


def test_booking_an_enquiry_with_attachments(customer, django_capture_on_commit_callbacks):
    team, host = team_with_host()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(customer).post(
            f"{API}/meetings/",
            {
                "starts_at": iso(at(WED, 9, 20)),
                "team": team.code,
                "agenda": "Drainage question",
                "attachments": [pdf("site.pdf"), pdf("photo.pdf")],
            },
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["topic"] == "general"
    assert body["team"]["code"] == team.code
    assert body["host"]["id"] == host.user_id
    assert sorted(f["name"] for f in body["attachments"]) == ["photo.pdf", "site.pdf"]
    assert {m.to[0] for m in mail.outbox} == {customer.email, host.user.email}


def test_a_bad_attachment_books_nothing(customer):
    team, _ = team_with_host()
    before = snapshot()
    response = api(customer).post(
        f"{API}/meetings/",
        {
            "starts_at": iso(at(WED, 9, 20)),
            "team": team.code,
            "attachments": [
                SimpleUploadedFile("fake.pdf", b"not a pdf", content_type="application/pdf")
            ],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "attachments" in response.json()["error"]["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("body", [{}, {"transaction": 1, "team": "roads"}])
def test_booking_needs_exactly_one_topic(customer, body):
    response = api(customer).post(
        f"{API}/meetings/", {"starts_at": iso(at(WED, 10)), **body}, format="json"
    )
    assert response.status_code == 400


def test_booking_about_a_draft_is_refused(people, service, customer):
    t = draft(customer=customer, service=service)
    response = api(customer).get(f"{API}/meetings/slots/", {"transaction": t.pk})
    assert (response.status_code, error(response)) == (409, "topic_closed")
    response = book(api(customer), at(WED, 10), transaction=t.pk)
    assert (response.status_code, error(response)) == (409, "topic_closed")


def test_staff_do_not_book(remarked, agent):
    before = snapshot()
    assert book(api(agent), at(WED, 10), transaction=remarked.pk).status_code == 403
    assert snapshot() == before


# --- reading -------------------------------------------------------------------------------------


def test_detail_gives_participants_the_room(
    remarked, customer, reviewer, agent, supervisor, settings
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    body = api(customer).get(url(meeting)).json()
    assert body["room"] == {
        "domain": settings.JITSI_DOMAIN,
        "name": meeting.room_name,
        "opens_at": iso(at(WED, 9, 50)),
        "jwt": None,
    }
    assert body["transaction"] == {"id": remarked.pk, "reference": remarked.reference}
    assert body["attendance"] is None
    assert body["registered"] is None
    assert body["allowed_actions"] == ["reschedule", "cancel"]

    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "portal", "s" * 32
    assert meeting.host == reviewer
    for user, moderator in [(customer, False), (reviewer, True)]:
        room = api(user).get(url(meeting)).json()["room"]
        claims = jwt.decode(
            room["jwt"],
            "s" * 32,
            algorithms=["HS256"],
            audience="jitsi",
            options={"verify_nbf": False},
        )
        assert claims["room"] == meeting.room_name
        assert claims["context"]["user"]["moderator"] is moderator

    # The host's supervisor may look at the meeting (and cancel it), not enter its room.
    staff_view = api(supervisor).get(url(meeting)).json()
    assert staff_view["room"] is None
    assert staff_view["attendance"] == []
    assert staff_view["allowed_actions"] == ["cancel"]
    # Other staff do not see it at all.
    assert api(agent).get(url(meeting)).status_code == 404


def test_an_organization_colleague_sees_the_meeting_but_not_the_room(remarked, customer):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    colleague = CustomerFactory(organization=customer.organization)
    body = api(colleague).get(url(meeting)).json()
    assert body["reference"] == meeting.reference
    assert body["room"] is None
    assert body["attachments"] == []
    assert body["allowed_actions"] == []


def test_list_filters(remarked, customer, other_customer):
    past = meeting_row(remarked.assignee, customer=customer, starts_at=at(MON, 8), status=S.NO_SHOW)
    later = book_about(remarked, customer=customer, starts_at=at(WED, 11, 20))
    soon = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    book_enquiry(team_with_host()[0], customer=other_customer)
    client = api(customer)

    def refs(**params) -> list[str]:
        response = client.get(f"{API}/meetings/", params)
        assert response.status_code == 200, response.json()
        return [row["reference"] for row in response.json()["results"]]

    assert refs() == [later.reference, soon.reference, past.reference]
    assert refs(upcoming="true") == [soon.reference, later.reference]
    assert refs(upcoming="false") == [past.reference]
    assert refs(status="no_show") == [past.reference]
    assert refs(kind="session") == []
    assert client.get(f"{API}/meetings/", {"status": "nonsense"}).status_code == 400


def test_invitation_ics(remarked, customer):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    response = api(customer).get(f"{url(meeting)}invitation.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode().replace("\r\n ", "")  # unfolded
    assert "METHOD:REQUEST" in text
    assert "TZID=Asia/Dubai:20260304T100000" in text
    assert customer.email in text


# --- outsiders -----------------------------------------------------------------------------------

ACTIONS = [
    ("reschedule", {"starts_at": "2026-03-04T10:40:00+04:00"}),
    ("cancel", {"reason": "x"}),
    ("minutes", {"minutes": "x", "outcome": "resolved"}),
    ("no-show", {}),
    ("rate", {"rating": 3}),
    ("attendance", {"event": "joined"}),
]


def test_another_customer_gets_404_everywhere(remarked, customer, other_customer):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    client = api(other_customer)
    remark = remarked.remarks.get()
    for params in [{"transaction": remarked.pk}, {"remark": remark.pk}]:
        assert client.get(f"{API}/meetings/slots/", params).status_code == 404
    assert book(client, at(WED, 10, 40), transaction=remarked.pk).status_code == 404
    assert client.get(url(meeting)).status_code == 404
    assert client.get(f"{url(meeting)}invitation.ics").status_code == 404
    assert client.get(f"{API}/meetings/").json()["count"] == 0
    before = snapshot()
    for action, body in ACTIONS:
        response = client.post(url(meeting, action), body, format="json")
        assert response.status_code == 404, action
        assert error(response) == "not_found"
    assert snapshot() == before


def test_anonymous_gets_401(remarked, customer):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    assert api().get(url(meeting)).status_code == 401
    assert api().get(f"{API}/meetings/slots/", {"transaction": remarked.pk}).status_code == 401


# --- the meeting's life --------------------------------------------------------------------------


def test_customer_reschedules_and_cancels_up_to_the_minimum_notice(
    remarked, customer, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    client = api(customer)

    moved = client.post(url(meeting, "reschedule"), {"starts_at": iso(at(WED, 11, 20))})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["starts_at"] == iso(at(WED, 11, 20))
    meeting.refresh_from_db()
    assert meeting.ics_sequence == 1
    # The freed time is offered again; the new one is not.
    offered = slots(client, transaction=remarked.pk)
    assert iso(at(WED, 10)) in offered and iso(at(WED, 11, 20)) not in offered

    off_grid = client.post(url(meeting, "reschedule"), {"starts_at": iso(at(WED, 10, 5))})
    assert (off_grid.status_code, error(off_grid)) == (409, "slot_taken")

    time_machine.move_to(at(TUE, 11, 30), tick=False)  # 23h50 before
    before = snapshot()
    for action, body in [("reschedule", {"starts_at": iso(at(WED, 14))}), ("cancel", {})]:
        response = client.post(url(meeting, action), body, format="json")
        assert (response.status_code, error(response)) == (409, "too_late"), action
    assert snapshot() == before
    assert api(customer).get(url(meeting)).json()["allowed_actions"] == []

    time_machine.move_to(at(TUE, 11), tick=False)
    cancelled = client.post(url(meeting, "cancel"), {}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["room"] is None


def test_staff_cancel_with_a_reason_and_the_customer_is_told(
    remarked, customer, supervisor, time_machine, django_capture_on_commit_callbacks
):
    # The invitation goes out first: the cancellation never overtakes it.
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    time_machine.move_to(at(WED, 9), tick=False)  # inside the notice: staff still may
    client = api(supervisor)
    before = snapshot()
    response = client.post(url(meeting, "cancel"), {"reason": "  "}, format="json")
    assert (response.status_code, error(response)) == (409, "no_reason")
    assert snapshot() == before

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(meeting, "cancel"), {"reason": "Site visit instead"})
    assert response.status_code == 200, response.json()
    assert response.json()["cancel_reason"] == "Site visit instead"
    assert Notification.objects.filter(recipient=customer, kind="meeting_cancelled").exists()
    [email] = [m for m in mail.outbox if m.to == [customer.email]]
    assert "METHOD:CANCEL" in email.attachments[0][1]
    again = client.post(url(meeting, "cancel"), {"reason": "Twice"})
    assert (again.status_code, error(again)) == (409, "transition_not_allowed")


def test_minutes_and_no_show_are_the_hosts_once_the_meeting_started(
    remarked, customer, people, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    body = {"minutes": "Agreed to revise the plan.", "outcome": "follow_up", "follow_up": "Rev B"}
    host = api(people.reviewer)

    early = host.post(url(meeting, "minutes"), body, format="json")
    assert (early.status_code, error(early)) == (409, "not_started")
    time_machine.move_to(at(WED, 10, 5), tick=False)
    before = snapshot()
    assert api(customer).post(url(meeting, "minutes"), body, format="json").status_code == 403
    assert api(people.agent).post(url(meeting, "no-show")).status_code == 404
    assert snapshot() == before
    bad = host.post(url(meeting, "minutes"), {**body, "outcome": "maybe"}, format="json")
    assert bad.status_code == 400

    assert host.get(url(meeting)).json()["allowed_actions"] == [
        "cancel",
        "minutes",
        "no-show",
        "attendance",
    ]
    held = host.post(url(meeting, "minutes"), body, format="json")
    assert held.status_code == 200, held.json()
    assert (held.json()["status"], held.json()["outcome"]) == ("held", "follow_up")
    assert held.json()["minutes"] == "Agreed to revise the plan."
    assert host.post(url(meeting, "no-show")).status_code == 409


def test_no_show(remarked, customer, people, time_machine):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    host = api(people.reviewer)
    assert host.post(url(meeting, "no-show")).status_code == 409
    time_machine.move_to(at(WED, 10, 15), tick=False)
    response = host.post(url(meeting, "no-show"))
    assert (response.status_code, response.json()["status"]) == (200, "no_show")


def test_rating_only_after_the_meeting_was_held_and_once(remarked, customer, people, time_machine):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    client = api(customer)
    early = client.post(url(meeting, "rate"), {"rating": 3}, format="json")
    assert (early.status_code, error(early)) == (409, "not_ratable")

    time_machine.move_to(at(WED, 10, 30), tick=False)
    api(people.reviewer).post(
        url(meeting, "minutes"), {"minutes": "Done", "outcome": "resolved"}, format="json"
    )
    assert client.get(url(meeting)).json()["allowed_actions"] == ["rate", "attendance"]
    assert client.post(url(meeting, "rate"), {"rating": 4}, format="json").status_code == 400
    assert api(people.reviewer).post(url(meeting, "rate"), {"rating": 1}).status_code == 403
    rated = client.post(url(meeting, "rate"), {"rating": 3, "comment": "Quick"}, format="json")
    assert rated.status_code == 200
    assert (rated.json()["rating"], rated.json()["rating_comment"]) == (3, "Quick")
    again = client.post(url(meeting, "rate"), {"rating": 1}, format="json")
    assert (again.status_code, error(again)) == (409, "not_ratable")
    meeting.refresh_from_db()
    assert meeting.rating == 3


def test_attendance_records_stays_while_the_room_is_open(
    remarked, customer, supervisor, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    client = api(customer)

    time_machine.move_to(at(WED, 9, 49), tick=False)  # the room opens 10 minutes before
    closed = client.post(url(meeting, "attendance"), {"event": "joined"}, format="json")
    assert (closed.status_code, error(closed)) == (409, "room_closed")
    assert not Attendance.objects.exists()

    time_machine.move_to(at(WED, 9, 55), tick=False)
    joined = client.post(url(meeting, "attendance"), {"event": "joined"}, format="json")
    assert joined.status_code == 200, joined.json()
    assert joined.json()["stay"]["joined_at"] == iso(at(WED, 9, 55))
    assert joined.json()["stay"]["left_at"] is None
    # A repeated join (a page reload) keeps the open stay.
    again = client.post(url(meeting, "attendance"), {"event": "joined"}, format="json")
    assert again.json()["stay"]["id"] == joined.json()["stay"]["id"]

    time_machine.move_to(at(WED, 10, 20), tick=False)
    left = client.post(url(meeting, "attendance"), {"event": "left"}, format="json")
    assert left.json()["stay"]["seconds"] == 25 * 60
    assert client.post(url(meeting, "attendance"), {"event": "left"}).json() == {"stay": None}
    bad = client.post(url(meeting, "attendance"), {"event": "dozed"}, format="json")
    assert bad.status_code == 400

    # The host's supervisor sees the stays, and records none: they are not in the meeting.
    [stay] = api(supervisor).get(url(meeting)).json()["attendance"]
    assert (stay["user"]["id"], stay["seconds"]) == (customer.pk, 1500)
    assert api(supervisor).post(url(meeting, "attendance"), {"event": "joined"}).status_code == (
        403
    )

    time_machine.move_to(at(WED, 11, 31), tick=False)  # the room closes an hour after the end
    late = client.post(url(meeting, "attendance"), {"event": "joined"}, format="json")
    assert (late.status_code, error(late)) == (409, "room_closed")
    assert Attendance.objects.count() == 1


def test_the_page_reports_attendance_with_its_session_and_csrf_token(
    remarked, customer, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    time_machine.move_to(at(WED, 10), tick=False)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer)
    body = {"event": "joined"}
    assert client.post(url(meeting, "attendance"), body, format="json").status_code == 403
    token = "a" * 32
    client.cookies["csrftoken"] = token
    response = client.post(url(meeting, "attendance"), body, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.json()


# --- open sessions -------------------------------------------------------------------------------


def test_a_host_announces_a_session(people, customer, agent):
    body = {
        "title_ar": "كيف تشارك في المناقصات",
        "title_en": "How to take part in tenders",
        "agenda": "Registration, documents",
        "starts_at": iso(at(WED, 13)),
        "minutes": 60,
        "capacity": 2,
    }
    assert api(customer).post(f"{API}/sessions/", body, format="json").status_code == 403
    not_a_host = api(agent).post(f"{API}/sessions/", body, format="json")
    assert (not_a_host.status_code, error(not_a_host)) == (409, "not_a_host")
    assert api(people.reviewer).post(f"{API}/sessions/", {**body, "capacity": 0}).status_code == 400

    created = api(people.reviewer).post(f"{API}/sessions/", body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["kind"], created.json()["registered"]) == ("session", 0)
    assert created.json()["registrations"] == []
    clash = api(people.reviewer).post(
        f"{API}/sessions/", {**body, "starts_at": iso(at(WED, 14))}, format="json"
    )
    assert (clash.status_code, error(clash)) == (409, "slot_taken")


def test_session_capacity(people, customer, other_customer):
    session = session_by(people.reviewer, starts_at=at(WED, 13), capacity=2)
    third = CustomerFactory()
    listed = api(third).get(f"{API}/sessions/").json()["results"]
    assert [(s["id"], s["places_left"], s["is_registered"]) for s in listed] == [
        (session.pk, 2, False)
    ]

    def register(user, question: str = ""):
        return api(user).post(
            f"{API}/sessions/{session.pk}/register/", {"question": question}, format="json"
        )

    first = register(customer, "Is a bid bond needed?")
    assert first.status_code == 201, first.json()
    assert first.json()["room"]["name"] == session.room_name
    assert first.json()["allowed_actions"] == ["unregister"]
    assert api(customer).get(f"{API}/sessions/").json()["results"][0]["is_registered"] is True
    twice = register(customer)
    assert (twice.status_code, error(twice)) == (409, "already_registered")
    assert register(other_customer).status_code == 201
    before = snapshot()
    full = register(third)
    assert (full.status_code, error(full)) == (409, "full")
    assert snapshot() == before
    # A full session is still listed (as on the sessions page), with no place left.
    listed = api(third).get(f"{API}/sessions/").json()["results"]
    assert [(s["id"], s["places_left"], s["is_registered"]) for s in listed] == [
        (session.pk, 0, False)
    ]
    assert api(third).get(url(session)).status_code == 404

    # The host sees who comes and what they ask; no registrant sees the others.
    host_view = api(people.reviewer).get(url(session)).json()
    assert host_view["registered"] == 2
    assert [r["question"] for r in host_view["registrations"]] == ["Is a bid bond needed?", ""]
    assert api(customer).get(url(session)).json()["registrations"] is None
    ics = api(customer).get(f"{url(session)}invitation.ics").content.decode().replace("\r\n ", "")
    assert customer.email in ics and other_customer.email not in ics

    gone = api(customer).post(f"{API}/sessions/{session.pk}/unregister/")
    assert gone.status_code == 204
    assert api(customer).post(f"{API}/sessions/{session.pk}/unregister/").status_code == 403
    assert register(third).status_code == 201


def test_sessions_are_not_booked_as_appointments(people, customer):
    session = session_by(people.reviewer, starts_at=at(WED, 13))
    assert api(customer).post(f"{API}/sessions/{session.pk + 1}/register/").status_code == 404
    assert api(people.agent).post(f"{API}/sessions/{session.pk}/register/").status_code == 403


# --- query budgets -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_budget(people, customer, rows, django_assert_num_queries):
    team, host = team_with_host()
    for n in range(rows):
        meeting_row(host.user, customer=customer, starts_at=at(WED, 8) + n * 40 * MINUTE, team=team)
    client = token_api(customer)
    # token with its user, the user's roles (what they may see), COUNT, the page's ids, those
    # rows with host, customer, transaction with its service, team and remark joined
    with django_assert_num_queries(5):
        response = client.get(f"{API}/meetings/")
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_detail_query_budget(remarked, customer, people, rows, django_assert_num_queries):
    """A meeting with `rows` attachments and `rows` stays in the room, seen by its customer and
    by its host."""
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    team, _ = team_with_host()
    enquiry = book_enquiry(team, customer=customer, attachments=[pdf() for _ in range(rows)])
    for n in range(rows):
        Attendance.objects.create(
            meeting=meeting, user=customer, joined_at=NOW + n * MINUTE, left_at=NOW
        )
    as_customer, as_host = token_api(customer), token_api(people.reviewer)
    # token with its user; the user's roles; the meeting with host (and their booking rules),
    # customer, transaction, service, team and remark; its files
    for target in (meeting, enquiry):
        with django_assert_num_queries(4):
            assert as_customer.get(url(target)).status_code == 200
    # the same, and the stays in the room with their users
    with django_assert_num_queries(5):
        body = as_host.get(url(meeting)).json()
    assert len(body["attendance"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_session_query_budget(people, rows, django_assert_num_queries):
    session = session_by(people.reviewer, starts_at=at(WED, 13), capacity=50)
    for _ in range(rows):
        Registration.objects.create(meeting=session, customer=CustomerFactory())
    registrant = session.registrations.first().customer
    as_registrant, as_host = token_api(registrant), token_api(people.reviewer)
    # token with its user; roles; the session; is the user registered; the count; its files
    with django_assert_num_queries(6):
        assert as_registrant.get(url(session)).json()["registered"] == rows
    # token with its user; roles; the session; registrations with customers; stays; files
    with django_assert_num_queries(6):
        assert len(as_host.get(url(session)).json()["registrations"]) == rows
    # token with its user; COUNT; the page's ids; those rows with host, counts and the user's
    # registration
    with django_assert_num_queries(4):
        assert as_registrant.get(f"{API}/sessions/").json()["count"] == 1
