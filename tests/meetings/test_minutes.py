"""After the meeting: the host (or a superuser) records the minutes or a no-show — from a
scheduled meeting only, once it has started — the minutes reach the transaction's timeline, the
customer rates a held meeting once, and attendance is recorded only while the room is open."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied

from meetings import services
from meetings.jitsi import room_closes_at
from meetings.models import Attendance, Meeting
from meetings.selectors import DUBAI
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, Notification
from tests.factories import CustomerFactory, UserFactory
from tests.meetings.factories import (
    HostFactory,
    at,
    book_about,
    book_enquiry,
    session_by,
    take_to,
    team_with_host,
)
from transactions.selectors import transaction_timeline

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
WED = NOW.date() + datetime.timedelta(days=2)
STATUSES = list(Meeting.Status)


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def meeting(db, customer):
    team, _ = team_with_host()
    return book_enquiry(team, customer=customer, starts_at=at(WED, 10))


def _after_start(time_machine, meeting, minutes=5):
    time_machine.move_to(meeting.starts_at + datetime.timedelta(minutes=minutes), tick=False)


def _state(meeting) -> tuple:
    m = Meeting.objects.get(pk=meeting.pk)
    return (
        m.status,
        m.minutes,
        m.outcome,
        m.follow_up,
        m.rating,
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def _record(meeting, actor=None, **kwargs):
    return services.meeting_record_minutes(
        actor=actor or meeting.host,
        meeting=meeting,
        minutes=kwargs.pop("minutes", "We went through the plan."),
        outcome=kwargs.pop("outcome", Meeting.Outcome.FOLLOW_UP),
        follow_up=kwargs.pop("follow_up", "Send the revised plan."),
    )


def _no_show(meeting, actor=None):
    return services.meeting_mark_no_show(actor=actor or meeting.host, meeting=meeting)


# --- minutes and no-show: from each status -------------------------------------------------------
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action, to", [(_record, "held"), (_no_show, "no_show")])
def test_minutes_and_no_show_only_from_scheduled(meeting, status, action, to, time_machine):
    meeting = take_to(meeting, status, time_machine=time_machine)
    _after_start(time_machine, meeting, minutes=40)
    if status == Meeting.Status.SCHEDULED:
        done = action(meeting)
        assert done.status == to
        event = AuditEvent.objects.filter(object_id=str(meeting.pk), verb=to).get()
        assert (event.from_status, event.to_status, event.actor) == ("scheduled", to, meeting.host)
    else:
        before = _state(meeting)
        with pytest.raises(TransitionNotAllowed):
            action(meeting)
        assert _state(meeting) == before


@pytest.mark.parametrize("action", [_record, _no_show])
def test_only_once_the_meeting_has_started(meeting, action, time_machine):
    time_machine.move_to(meeting.starts_at - datetime.timedelta(minutes=1), tick=False)
    before = _state(meeting)
    with pytest.raises(DomainError) as refused:
        action(meeting)
    # Says when it can be done, not just "not allowed".
    assert refused.value.code == "not_started"
    assert meeting.starts_at.astimezone(DUBAI).strftime("%H:%M") in str(refused.value.message)
    assert _state(meeting) == before
    time_machine.move_to(meeting.starts_at, tick=False)
    assert action(meeting).status != Meeting.Status.SCHEDULED


@pytest.mark.parametrize("action", [_record, _no_show])
def test_only_the_host_or_a_superuser(meeting, action, customer, agent, time_machine):
    other_host = HostFactory().user
    _after_start(time_machine, meeting)
    before = _state(meeting)
    for someone in (customer, agent, other_host, UserFactory(is_staff=True)):
        with pytest.raises(PermissionDenied):
            action(meeting, actor=someone)
    assert _state(meeting) == before
    admin = UserFactory(is_staff=True, is_superuser=True)
    assert action(meeting, actor=admin).status != Meeting.Status.SCHEDULED


def test_minutes_need_text_and_an_outcome(meeting, time_machine):
    _after_start(time_machine, meeting)
    before = _state(meeting)
    with pytest.raises(DomainError) as error:
        _record(meeting, minutes="   ")
    assert error.value.code == "no_minutes"
    with pytest.raises(DomainError) as error:
        _record(meeting, outcome="great")
    assert error.value.code == "no_outcome"
    assert _state(meeting) == before


def test_the_minutes_are_kept_and_the_customer_told(meeting, customer, time_machine):
    _after_start(time_machine, meeting)
    held = _record(meeting, minutes="  Agreed.  ", outcome="resolved", follow_up="  None.  ")
    held.refresh_from_db()
    assert (held.status, held.minutes, held.outcome, held.follow_up) == (
        "held",
        "Agreed.",
        "resolved",
        "None.",
    )
    assert [(n.recipient, n.kind) for n in Notification.objects.filter(kind="meeting_held")] == [
        (customer, "meeting_held")
    ]
    # A general enquiry has no transaction: nothing is written elsewhere.
    assert not AuditEvent.objects.filter(verb="meeting_held").exists()


def test_the_minutes_appear_on_the_transactions_timeline(
    db, remarked, people, customer, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    _after_start(time_machine, meeting, minutes=35)
    _record(meeting, minutes="Setbacks agreed.", outcome="follow_up", follow_up="Revise sheet 2.")

    [event] = [
        e
        for e in transaction_timeline(transaction=remarked, user=customer)
        if e.verb == "meeting_held"
    ]
    assert event.actor == people.reviewer
    assert event.data["label_en"] == "Video meeting held"
    assert event.data["label_ar"] == "عُقد الاجتماع المرئي"
    assert event.data["text"] == "Setbacks agreed."
    assert event.data["note"] == "Revise sheet 2."
    assert event.data["outcome"] == "follow_up"
    assert event.data["meeting"] == meeting.reference
    assert event.data["starts"] == "2026-03-04 10:00"
    assert event.content_type == ContentType.objects.get_for_model(remarked)


def test_a_no_show_appears_on_the_transactions_timeline(
    db, remarked, people, customer, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    _after_start(time_machine, meeting, minutes=20)
    _no_show(meeting)
    [event] = [
        e
        for e in transaction_timeline(transaction=remarked, user=customer)
        if e.verb == "meeting_no_show"
    ]
    assert event.data["label_en"] == "Customer did not attend the video meeting"
    assert event.actor == people.reviewer


def test_a_session_is_held_for_its_registrants(db, customer, other_customer, time_machine):
    _, host = team_with_host()
    session = session_by(host.user, starts_at=at(WED, 10))
    services.session_register(actor=customer, session=session)
    services.session_register(actor=other_customer, session=session)
    _after_start(time_machine, session, minutes=60)
    assert _record(session).status == Meeting.Status.HELD
    told = Notification.objects.filter(kind="meeting_held")
    assert {n.recipient for n in told} == {customer, other_customer}


# --- rating ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", STATUSES)
def test_only_a_held_meeting_is_rated(meeting, customer, status, time_machine):
    meeting = take_to(meeting, status, time_machine=time_machine)
    _after_start(time_machine, meeting, minutes=60)
    if status == Meeting.Status.HELD:
        rated = services.meeting_rate(
            actor=customer, meeting=meeting, rating=3, comment="  Very helpful  "
        )
        rated.refresh_from_db()
        assert (rated.rating, rated.rating_comment) == (3, "Very helpful")
        event = AuditEvent.objects.get(verb="rated", object_id=str(meeting.pk))
        assert (event.actor, event.data) == (customer, {"rating": 3})
    else:
        before = _state(meeting)
        with pytest.raises(DomainError) as error:
            services.meeting_rate(actor=customer, meeting=meeting, rating=3)
        assert error.value.code == "not_ratable"
        assert _state(meeting) == before


def test_a_meeting_is_rated_once(meeting, customer, time_machine):
    meeting = take_to(meeting, Meeting.Status.HELD, time_machine=time_machine)
    services.meeting_rate(actor=customer, meeting=meeting, rating=1)
    before = _state(meeting)
    with pytest.raises(DomainError) as error:
        services.meeting_rate(actor=customer, meeting=meeting, rating=3)
    assert error.value.code == "not_ratable"
    assert _state(meeting) == before
    assert Meeting.objects.get(pk=meeting.pk).rating == 1


def test_only_the_customer_rates(meeting, other_customer, time_machine):
    meeting = take_to(meeting, Meeting.Status.HELD, time_machine=time_machine)
    colleague = CustomerFactory(organization=meeting.customer.organization)
    admin = UserFactory(is_staff=True, is_superuser=True)
    for someone in (other_customer, colleague, meeting.host, admin):
        with pytest.raises(PermissionDenied):
            services.meeting_rate(actor=someone, meeting=meeting, rating=3)
    assert Meeting.objects.get(pk=meeting.pk).rating is None


@pytest.mark.parametrize("rating", [0, 4, -1])
def test_a_rating_is_one_of_the_three_faces(meeting, customer, rating, time_machine):
    meeting = take_to(meeting, Meeting.Status.HELD, time_machine=time_machine)
    with pytest.raises(DomainError) as error:
        services.meeting_rate(actor=customer, meeting=meeting, rating=rating)
    assert error.value.code == "bad_rating"
    assert Meeting.objects.get(pk=meeting.pk).rating is None


# --- attendance -----------------------------------------------------------------------------------
def _attend(meeting, user, event):
    return services.attendance_record(actor=user, meeting=meeting, event=event)


def test_attendance_only_while_the_room_is_open(meeting, customer, settings, time_machine):
    settings.MEETING_ROOM_OPENS_MINUTES = 10
    opens = meeting.starts_at - datetime.timedelta(minutes=10)
    closes = room_closes_at(meeting)  # the same window as the page and the JWT
    for moment in (opens - datetime.timedelta(seconds=1), closes + datetime.timedelta(seconds=1)):
        time_machine.move_to(moment, tick=False)
        with pytest.raises(DomainError) as error:
            _attend(meeting, customer, "joined")
        assert error.value.code == "room_closed"
    assert Attendance.objects.count() == 0
    time_machine.move_to(opens, tick=False)
    assert _attend(meeting, customer, "joined").joined_at == opens
    time_machine.move_to(closes, tick=False)
    assert _attend(meeting, customer, "left").left_at == closes


def test_stays_and_their_durations(meeting, customer, time_machine):
    host = meeting.host
    start = meeting.starts_at
    time_machine.move_to(start - datetime.timedelta(minutes=2), tick=False)
    first = _attend(meeting, customer, "joined")
    time_machine.move_to(start, tick=False)
    assert _attend(meeting, customer, "joined") == first  # a repeated join is ignored
    host_stay = _attend(meeting, host, "joined")
    time_machine.move_to(start + datetime.timedelta(minutes=7, seconds=30), tick=False)
    assert _attend(meeting, customer, "left") == first  # dropped out...
    time_machine.move_to(start + datetime.timedelta(minutes=9), tick=False)
    second = _attend(meeting, customer, "joined")  # ... and came back
    assert second != first
    time_machine.move_to(start + datetime.timedelta(minutes=25), tick=False)
    _attend(meeting, customer, "left")
    _attend(meeting, host, "left")
    assert _attend(meeting, customer, "left") is None  # no open stay left to close

    stays = {a.pk: a for a in Attendance.objects.filter(meeting=meeting)}
    assert stays[first.pk].seconds == 9 * 60 + 30
    assert stays[second.pk].seconds == 16 * 60
    assert stays[host_stay.pk].seconds == 25 * 60
    assert Attendance.objects.filter(meeting=meeting, user=customer).count() == 2


def test_an_open_stay_counts_no_time_yet(meeting, customer, time_machine):
    time_machine.move_to(meeting.starts_at, tick=False)
    stay = _attend(meeting, customer, "joined")
    assert stay.left_at is None and stay.seconds == 0


def test_attendance_only_for_participants_of_a_live_meeting(
    meeting, customer, other_customer, agent, time_machine
):
    time_machine.move_to(meeting.starts_at, tick=False)
    for outsider in (other_customer, agent, UserFactory(is_staff=True, is_superuser=True)):
        with pytest.raises(PermissionDenied):
            _attend(meeting, outsider, "joined")
    with pytest.raises(DomainError) as error:
        _attend(meeting, customer, "waved")
    assert error.value.code == "bad_event"
    time_machine.move_to(NOW, tick=False)
    take_to(meeting, Meeting.Status.CANCELLED, time_machine=time_machine)
    time_machine.move_to(meeting.starts_at, tick=False)
    with pytest.raises(DomainError) as error:
        _attend(meeting, customer, "joined")
    assert error.value.code == "room_closed"
    assert Attendance.objects.count() == 0


def test_leaving_after_the_minutes_are_recorded_still_counts(meeting, customer, time_machine):
    time_machine.move_to(meeting.starts_at, tick=False)
    stay = _attend(meeting, customer, "joined")
    _record(meeting)
    time_machine.move_to(meeting.ends_at, tick=False)
    assert _attend(meeting, customer, "left").pk == stay.pk
    assert Attendance.objects.get().seconds == 30 * 60


def test_session_registrants_attend(db, customer, other_customer, time_machine):
    _, host = team_with_host()
    session = session_by(host.user, starts_at=at(WED, 10))
    services.session_register(actor=customer, session=session)
    time_machine.move_to(session.starts_at, tick=False)
    assert _attend(session, customer, "joined").user == customer
    assert _attend(session, host.user, "joined").user == host.user
    with pytest.raises(PermissionDenied):
        _attend(session, other_customer, "joined")
