"""The meeting pages: booking, the meeting page and its actions, my meetings, open sessions and
the staff calendar — permissions (404 for outsiders), the video room, and query budgets."""

import datetime
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from meetings import services
from meetings.forms import slot_value
from meetings.models import Attendance, Meeting, Registration
from meetings.selectors import free_slots
from portal.models import PrivateFile
from tests.factories import CustomerFactory, UserFactory
from tests.meetings.factories import HostFactory, at, book_about, first_free_slot
from tests.transactions.factories import pdf

BOOK = "/ar/meetings/book/"


def _detail(meeting: Meeting) -> str:
    return f"/ar/meetings/{meeting.pk}/"


def _action(meeting: Meeting, action: str) -> str:
    return f"/ar/meetings/{meeting.pk}/{action}/"


def _remark(transaction):
    return transaction.remarks.get()


def _host_profile(user):
    return user.meeting_profile


def _error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


@pytest.fixture
def booked(remarked, customer):
    """An appointment about the open remark, two days ahead, with one attachment."""
    meeting = book_about(remarked, customer=customer, remark=_remark(remarked))
    return meeting


# --- booking ---------------------------------------------------------------------------------


def test_booking_page_shows_the_free_times_and_books(client, remarked, customer, reviewer):
    remark = _remark(remarked)
    slot = first_free_slot([_host_profile(reviewer)])
    client.force_login(customer)

    page = client.get(BOOK, {"remark": remark.pk, "day": slot.date().isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert remark.text in html
    assert f'value="{slot_value(slot)}"' in html
    assert 'data-testid="booking-form"' in html

    response = client.post(
        f"{BOOK}?remark={remark.pk}",
        {"starts_at": slot_value(slot), "agenda": "The setbacks", "attachments": [pdf("a.pdf")]},
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == _detail(meeting)
    assert (meeting.customer, meeting.host, meeting.remark) == (customer, reviewer, remark)
    assert meeting.starts_at == slot
    assert meeting.agenda == "The setbacks"
    [file] = PrivateFile.objects.filter(purpose="meeting_attachment")
    assert file.object_id == str(meeting.pk)

    page = client.get(response.url).content.decode()
    assert "a.pdf" in page
    assert f"/ar/files/{file.uuid}/" in page
    assert client.get(f"/ar/files/{file.uuid}/").status_code == 200


def test_booking_a_time_no_longer_free_changes_nothing(client, remarked, customer, reviewer):
    client.force_login(customer)
    taken = book_about(remarked, customer=customer).starts_at
    response = client.post(
        f"{BOOK}?transaction={remarked.pk}", {"starts_at": slot_value(taken), "agenda": "Again"}
    )
    assert response.status_code == 400
    assert Meeting.objects.count() == 1


def test_booking_refuses_a_file_that_is_not_allowed(client, remarked, customer, reviewer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(customer)
    slot = first_free_slot([_host_profile(reviewer)])
    response = client.post(
        f"{BOOK}?transaction={remarked.pk}",
        {
            "starts_at": slot_value(slot),
            "agenda": "x",
            "attachments": [SimpleUploadedFile("x.exe", b"MZ\x90\x00 not a pdf")],
        },
    )
    assert response.status_code == 400
    assert not Meeting.objects.exists()


def test_booking_without_a_topic_lists_teams_and_open_transactions(
    client, remarked, customer, service
):
    client.force_login(customer)
    html = client.get(BOOK).content.decode()
    assert f"?transaction={remarked.pk}" in html
    assert f"?team={service.team.code}" in html


def test_general_enquiry_to_a_team(client, people, customer, service, reviewer):
    client.force_login(customer)
    slot = first_free_slot([_host_profile(reviewer)])
    response = client.post(
        f"{BOOK}?team={service.team.code}", {"starts_at": slot_value(slot), "agenda": "Tenders?"}
    )
    meeting = Meeting.objects.get()
    assert response.url == _detail(meeting)
    assert (meeting.topic, meeting.team, meeting.transaction) == ("general", service.team, None)


@pytest.mark.parametrize("topic", ["transaction", "remark"])
def test_booking_about_someone_elses_transaction_is_404(client, remarked, other_customer, topic):
    client.force_login(other_customer)
    pk = remarked.pk if topic == "transaction" else _remark(remarked).pk
    assert client.get(BOOK, {topic: pk}).status_code == 404
    assert client.post(f"{BOOK}?{topic}={pk}", {"agenda": "x"}).status_code == 404


def test_staff_cannot_book(client, remarked, reviewer, agent):
    client.force_login(agent)
    page = client.get(BOOK, {"transaction": remarked.pk})
    assert page.status_code == 403
    assert 'data-testid="staff-cannot-book"' in page.content.decode()
    slot = first_free_slot([_host_profile(reviewer)])
    client.post(f"{BOOK}?transaction={remarked.pk}", {"starts_at": slot_value(slot), "agenda": "x"})
    assert not Meeting.objects.exists()


def test_a_closed_transaction_cannot_be_discussed(client, people, customer, service):
    from tests.transactions.factories import transaction_at

    closed = transaction_at("withdrawn", service=service, people=people)
    client.force_login(customer)
    html = client.get(BOOK, {"transaction": closed.pk}).content.decode()
    assert 'data-testid="cannot-book"' in html
    assert 'data-testid="booking-form"' not in html


# --- the meeting page ------------------------------------------------------------------------


def test_outsiders_get_404_on_the_meeting_its_files_and_its_invitation(
    client, remarked, customer, other_customer, reviewer
):
    meeting = services.meeting_book(
        actor=customer,
        starts_at=first_free_slot([_host_profile(reviewer)]),
        transaction=remarked,
        agenda="x",
        attachments=[pdf("plan.pdf")],
    )
    file = PrivateFile.objects.get(purpose="meeting_attachment")
    client.force_login(other_customer)
    assert client.get(_detail(meeting)).status_code == 404
    assert client.get(f"/ar/files/{file.uuid}/").status_code == 404
    assert client.get(f"/ar/meetings/{meeting.pk}/invitation.ics").status_code == 404
    assert client.post(_action(meeting, "cancel")).status_code == 404

    client.force_login(customer)
    ics = client.get(f"/ar/meetings/{meeting.pk}/invitation.ics")
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in ics.content.decode()


def test_the_room_waits_then_opens_with_the_jitsi_container(client, booked, customer, settings):
    settings.JITSI_DOMAIN = "meet.example.ae"
    client.force_login(customer)
    html = client.get(_detail(booked)).content.decode()
    assert 'data-testid="room-waiting"' in html
    assert 'id="jitsi-room"' not in html
    assert "meetings/meeting.js" not in html

    with time_machine.travel(booked.starts_at - datetime.timedelta(minutes=5), tick=False):
        html = client.get(_detail(booked)).content.decode()
    room = re.search(r'<div id="jitsi-room"[^>]*>', html, re.S).group()
    assert f'data-room="{booked.room_name}"' in room
    assert 'data-domain="meet.example.ae"' in room
    assert 'data-lang="ar"' in room
    assert f'data-attendance-url="/api/v1/meetings/{booked.pk}/attendance/"' in room
    assert "/static/meetings/meeting.js" in html
    assert f"https://meet.example.ae/{booked.room_name}" in html  # the fallback link


def test_the_room_opens_earlier_with_a_longer_opening(client, booked, customer, settings):
    settings.MEETING_ROOM_OPENS_MINUTES = 60 * 24 * 7
    client.force_login(customer)
    html = client.get(_detail(booked)).content.decode()
    assert f'data-room="{booked.room_name}"' in html


def test_staff_see_the_attendance(client, booked, reviewer, customer, supervisor):
    Attendance.objects.create(
        meeting=booked,
        user=customer,
        joined_at=booked.starts_at,
        left_at=booked.starts_at + datetime.timedelta(minutes=25),
    )
    client.force_login(supervisor)  # the host's team supervisor
    html = client.get(_detail(booked)).content.decode()
    assert 'data-testid="attendance"' in html
    assert customer.full_name in html
    # A colleague who is not a participant does not get the video room.
    assert 'id="jitsi-room"' not in html and 'data-testid="room"' not in html
    client.force_login(customer)
    assert 'data-testid="attendance"' not in client.get(_detail(booked)).content.decode()


def test_customer_reschedules_to_another_free_time(client, booked, customer, reviewer):
    day = booked.starts_at.date() + datetime.timedelta(days=1)
    new = next(iter(free_slots(hosts=[_host_profile(reviewer)], day_from=day, day_to=day)))
    client.force_login(customer)
    page = client.get(_detail(booked)).content.decode()
    assert f'value="{slot_value(new)}"' in page
    response = client.post(_action(booked, "reschedule"), {"reschedule-starts_at": slot_value(new)})
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.starts_at == new
    assert booked.ics_sequence == 1


def test_customer_cancels(client, booked, customer):
    client.force_login(customer)
    response = client.post(_action(booked, "cancel"), {"cancel-reason": ""})
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.status == Meeting.Status.CANCELLED
    assert 'data-testid="cancelled"' in client.get(_detail(booked)).content.decode()


def test_cancelling_too_late_is_refused_and_changes_nothing(client, booked, customer):
    client.force_login(customer)
    with time_machine.travel(booked.starts_at - datetime.timedelta(hours=2), tick=False):
        response = client.post(
            _action(booked, "cancel"), {"cancel-reason": ""}, HTTP_REFERER=_detail(booked)
        )
    assert response.status_code == 302
    assert response.url == _detail(booked)
    assert len(_error_messages(response)) == 1
    booked.refresh_from_db()
    assert booked.status == Meeting.Status.SCHEDULED


def test_host_cancels_only_with_a_reason(client, booked, reviewer):
    client.force_login(reviewer)
    assert client.post(_action(booked, "cancel"), {"cancel-reason": ""}).status_code == 400
    booked.refresh_from_db()
    assert booked.status == Meeting.Status.SCHEDULED
    client.post(_action(booked, "cancel"), {"cancel-reason": "Site visit"})
    booked.refresh_from_db()
    assert (booked.status, booked.cancel_reason) == ("cancelled", "Site visit")


def test_host_records_minutes_and_the_customer_rates(client, booked, reviewer, customer):
    client.force_login(reviewer)
    assert 'data-action="minutes"' not in client.get(_detail(booked)).content.decode()
    with time_machine.travel(booked.starts_at + datetime.timedelta(minutes=20), tick=False):
        assert 'data-action="minutes"' in client.get(_detail(booked)).content.decode()
        response = client.post(
            _action(booked, "minutes"),
            {
                "minutes-minutes": "Agreed on the setbacks.",
                "minutes-outcome": "follow_up",
                "minutes-follow_up": "Upload plan v2.",
            },
        )
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.status, booked.outcome) == ("held", "follow_up")

    client.force_login(customer)
    html = client.get(_detail(booked)).content.decode()
    assert 'data-testid="minutes"' in html and 'data-testid="rate"' in html
    client.post(_action(booked, "rate"), {"rate-rating": "3", "rate-comment": "Clear"})
    booked.refresh_from_db()
    assert (booked.rating, booked.rating_comment) == (3, "Clear")
    assert 'data-testid="rate"' not in client.get(_detail(booked)).content.decode()

    # The minutes appear on the transaction's timeline, labelled.
    timeline = client.get(f"/ar/transactions/{booked.transaction_id}/").content.decode()
    assert "Agreed on the setbacks." in timeline
    assert "meeting_held" not in timeline


def test_rating_a_meeting_not_held_is_refused(client, booked, customer):
    client.force_login(customer)
    response = client.post(
        _action(booked, "rate"), {"rate-rating": "1"}, HTTP_REFERER=_detail(booked)
    )
    assert response.status_code == 302
    assert len(_error_messages(response)) == 1
    booked.refresh_from_db()
    assert booked.rating is None


def test_host_marks_a_no_show(client, booked, reviewer, customer):
    with time_machine.travel(booked.starts_at + datetime.timedelta(minutes=10), tick=False):
        client.force_login(customer)
        assert client.post(_action(booked, "no-show")).status_code == 403
        client.force_login(reviewer)
        client.post(_action(booked, "no-show"))
    booked.refresh_from_db()
    assert booked.status == Meeting.Status.NO_SHOW


def test_the_transaction_page_links_each_open_remark_to_a_meeting(
    client, remarked, customer, reviewer
):
    remark = _remark(remarked)
    client.force_login(customer)
    html = client.get(f"/ar/transactions/{remarked.pk}/").content.decode()
    assert f"/ar/meetings/book/?remark={remark.pk}" in html
    assert f"/ar/meetings/book/?transaction={remarked.pk}" in html
    client.force_login(reviewer)
    html = client.get(f"/ar/transactions/{remarked.pk}/").content.decode()
    assert "?remark=" not in html


# --- my meetings, sessions, staff pages --------------------------------------------------------


def _session(host, *, capacity: int, days: int = 3) -> Meeting:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return services.session_create(
        actor=host,
        title_ar="كيف تشارك في المناقصات",
        title_en="How to take part in tenders",
        agenda="Bids",
        starts_at=at(day, 17),
        minutes=60,
        capacity=capacity,
    )


def test_sessions_register_up_to_capacity(client, people, reviewer, customer, other_customer):
    session = _session(reviewer, capacity=2)
    for person in (customer, other_customer):
        client.force_login(person)
        assert (
            f"/ar/meetings/sessions/{session.pk}/register/"
            in client.get("/ar/meetings/sessions/").content.decode()
        )
        response = client.post(
            f"/ar/meetings/sessions/{session.pk}/register/", {"question": "Bid bonds?"}
        )
        assert response.url == _detail(session)
    third = CustomerFactory()
    client.force_login(third)
    html = client.get("/ar/meetings/sessions/").content.decode()
    assert 'data-testid="full-message"' in html
    assert f"/ar/meetings/sessions/{session.pk}/register/" not in html
    response = client.post(
        f"/ar/meetings/sessions/{session.pk}/register/", HTTP_REFERER="/ar/meetings/sessions/"
    )
    assert len(_error_messages(response)) == 1
    assert session.registrations.count() == 2

    client.force_login(customer)
    assert client.get(_detail(session)).status_code == 200
    client.post(f"/ar/meetings/sessions/{session.pk}/unregister/")
    assert not Registration.objects.filter(meeting=session, customer=customer).exists()


def test_host_announces_a_session(client, people, reviewer, agent):
    day = timezone.localdate() + datetime.timedelta(days=4)
    client.force_login(reviewer)
    response = client.post(
        "/ar/staff/meetings/sessions/new/",
        {
            "title_ar": "جلسة",
            "title_en": "Session",
            "agenda": "E-services",
            "day": day.isoformat(),
            "time": "17:00",
            "minutes": 60,
            "capacity": 20,
        },
    )
    session = Meeting.objects.get(kind="session")
    assert response.url == _detail(session)
    assert session.starts_at == at(day, 17)
    client.force_login(agent)  # not a host
    assert (
        'data-testid="session-form"'
        not in client.get("/ar/staff/meetings/sessions/new/").content.decode()
    )


def test_staff_pages_are_for_staff(client, customer):
    client.force_login(customer)
    assert client.get("/ar/staff/meetings/").status_code == 403
    assert client.get("/ar/staff/meetings/load/").status_code == 403


def test_staff_calendar_day_and_week(client, booked, reviewer, service):
    client.force_login(reviewer)
    day = booked.starts_at.date()
    html = client.get("/ar/staff/meetings/", {"view": "day", "date": day}).content.decode()
    assert f'data-pk="{booked.pk}"' in html
    assert f"date={day + datetime.timedelta(days=1)}" in html  # next day
    html = client.get(
        "/ar/staff/meetings/", {"view": "day", "date": day + datetime.timedelta(days=1)}
    ).content.decode()
    assert f'data-pk="{booked.pk}"' not in html
    html = client.get("/ar/staff/meetings/", {"view": "week", "date": day}).content.decode()
    assert f'data-pk="{booked.pk}"' in html
    load = client.get("/ar/staff/meetings/load/", {"team": service.team.code, "date": day})
    assert reviewer.full_name in load.content.decode()


# --- query budgets ---------------------------------------------------------------------------


def _meetings(n: int, *, host, customer, start: datetime.datetime) -> list[Meeting]:
    """`n` appointments an hour apart, written directly (bookings are the services' tests)."""
    made = []
    for i in range(n):
        starts = start + datetime.timedelta(hours=i)
        made.append(
            Meeting.objects.create(
                reference=f"MTG-Q-{host.pk}-{start:%m%d%H}-{i}",
                kind=Meeting.Kind.APPOINTMENT,
                host=host,
                customer=customer,
                topic=Meeting.Topic.GENERAL,
                title_en=f"Meeting {i}",
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=30),
                blocked_until=starts + datetime.timedelta(minutes=40),
                status=Meeting.Status.HELD if i % 2 else Meeting.Status.SCHEDULED,
            )
        )
    return made


def _count(client, url: str) -> int:
    client.get(url)  # warm the per-process caches (content types, translations)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def host(db):
    return HostFactory(user=UserFactory(role=Role.REVIEWER)).user


def test_my_meetings_queries_do_not_grow(client, customer, host, django_assert_num_queries):
    client.force_login(customer)
    today = timezone.localdate()
    _meetings(1, host=host, customer=customer, start=at(today + datetime.timedelta(days=2), 8))
    _meetings(1, host=host, customer=customer, start=at(today - datetime.timedelta(days=2), 8))
    expected = _count(client, "/ar/meetings/")
    # user (the session is read from the cache), roles, upcoming (ids, rows), past (count,
    # ids, rows), unread notifications
    assert expected == 8
    _meetings(20, host=host, customer=customer, start=at(today + datetime.timedelta(days=3), 0))
    _meetings(20, host=host, customer=customer, start=at(today - datetime.timedelta(days=4), 0))
    with django_assert_num_queries(expected):
        client.get("/ar/meetings/")


def test_staff_calendar_queries_do_not_grow(client, customer, host, django_assert_num_queries):
    client.force_login(host)
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    url = f"/ar/staff/meetings/?view=week&date={monday}"
    _meetings(1, host=host, customer=customer, start=at(monday, 8))
    expected = _count(client, url)
    # user (the session is read from the cache), roles, the week's meetings, the week's public
    # holidays (working days only), "is a host", unread notifications
    assert expected == 6
    _meetings(20, host=host, customer=customer, start=at(monday + datetime.timedelta(days=2), 0))
    with django_assert_num_queries(expected):
        client.get(url)


@pytest.mark.parametrize("viewer", ["customer", "host"])
def test_meeting_page_queries_do_not_grow(
    client, customer, host, viewer, django_assert_num_queries
):
    [meeting] = _meetings(
        1, host=host, customer=customer, start=timezone.now() + datetime.timedelta(days=3)
    )
    client.force_login(customer if viewer == "customer" else host)
    Attendance.objects.create(meeting=meeting, user=customer, joined_at=meeting.starts_at)
    expected = _count(client, _detail(meeting))
    # user (the session is read from the cache), roles, the meeting, attachments, unread
    # notifications; the customer's reschedule form: host profile, weekly hours, busy times,
    # leave, holidays; staff: attendance
    assert expected == (10 if viewer == "customer" else 6)
    _meetings(20, host=host, customer=customer, start=at(timezone.localdate(), 0))
    for i in range(20):
        Attendance.objects.create(
            meeting=meeting, user=host, joined_at=meeting.starts_at + datetime.timedelta(minutes=i)
        )
    with django_assert_num_queries(expected):
        client.get(_detail(meeting))
