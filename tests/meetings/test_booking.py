"""Booking, rescheduling and cancelling appointments through the services: who hosts, who may
book about what, the booking rules (notice, horizon, hours, holidays, leave, buffers), the
audit trail on the transaction's timeline, that a failure half-way leaves nothing behind, and —
on PostgreSQL — that twenty customers racing for one slot get exactly one meeting."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connections
from django.db import transaction as db_transaction
from django.utils import translation
from django.utils.functional import Promise

from meetings import services
from meetings.models import Leave, Meeting
from meetings.selectors import DUBAI, free_slots, hosts_for_team
from meetings.services import SlotTaken
from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, Holiday, Notification, PrivateFile, ReferenceCounter
from tests.factories import CustomerFactory, UserFactory
from tests.meetings.factories import (
    HostFactory,
    at,
    book_about,
    book_enquiry,
    first_free_slot,
    meeting_row,
    session_by,
    take_to,
    team_with_host,
)
from tests.transactions.factories import People, ServiceFactory, pdf, transaction_at
from transactions.models import Transaction
from transactions.selectors import transaction_timeline

S = Transaction.Status
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
MON = NOW.date()
TUE = MON + datetime.timedelta(days=1)
WED = MON + datetime.timedelta(days=2)
THU = MON + datetime.timedelta(days=3)
BOOKABLE = set(S) - {S.DRAFT} - set(Transaction.FINAL)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def _mtg_counter() -> int:
    counter = ReferenceCounter.objects.filter(prefix="MTG").first()
    return counter.last_value if counter else 0


def _events(obj, **filters):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        **filters,
    )


def _stored_files(root) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _state() -> tuple:
    """What a refused booking must leave as it was."""
    return (
        Meeting.objects.count(),
        _mtg_counter(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
        PrivateFile.objects.count(),
    )


def _free(host, day=WED) -> set[datetime.datetime]:
    return set(free_slots(hosts=[host], day_from=day, day_to=day))


# --- who hosts ----------------------------------------------------------------------------------
def test_the_reviewer_holding_the_transaction_hosts(db, now, remarked, people, customer):
    idle = HostFactory()
    idle.user.teams.add(remarked.service.team)  # a free team-mate with no meetings
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))

    assert meeting.host == people.reviewer
    assert meeting.reference == f"MTG-{NOW.year}-000001"
    assert (meeting.kind, meeting.topic, meeting.status) == (
        "appointment",
        "transaction",
        "scheduled",
    )
    assert (meeting.customer, meeting.organization) == (customer, customer.organization)
    assert (meeting.transaction, meeting.team) == (remarked, remarked.service.team)
    assert meeting.starts_at == at(WED, 10)
    assert meeting.ends_at == at(WED, 10, 30)
    assert meeting.blocked_until == at(WED, 10, 40)
    assert meeting.title_en == f"{remarked.reference} — {remarked.service.name_en}"
    assert meeting.agenda == "Discuss it"
    assert meeting.ics_sequence == 0


def test_a_meeting_about_a_remark_names_it(db, now, remarked, people, customer):
    remark = remarked.remarks.get()
    meeting = book_about(remarked, customer=customer, remark=remark, starts_at=at(WED, 10))
    assert (meeting.remark, meeting.transaction, meeting.host) == (
        remark,
        remarked,
        people.reviewer,
    )
    assert meeting.title_en.startswith("Remark on ")


def test_an_unassigned_transaction_goes_to_the_least_loaded_team_host(db, now, people, service):
    busy = people.reviewer.meeting_profile
    idle = HostFactory()
    idle.user.teams.add(service.team)
    meeting_row(busy.user, starts_at=at(THU, 8))  # the reviewer already meets someone this week
    t = transaction_at(S.SUBMITTED, service=service, people=people)
    assert t.assignee is None

    first = book_about(t, customer=people.customer, starts_at=at(WED, 10))
    assert first.host == idle.user
    # Now both have one; at a time the idle host is taken, the other one hosts.
    second = book_about(t, customer=people.customer, starts_at=at(WED, 10))
    assert second.host == busy.user
    with pytest.raises(SlotTaken):
        book_about(t, customer=people.customer, starts_at=at(WED, 10))


def test_a_general_enquiry_goes_to_the_team(db, now, customer):
    team, host = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10), agenda="  Fees?  ")
    assert (meeting.host, meeting.team, meeting.transaction) == (host.user, team, None)
    assert meeting.topic == Meeting.Topic.GENERAL
    assert meeting.agenda == "Fees?"
    assert meeting.title_en == f"Enquiry: {team.name_en}"


def test_a_meeting_needs_a_topic_and_a_host(db, now, customer):
    with pytest.raises(DomainError) as error:
        services.meeting_book(actor=customer, starts_at=at(WED, 10))
    assert error.value.code == "no_topic"
    team, host = team_with_host()
    host.is_active = False
    host.save()
    with pytest.raises(DomainError) as error:
        book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert error.value.code == "no_hosts"
    assert Meeting.objects.count() == 0


# --- who may book about what ----------------------------------------------------------------------
def test_a_customer_cannot_book_about_someone_elses_transaction(db, now, remarked, other_customer):
    before = _state()
    with pytest.raises(PermissionDenied):
        book_about(remarked, customer=other_customer, starts_at=at(WED, 10))
    with pytest.raises(PermissionDenied):
        book_about(
            remarked,
            customer=other_customer,
            remark=remarked.remarks.get(),
            starts_at=at(WED, 10),
        )
    assert _state() == before


def test_a_colleague_in_the_customers_organization_may_book_about_it(db, now, remarked, customer):
    colleague = CustomerFactory(organization=customer.organization)
    meeting = book_about(remarked, customer=colleague, starts_at=at(WED, 10))
    assert meeting.customer == colleague


@pytest.mark.parametrize("who", ["reviewer", "agent", "finance", "admin_user"])
def test_staff_cannot_book(db, now, remarked, request, who):
    staff = request.getfixturevalue(who)
    team, _ = team_with_host()
    before = _state()
    with pytest.raises(PermissionDenied):
        book_about(remarked, customer=staff, starts_at=at(WED, 10))
    with pytest.raises(PermissionDenied):
        book_enquiry(team, customer=staff, starts_at=at(WED, 10))
    assert _state() == before


def test_anonymous_cannot_book(db, now):
    team, _ = team_with_host()
    with pytest.raises(PermissionDenied):
        book_enquiry(team, customer=AnonymousUser(), starts_at=at(WED, 10))


@pytest.mark.parametrize("status", list(S))
def test_meetings_about_a_transaction_only_while_it_is_open(db, now, status):
    t = transaction_at(status)
    HostFactory(user=t.people.reviewer)
    if status in BOOKABLE:
        meeting = book_about(t, customer=t.people.customer, starts_at=at(WED, 10))
        assert meeting.transaction == t
    else:
        before = _state()
        with pytest.raises(DomainError) as error:
            book_about(t, customer=t.people.customer, starts_at=at(WED, 10))
        assert error.value.code == "topic_closed"
        assert _state() == before


# --- booking rules ------------------------------------------------------------------------------
def test_minimum_notice(db, now, customer):
    team, host = team_with_host(min_notice_hours=24)
    with pytest.raises(DomainError) as error:
        book_enquiry(team, customer=customer, starts_at=at(TUE, 8, 40))  # 23h20 ahead
    assert error.value.code == "too_soon"
    assert "24" in str(error.value.message)
    assert Meeting.objects.count() == 0
    assert book_enquiry(team, customer=customer, starts_at=at(TUE, 9, 20)).host == host.user


def test_horizon(db, now, customer):
    team, host = team_with_host(horizon_days=30)
    last = MON + datetime.timedelta(days=30)
    with pytest.raises(DomainError) as error:
        book_enquiry(team, customer=customer, starts_at=at(last, 9, 20))  # 30 days + 20 min
    assert error.value.code == "too_far"
    assert Meeting.objects.count() == 0
    assert book_enquiry(team, customer=customer, starts_at=at(last, 8, 40)).host == host.user


@pytest.mark.parametrize(
    "when",
    [
        at(WED, 10, 5),  # off the host's grid
        at(WED, 7, 20),  # before the weekly hours
        at(WED, 16),  # after them
        at(WED, 15, 40),  # would run past 16:00
    ],
)
def test_only_times_inside_the_weekly_hours_on_the_grid(db, now, customer, when):
    team, _ = team_with_host()
    with pytest.raises(SlotTaken):
        book_enquiry(team, customer=customer, starts_at=when)
    assert Meeting.objects.count() == 0


def test_no_meetings_on_days_without_hours(db, now, customer):
    team, _ = team_with_host(hours=[THU.weekday()])
    with pytest.raises(SlotTaken):
        book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert book_enquiry(team, customer=customer, starts_at=at(THU, 10)).starts_at == at(THU, 10)


def test_no_meetings_on_public_holidays(db, now, customer):
    team, _ = team_with_host()
    Holiday.objects.create(date=WED, name_ar="عطلة", name_en="Holiday")
    with pytest.raises(SlotTaken):
        book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert Meeting.objects.count() == 0


def test_no_meetings_while_the_host_is_on_leave(db, now, customer):
    team, host = team_with_host()
    Leave.objects.create(host=host, starts_at=at(WED, 9, 50), ends_at=at(WED, 10, 10))
    with pytest.raises(SlotTaken):
        book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert book_enquiry(team, customer=customer, starts_at=at(WED, 10, 40)).host == host.user


def test_the_next_slot_after_a_booking_starts_after_its_buffer(db, now, customer, other_customer):
    team, host = team_with_host(buffer_minutes=10)
    first = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert at(WED, 10) not in _free(host)
    with pytest.raises(SlotTaken) as error:
        book_enquiry(team, customer=other_customer, starts_at=at(WED, 10))
    assert error.value.code == "slot_taken"
    second = book_enquiry(team, customer=other_customer, starts_at=at(WED, 10, 40))
    assert second.starts_at == first.blocked_until
    before = book_enquiry(team, customer=other_customer, starts_at=at(WED, 9, 20))
    assert before.blocked_until == first.starts_at


def test_a_slot_overlapping_a_buffer_is_refused(db, now, customer, other_customer):
    team, host = team_with_host(buffer_minutes=10)
    # An open session off the grid: 10:35–11:05, blocked until 11:15.
    session_by(host.user, starts_at=at(WED, 10, 35), minutes=30)
    with pytest.raises(SlotTaken):  # 10:00–10:30 is free, but its buffer runs to 10:40
        book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    with pytest.raises(SlotTaken):  # 11:20 is free; 10:40 overlaps the session itself
        book_enquiry(team, customer=customer, starts_at=at(WED, 10, 40))
    assert book_enquiry(team, customer=customer, starts_at=at(WED, 11, 20)).host == host.user
    assert Meeting.objects.filter(kind="appointment").count() == 1


def test_slot_taken_is_a_clear_translatable_conflict(db, now, customer, other_customer):
    team, _ = team_with_host()
    book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    with pytest.raises(SlotTaken) as error:
        book_enquiry(team, customer=other_customer, starts_at=at(WED, 10))
    assert isinstance(error.value, DomainError)
    assert error.value.code == "slot_taken"
    assert isinstance(error.value.message, Promise)  # rendered in the reader's language
    with translation.override("en"):
        assert str(error.value.message) == (
            "This time is no longer available; please choose another."
        )
    with translation.override("ar"):
        assert str(error.value.message) == "هذا الموعد لم يعد متاحاً؛ يرجى اختيار موعد آخر."


# --- reschedule ----------------------------------------------------------------------------------
def test_reschedule_keeps_the_host_and_moves_the_slot(db, now, remarked, people, customer):
    idle = HostFactory()
    idle.user.teams.add(remarked.service.team)
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    notices = Notification.objects.count()

    moved = services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(THU, 14))

    assert moved.host == people.reviewer
    assert (moved.starts_at, moved.ends_at, moved.blocked_until) == (
        at(THU, 14),
        at(THU, 14, 30),
        at(THU, 14, 40),
    )
    assert moved.ics_sequence == 1
    assert (moved.reference, moved.room_name, moved.ics_uid) == (
        meeting.reference,
        meeting.room_name,
        meeting.ics_uid,
    )
    profile = people.reviewer.meeting_profile
    assert at(WED, 10) in _free(profile, WED)
    assert at(THU, 14) not in _free(profile, THU)
    event = _events(moved, verb="rescheduled").get()
    assert event.data == {"from": "2026-03-04 10:00", "to": "2026-03-05 14:00"}
    assert _events(remarked, verb="meeting_rescheduled").count() == 1
    new = Notification.objects.order_by("pk")[notices:]
    assert {(n.recipient, n.kind) for n in new} == {
        (customer, "meeting_rescheduled"),
        (people.reviewer, "meeting_rescheduled"),
    }
    assert all(n.context["previous"] == "2026-03-04 10:00" for n in new)
    # The old slot can be booked again.
    assert book_about(remarked, customer=customer, starts_at=at(WED, 10)).host == people.reviewer


def test_reschedule_to_a_taken_slot_changes_nothing(db, now, customer, other_customer):
    team, _ = team_with_host()
    mine = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    book_enquiry(team, customer=other_customer, starts_at=at(THU, 10))
    before = _state()
    with pytest.raises(SlotTaken):
        services.meeting_reschedule(actor=customer, meeting=mine, starts_at=at(THU, 10))
    mine.refresh_from_db()
    assert (mine.starts_at, mine.ics_sequence) == (at(WED, 10), 0)
    assert _state() == before


def test_reschedule_follows_the_booking_rules(db, now, customer):
    team, _ = team_with_host(min_notice_hours=24, horizon_days=30)
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    for when, code in [
        (at(TUE, 8, 40), "too_soon"),
        (at(MON + datetime.timedelta(days=30), 9, 20), "too_far"),
    ]:
        with pytest.raises(DomainError) as error:
            services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=when)
        assert error.value.code == code
    # Its own slot is not taken by itself.
    same = services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(WED, 10))
    assert same.starts_at == at(WED, 10)


def test_only_the_customer_reschedules_before_the_notice(
    db, now, customer, other_customer, admin_user, time_machine
):
    team, host = team_with_host(min_notice_hours=24)
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    for someone in (other_customer, host.user, admin_user):
        with pytest.raises(PermissionDenied):
            services.meeting_reschedule(actor=someone, meeting=meeting, starts_at=at(THU, 10))
    time_machine.move_to(at(TUE, 10, 1), tick=False)  # 23h59 before
    with pytest.raises(DomainError) as error:
        services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(THU, 12))
    assert error.value.code == "too_late"
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.ics_sequence) == (at(WED, 10), 0)


# --- cancel -------------------------------------------------------------------------------------
def test_the_customer_cancels_before_the_notice_and_the_slot_is_free_again(
    db, now, remarked, people, customer, other_customer
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    notices = Notification.objects.count()

    cancelled = services.meeting_cancel(actor=customer, meeting=meeting, reason=" Solved ")

    assert cancelled.status == Meeting.Status.CANCELLED
    assert (cancelled.cancelled_at, cancelled.cancelled_by) == (NOW, customer)
    assert cancelled.cancel_reason == "Solved"
    assert cancelled.ics_sequence == 1
    event = _events(cancelled, verb="cancelled").get()
    assert (event.from_status, event.to_status) == ("scheduled", "cancelled")
    assert _events(remarked, verb="meeting_cancelled").get().data["reason"] == "Solved"
    # Everyone who received the invitation gets the cancellation, whoever cancelled.
    new = Notification.objects.order_by("pk")[notices:]
    assert [(n.recipient, n.kind) for n in new] == [
        (customer, "meeting_cancelled"),
        (people.reviewer, "meeting_cancelled"),
    ]
    assert at(WED, 10) in _free(people.reviewer.meeting_profile)
    again = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    assert again.status == Meeting.Status.SCHEDULED


def test_the_customer_cannot_cancel_inside_the_notice(db, now, customer, time_machine):
    team, _ = team_with_host(min_notice_hours=24)
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    time_machine.move_to(at(TUE, 10, 1), tick=False)
    before = _state()
    with pytest.raises(DomainError) as error:
        services.meeting_cancel(actor=customer, meeting=meeting)
    assert error.value.code == "too_late"
    assert "24" in str(error.value.message)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert _state() == before
    time_machine.move_to(at(TUE, 10), tick=False)  # exactly 24 hours before: still allowed
    assert services.meeting_cancel(actor=customer, meeting=meeting).status == "cancelled"


def test_staff_cancel_at_any_time_with_a_reason(db, now, customer, agent, time_machine):
    team, host = team_with_host()
    team.supervisor = agent  # the host's team supervisor may cancel too
    team.save(update_fields=["supervisor"])
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    time_machine.move_to(at(WED, 9), tick=False)  # inside the notice
    with pytest.raises(DomainError) as error:
        services.meeting_cancel(actor=host.user, meeting=meeting, reason="   ")
    assert error.value.code == "no_reason"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    notices = Notification.objects.count()
    services.meeting_cancel(actor=agent, meeting=meeting, reason="Host is ill")
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancelled_by, meeting.cancel_reason) == (
        "cancelled",
        agent,
        "Host is ill",
    )
    new = Notification.objects.order_by("pk")[notices:]
    assert {n.recipient for n in new} == {customer, host.user}
    assert all(n.context["reason"] == "Host is ill" for n in new)


def test_another_customer_cannot_cancel(db, now, customer, other_customer):
    team, _ = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    with pytest.raises(PermissionDenied):
        services.meeting_cancel(actor=other_customer, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


@pytest.mark.parametrize("status", list(Meeting.Status))
def test_reschedule_and_cancel_from_each_status(db, now, customer, status, time_machine):
    team, host = team_with_host()
    meeting = take_to(
        book_enquiry(team, customer=customer, starts_at=at(WED, 10)),
        status,
        time_machine=time_machine,
    )
    before = (_state(), meeting.starts_at, meeting.ics_sequence)
    if status == Meeting.Status.SCHEDULED:
        moved = services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(THU, 10))
        assert moved.starts_at == at(THU, 10)
        assert services.meeting_cancel(actor=customer, meeting=moved).status == "cancelled"
        return
    with pytest.raises(TransitionNotAllowed):
        services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(THU, 10))
    with pytest.raises(TransitionNotAllowed):
        services.meeting_cancel(actor=customer, meeting=meeting)
    with pytest.raises(TransitionNotAllowed):
        services.meeting_cancel(actor=host.user, meeting=meeting, reason="Tidy up")
    meeting.refresh_from_db()
    assert meeting.status == status
    assert (_state(), meeting.starts_at, meeting.ics_sequence) == before


# --- the transaction's timeline ------------------------------------------------------------------
def test_the_meeting_appears_on_the_transactions_timeline(
    db, now, remarked, people, customer, time_machine
):
    meeting = book_about(remarked, customer=customer, starts_at=at(WED, 10))
    services.meeting_reschedule(actor=customer, meeting=meeting, starts_at=at(WED, 11, 20))
    time_machine.move_to(at(WED, 11, 30), tick=False)
    services.meeting_record_minutes(
        actor=people.reviewer,
        meeting=meeting,
        minutes="Agreed on the setbacks.",
        outcome="follow_up",
        follow_up="Upload the revised plan.",
    )
    other = book_about(remarked, customer=customer, starts_at=at(THU, 14))
    services.meeting_cancel(actor=people.reviewer, meeting=other, reason="Duplicate")

    for viewer in (customer, people.reviewer):
        timeline = transaction_timeline(transaction=remarked, user=viewer)
        mine = [e for e in timeline if e.verb.startswith("meeting_")]
        assert [e.verb for e in mine] == [
            "meeting_booked",
            "meeting_rescheduled",
            "meeting_held",
            "meeting_booked",
            "meeting_cancelled",
        ]
        assert [e.data["label_en"] for e in mine] == [
            "Video meeting booked",
            "Video meeting rescheduled",
            "Video meeting held",
            "Video meeting booked",
            "Video meeting cancelled",
        ]
        assert all(e.data["label_ar"] for e in mine)
        assert mine[0].data["meeting"] == meeting.reference
        assert mine[0].data["note"] == "Discuss it"
        assert mine[1].data["starts"] == "2026-03-04 11:20"
        assert mine[2].data["text"] == "Agreed on the setbacks."
        assert mine[2].data["outcome"] == "follow_up"
        assert mine[4].data["reason"] == "Duplicate"
        assert (mine[0].actor, mine[2].actor) == (customer, people.reviewer)


def test_an_enquiry_writes_no_transaction_event(db, now, remarked, customer):
    before = _events(remarked).count()
    team, _ = team_with_host()
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10))
    assert _events(remarked).count() == before
    assert _events(meeting, verb="booked").get().to_status == "scheduled"


# --- a failure half-way leaves nothing behind ---------------------------------------------------
def test_an_invalid_attachment_leaves_nothing_behind(db, now, customer, private_media):
    team, host = team_with_host()
    book_enquiry(team, customer=CustomerFactory(), starts_at=at(WED, 8))  # the counter exists
    before, files = _state(), _stored_files(private_media)
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00" * 64, content_type="application/pdf")
    with pytest.raises(ValidationError):
        book_enquiry(
            team, customer=customer, starts_at=at(WED, 10), attachments=[pdf("plan.pdf"), bad]
        )
    assert _state() == before
    assert _stored_files(private_media) == files  # no orphan file on disk
    assert at(WED, 10) in _free(host)
    meeting = book_enquiry(team, customer=customer, starts_at=at(WED, 10), attachments=[pdf()])
    assert meeting.reference.endswith("-000002")  # the failed attempt used no number
    assert PrivateFile.objects.filter(purpose="meeting_attachment").count() == 1


def test_a_failure_at_the_end_of_booking_leaves_nothing_behind(
    db, now, customer, private_media, monkeypatch
):
    team, host = team_with_host()
    before, files = _state(), _stored_files(private_media)

    def broken(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("meetings.services.notify", broken)
    with pytest.raises(RuntimeError):
        book_enquiry(team, customer=customer, starts_at=at(WED, 10), attachments=[pdf()])
    assert _state() == before
    assert _stored_files(private_media) == files
    assert at(WED, 10) in _free(host)


# --- PostgreSQL: the database itself refuses a double booking -------------------------------------
def test_the_exclusion_constraint_refuses_overlapping_live_meetings(db, postgresql):
    host, other = HostFactory(), HostFactory()
    meeting_row(host.user, starts_at=at(WED, 10))  # [10:00, 10:40)
    for start in (at(WED, 10), at(WED, 10, 39), at(WED, 9, 31)):
        with pytest.raises(IntegrityError), db_transaction.atomic():
            meeting_row(host.user, starts_at=start)
    with pytest.raises(IntegrityError), db_transaction.atomic():
        meeting_row(host.user, starts_at=at(WED, 10, 20), status=Meeting.Status.HELD)
    # Touching ranges, other hosts and meetings that are not live may overlap.
    meeting_row(host.user, starts_at=at(WED, 10, 40))
    meeting_row(host.user, starts_at=at(WED, 9, 20))  # blocked until exactly 10:00
    meeting_row(other.user, starts_at=at(WED, 10))
    cancelled = meeting_row(host.user, starts_at=at(WED, 10), status=Meeting.Status.CANCELLED)
    meeting_row(host.user, starts_at=at(WED, 10, 10), status=Meeting.Status.NO_SHOW)
    # ... but a cancelled meeting cannot come back to life on top of a live one.
    with pytest.raises(IntegrityError), db_transaction.atomic():
        Meeting.objects.filter(pk=cancelled.pk).update(status=Meeting.Status.SCHEDULED)
    assert Meeting.objects.filter(host=host.user, status__in=Meeting.LIVE).count() == 3


def _race(n: int, attempt) -> list:
    """Run `attempt(i)` in n threads released together, each on its own connection."""
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return attempt(i)
        except Exception as error:  # noqa: BLE001 - returned for the test to inspect
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def _racers(n: int):
    """A one-host team, its service, and n customers: every fifth with a submitted
    transaction of their own (unassigned, so the team's one host takes it), the others asking
    a general enquiry."""
    team, host = team_with_host(slot_minutes=30, buffer_minutes=10)
    service = ServiceFactory(team=team)
    agent, finance = UserFactory(role="happiness_agent"), UserFactory(role="finance_officer")
    customers, topics = [], []
    for i in range(n):
        customer = CustomerFactory()
        customers.append(customer)
        if i % 5 == 0:
            people = People(
                service=service, customer=customer, agent=agent, reviewer=host.user, finance=finance
            )
            topics.append(
                {"transaction": transaction_at(S.SUBMITTED, service=service, people=people)}
            )
        else:
            topics.append({"team": team})
    return team, host, customers, topics


@pytest.mark.parametrize("lock", [True, False], ids=["row-lock", "constraint-only"])
def test_twenty_customers_racing_for_one_slot_get_one_meeting(
    transactional_db, postgresql, private_media, mailoutbox, monkeypatch, lock
):
    team, host, customers, topics = _racers(20)
    if not lock:
        # Without the host row lock every racer finds the slot free: the exclusion constraint
        # alone must still let one through.
        monkeypatch.setattr(
            "meetings.services._lock_hosts",
            lambda hosts: list(
                type(hosts[0])
                .objects.filter(pk__in=[h.pk for h in hosts])
                .select_related("user")
                .prefetch_related("hours")
            ),
        )
    slot = first_free_slot(hosts_for_team(team=team))
    files, rows, counter = _stored_files(private_media), PrivateFile.objects.count(), _mtg_counter()
    assert counter == 0
    mailoutbox.clear()

    results = _race(
        20,
        lambda i: services.meeting_book(
            actor=customers[i],
            starts_at=slot,
            agenda=f"Racer {i}",
            attachments=[pdf(f"racer-{i}.pdf")],
            **topics[i],
        ),
    )

    won = [r for r in results if isinstance(r, Meeting)]
    lost = [r for r in results if not isinstance(r, Meeting)]
    assert len(won) == 1, results
    assert len(lost) == 19 and all(isinstance(r, SlotTaken) for r in lost), lost
    assert {r.code for r in lost} == {"slot_taken"}
    with translation.override("en"):  # the threads ran in the default language (Arabic)
        assert {str(r.message) for r in lost} == {
            "This time is no longer available; please choose another."
        }
    [meeting] = won
    winner = customers.index(meeting.customer)
    assert Meeting.objects.get() == meeting
    assert (meeting.host, meeting.starts_at, meeting.agenda) == (
        host.user,
        slot,
        f"Racer {winner}",
    )
    # The reference counter moved once: the losers never took (or gave back) a number.
    assert meeting.reference == f"MTG-{slot.year}-000001"
    assert _mtg_counter() == 1
    # One set of audit events and notifications, for the winner only.
    assert list(AuditEvent.objects.filter(verb="booked").values_list("object_id", flat=True)) == [
        str(meeting.pk)
    ]
    on_transactions = AuditEvent.objects.filter(verb="meeting_booked")
    assert on_transactions.count() == (1 if "transaction" in topics[winner] else 0)
    booked = Notification.objects.filter(kind="meeting_booked")
    assert {n.recipient for n in booked} == {meeting.customer, host.user}
    assert booked.count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([meeting.customer.email, host.user.email])
    # One attachment stored, and no file written by a loser.
    attachments = PrivateFile.objects.filter(purpose="meeting_attachment")
    assert attachments.get().object_id == str(meeting.pk)
    assert PrivateFile.objects.count() == rows + 1
    on_disk = _stored_files(private_media)
    assert len(on_disk - files) == 1
    assert on_disk - files == {attachments.get().file.name.rsplit("/", 1)[-1]}


def test_a_remark_the_customer_cannot_read_or_has_settled_cannot_be_booked_about(
    db, people, service
):
    """A remark written in the cycle under review is the reviewer's working note (404 for the
    customer); a resolved one is no longer something to discuss."""
    from django.http import Http404

    from transactions import services as transaction_services

    t = transaction_at(Transaction.Status.UNDER_REVIEW, service=service, people=people)
    draft_remark = transaction_services.remark_add(
        actor=people.reviewer, transaction=t, text="Working note."
    )
    starts_at = first_free_slot([people.reviewer.meeting_profile])
    with pytest.raises(Http404):
        services.meeting_book(actor=people.customer, starts_at=starts_at, remark=draft_remark)

    transaction_services.transaction_return_remarks(actor=people.reviewer, transaction=t)
    transaction_services.remark_answer(actor=people.customer, remark=draft_remark, text="Done.")
    transaction_services.transaction_resubmit(actor=people.customer, transaction=t)
    transaction_services.remark_resolve(actor=people.reviewer, remark=draft_remark)
    with pytest.raises(DomainError) as refused:
        services.meeting_book(actor=people.customer, starts_at=starts_at, remark=draft_remark)
    assert refused.value.code == "remark_resolved"
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("how", ["withdrawn", "expired"])
def test_meetings_about_an_abandoned_transaction_are_cancelled(
    db, remarked, people, customer, how, django_capture_on_commit_callbacks, mailoutbox
):
    from tests.transactions.factories import make_idle
    from transactions import services as transaction_services

    with django_capture_on_commit_callbacks(execute=True):
        meeting = book_about(remarked, customer=customer, remark=remarked.remarks.get())
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if how == "withdrawn":
            transaction_services.transaction_withdraw(actor=customer, transaction=remarked)
        else:
            make_idle(remarked)
            assert transaction_services.transactions_expire_idle() == 1
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert meeting.ics_sequence == 1
    cancels = [m for m in mailoutbox if any("METHOD:CANCEL" in a[1] for a in m.attachments)]
    assert sorted(m.to[0] for m in cancels) == sorted([customer.email, people.reviewer.email])
