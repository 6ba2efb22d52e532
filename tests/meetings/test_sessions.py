"""Open sessions: only hosts announce them, never over their own meetings (buffers included);
customers register up to the capacity — also when many register at once on PostgreSQL — once
each, before the start and while the session stands; unregistering gives the place back."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.utils import timezone
from icalendar import Calendar

from meetings import services
from meetings.models import Meeting, Registration
from meetings.selectors import DUBAI, free_slots, sessions_open
from meetings.services import SlotTaken
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, Notification, ReferenceCounter
from tests.factories import CustomerFactory, UserFactory
from tests.meetings.factories import (
    HostFactory,
    at,
    book_enquiry,
    meeting_row,
    session_by,
    take_to,
    team_with_host,
)

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
WED = NOW.date() + datetime.timedelta(days=2)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def host(db):
    return team_with_host()[1].user


@pytest.fixture
def session(now, host):
    return session_by(host, starts_at=at(WED, 10), minutes=60, capacity=2)


def _events(obj, verb):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk), verb=verb
    )


def _state(session) -> tuple:
    return (
        sorted(session.registrations.values_list("customer_id", flat=True)),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


# --- announcing --------------------------------------------------------------------------------
def test_a_host_announces_a_session_that_blocks_their_time(now, host):
    session = session_by(host, starts_at=at(WED, 10), minutes=90, capacity=25)
    assert (session.kind, session.topic, session.status) == ("session", "general", "scheduled")
    assert (session.host, session.customer, session.capacity) == (host, None, 25)
    assert (session.starts_at, session.ends_at, session.blocked_until) == (
        at(WED, 10),
        at(WED, 11, 30),
        at(WED, 11, 40),
    )
    assert session.title_en == "How to take part in tenders"
    assert session.reference.startswith("MTG-")
    assert _events(session, "session_announced").get().actor == host
    free = {
        s.astimezone(DUBAI).strftime("%H:%M")
        for s in free_slots(hosts=[host.meeting_profile], day_from=WED, day_to=WED)
    }
    assert free.isdisjoint({"10:00", "10:40", "11:20"})
    assert {"09:20", "12:00"} <= free


def test_customers_and_staff_who_do_not_host_cannot_announce(now, customer, agent):
    with pytest.raises(PermissionDenied):
        session_by(customer, starts_at=at(WED, 10))
    with pytest.raises(DomainError) as error:
        session_by(agent, starts_at=at(WED, 10))
    assert error.value.code == "not_a_host"
    paused = HostFactory(is_active=False)
    with pytest.raises(DomainError) as error:
        session_by(paused.user, starts_at=at(WED, 10))
    assert error.value.code == "not_a_host"
    assert Meeting.objects.count() == 0


def test_a_session_must_be_in_the_future(now, host):
    with pytest.raises(DomainError) as error:
        session_by(host, starts_at=NOW)
    assert error.value.code == "in_the_past"


@pytest.mark.parametrize(
    "minutes, capacity, ok",
    [
        (15, 1, True),
        (240, 500, True),
        (14, 10, False),
        (241, 10, False),
        (60, 0, False),
        (60, 501, False),
    ],
)
def test_session_size_limits(now, host, minutes, capacity, ok):
    if ok:
        assert session_by(host, starts_at=at(WED, 10), minutes=minutes, capacity=capacity)
    else:
        with pytest.raises(DomainError) as error:
            session_by(host, starts_at=at(WED, 10), minutes=minutes, capacity=capacity)
        assert error.value.code == "bad_size"
        assert Meeting.objects.count() == 0


@pytest.mark.parametrize(
    "start, minutes, ok",
    [
        (at(WED, 10, 20), 30, False),  # overlaps the meeting
        (at(WED, 9), 120, False),  # covers it
        (at(WED, 10, 35), 30, False),  # inside its buffer (until 10:40)
        (at(WED, 9, 0), 55, False),  # the session's own buffer runs to 10:05
        (at(WED, 9, 0), 50, True),  # ... or exactly to 10:00
        (at(WED, 10, 40), 30, True),  # right after the meeting's buffer
    ],
)
def test_a_session_never_overlaps_the_hosts_meetings_or_buffers(
    now, host, customer, start, minutes, ok
):
    team = host.teams.get()
    book_enquiry(team, customer=customer, starts_at=at(WED, 10))  # 10:00–10:30, blocked to 10:40
    counter = ReferenceCounter.objects.get(prefix="MTG").last_value
    if ok:
        assert session_by(host, starts_at=start, minutes=minutes).starts_at == start
    else:
        with pytest.raises(SlotTaken):
            session_by(host, starts_at=start, minutes=minutes)
        assert Meeting.objects.count() == 1
        assert ReferenceCounter.objects.get(prefix="MTG").last_value == counter


def test_only_live_meetings_of_the_same_host_clash(now, host):
    other = HostFactory()
    meeting_row(other.user, starts_at=at(WED, 10))
    meeting_row(host, starts_at=at(WED, 10), status=Meeting.Status.CANCELLED)
    meeting_row(host, starts_at=at(WED, 11), status=Meeting.Status.NO_SHOW)
    assert session_by(host, starts_at=at(WED, 10), minutes=120).host == host
    with pytest.raises(SlotTaken):
        session_by(host, starts_at=at(WED, 11))  # now it clashes with the first session


# --- registering ---------------------------------------------------------------------------------
def test_a_customer_registers_with_a_question(session, customer):
    registration = services.session_register(
        actor=customer, session=session, question="  Is a bid bond needed?  "
    )
    assert (registration.meeting, registration.customer) == (session, customer)
    assert registration.question == "Is a bid bond needed?"
    assert _events(session, "registered").get().actor == customer
    notification = Notification.objects.get(kind="session_registered")
    assert notification.recipient == customer
    calendar = Calendar.from_ical(notification.attachments[0]["content"])
    assert str(calendar["method"]) == "REQUEST"
    assert sessions_open().get().registered == 1


def test_capacity_is_never_exceeded(session, customer, other_customer):
    services.session_register(actor=customer, session=session)
    services.session_register(actor=other_customer, session=session)
    late = CustomerFactory()
    before = _state(session)
    with pytest.raises(DomainError) as error:
        services.session_register(actor=late, session=session)
    assert error.value.code == "full"
    assert _state(session) == before
    assert session.registrations.count() == session.capacity == 2


def test_no_double_registration(session, customer):
    services.session_register(actor=customer, session=session)
    before = _state(session)
    with pytest.raises(DomainError) as error:
        services.session_register(actor=customer, session=session, question="Again")
    assert error.value.code == "already_registered"
    assert _state(session) == before


def test_registration_closes_at_the_start(session, customer, time_machine):
    time_machine.move_to(session.starts_at - datetime.timedelta(seconds=1), tick=False)
    services.session_register(actor=customer, session=session)
    time_machine.move_to(session.starts_at, tick=False)
    with pytest.raises(DomainError) as error:
        services.session_register(actor=CustomerFactory(), session=session)
    assert error.value.code == "closed"
    assert session.registrations.count() == 1


@pytest.mark.parametrize("status", [Meeting.Status.HELD, Meeting.Status.CANCELLED])
def test_registration_is_closed_once_the_session_is_over_or_cancelled(
    session, customer, host, status, time_machine
):
    if status == Meeting.Status.CANCELLED:
        services.meeting_cancel(actor=host, meeting=session, reason="Postponed")
    else:
        time_machine.move_to(session.starts_at, tick=False)
        services.meeting_record_minutes(
            actor=host, meeting=session, minutes="Explained tendering.", outcome="resolved"
        )
        time_machine.move_to(NOW, tick=False)  # the status alone must close it
    before = _state(session)
    with pytest.raises(DomainError) as error:
        services.session_register(actor=customer, session=session)
    assert error.value.code == "closed"
    assert _state(session) == before


def test_only_customers_register_and_only_for_sessions(session, customer, agent, host, now):
    for staff in (agent, host, UserFactory(is_staff=True, is_superuser=True)):
        with pytest.raises(PermissionDenied):
            services.session_register(actor=staff, session=session)
    appointment = book_enquiry(
        host.teams.get(), customer=CustomerFactory(), starts_at=at(WED + datetime.timedelta(1), 10)
    )
    with pytest.raises(DomainError) as error:
        services.session_register(actor=customer, session=appointment)
    assert error.value.code == "not_a_session"
    assert Registration.objects.count() == 0


# --- unregistering --------------------------------------------------------------------------------
def test_unregistering_gives_the_place_back(session, customer, other_customer):
    services.session_register(actor=customer, session=session)
    services.session_register(actor=other_customer, session=session)
    late = CustomerFactory()
    with pytest.raises(DomainError):
        services.session_register(actor=late, session=session)

    services.session_unregister(actor=customer, session=session)

    assert list(session.registrations.values_list("customer", flat=True)) == [other_customer.pk]
    assert _events(session, "unregistered").get().actor == customer
    notification = Notification.objects.get(kind="session_unregistered")
    assert notification.recipient == customer
    assert "METHOD:CANCEL" in notification.attachments[0]["content"]
    assert services.session_register(actor=late, session=session).customer == late


def test_only_registrants_unregister_and_only_before_the_start(
    session, customer, other_customer, host, time_machine
):
    services.session_register(actor=customer, session=session)
    with pytest.raises(PermissionDenied):
        services.session_unregister(actor=other_customer, session=session)
    time_machine.move_to(session.starts_at, tick=False)
    with pytest.raises(TransitionNotAllowed):
        services.session_unregister(actor=customer, session=session)
    time_machine.move_to(NOW, tick=False)
    services.meeting_cancel(actor=host, meeting=session, reason="Postponed")
    with pytest.raises(TransitionNotAllowed):
        services.session_unregister(actor=customer, session=session)
    assert session.registrations.get().customer == customer


def test_cancelling_a_session_tells_every_registrant(session, customer, other_customer, host):
    services.session_register(actor=customer, session=session)
    services.session_register(actor=other_customer, session=session)
    admin = UserFactory(is_staff=True, is_superuser=True)
    services.meeting_cancel(actor=admin, meeting=session, reason="Hall unavailable")
    told = Notification.objects.filter(kind="meeting_cancelled")
    assert {n.recipient for n in told} == {customer, other_customer, host}
    assert sessions_open().count() == 0


def test_the_customer_cannot_cancel_or_reschedule_a_session(session, customer):
    services.session_register(actor=customer, session=session)
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(actor=customer, meeting=session)
    with pytest.raises(PermissionDenied):
        services.meeting_reschedule(actor=customer, meeting=session, starts_at=at(WED, 12))
    session.refresh_from_db()
    assert session.status == Meeting.Status.SCHEDULED


def test_no_show_is_for_appointments_only(session, host, time_machine):
    time_machine.move_to(session.starts_at + datetime.timedelta(minutes=5), tick=False)
    with pytest.raises(PermissionDenied):
        services.meeting_mark_no_show(actor=host, meeting=session)


def test_a_cancelled_appointment_frees_the_time_for_a_session(now, host, customer, time_machine):
    meeting = book_enquiry(host.teams.get(), customer=customer, starts_at=at(WED, 10))
    with pytest.raises(SlotTaken):
        session_by(host, starts_at=at(WED, 10))
    take_to(meeting, Meeting.Status.CANCELLED, time_machine=time_machine)
    assert session_by(host, starts_at=at(WED, 10)).status == Meeting.Status.SCHEDULED


# --- PostgreSQL: many register at once ------------------------------------------------------------
def test_concurrent_registrations_never_exceed_the_capacity(transactional_db, postgresql):
    _, profile = team_with_host()
    session = session_by(
        profile.user,
        starts_at=at(timezone.localdate() + datetime.timedelta(days=3), 10),
        capacity=5,
    )
    customers = [CustomerFactory() for _ in range(20)]
    barrier = threading.Barrier(20)

    def register(customer):
        try:
            barrier.wait(timeout=30)
            return services.session_register(actor=customer, session=session)
        except Exception as error:  # noqa: BLE001 - returned for the test to inspect
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(register, customers))

    registered = [r for r in results if isinstance(r, Registration)]
    refused = [r for r in results if not isinstance(r, Registration)]
    assert len(registered) == 5
    assert [getattr(r, "code", r) for r in refused] == ["full"] * 15
    assert session.registrations.count() == 5
    assert Notification.objects.filter(kind="session_registered").count() == 5
    assert AuditEvent.objects.filter(verb="registered").count() == 5
