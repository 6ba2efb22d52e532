"""Meeting hosts and bookings for tests. Hosts work every day 08:00–16:00 Dubai time by
default, so tests do not depend on the weekday they run on."""

import datetime

import factory

from meetings import services
from meetings.models import HostProfile, WeeklyHours
from meetings.selectors import DUBAI, free_slots
from tests.factories import UserFactory


class HostFactory(factory.django.DjangoModelFactory):
    """A HostProfile; pass `user=` (a staff member) or get a new reviewer."""

    class Meta:
        model = HostProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role="reviewer")
    slot_minutes = 30
    buffer_minutes = 10
    min_notice_hours = 24
    horizon_days = 30

    @factory.post_generation
    def hours(profile, create, extracted, **kwargs):
        if not create:
            return
        for weekday in extracted if extracted is not None else range(7):
            WeeklyHours.objects.create(
                host=profile, weekday=weekday, starts=datetime.time(8), ends=datetime.time(16)
            )


def first_free_slot(hosts, *, after_days: int = 2) -> datetime.datetime:
    """The first free start time `after_days` days from today (Dubai)."""
    from django.utils import timezone

    day = timezone.localdate() + datetime.timedelta(days=after_days)
    slots = free_slots(hosts=list(hosts), day_from=day, day_to=day)
    return next(iter(slots))


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), DUBAI)


def book_about(transaction, *, customer, starts_at=None, remark=None, agenda="Discuss it"):
    from meetings.selectors import hosts_for_transaction

    starts_at = starts_at or first_free_slot(hosts_for_transaction(transaction=transaction))
    return services.meeting_book(
        actor=customer,
        starts_at=starts_at,
        transaction=None if remark else transaction,
        remark=remark,
        agenda=agenda,
    )


def team_with_host(**host_kwargs):
    """A team whose one member hosts meetings (general enquiries to it go to that host).
    Returns (team, host profile)."""
    from tests.transactions.factories import TeamFactory

    profile = HostFactory(**host_kwargs)
    team = TeamFactory()
    team.members.add(profile.user)
    return team, profile


def book_enquiry(team, *, customer, starts_at=None, agenda="A question", attachments=()):
    """A general enquiry to `team`, at its first free slot unless `starts_at` is given."""
    from meetings.selectors import hosts_for_team

    starts_at = starts_at or first_free_slot(hosts_for_team(team=team))
    return services.meeting_book(
        actor=customer, starts_at=starts_at, team=team, agenda=agenda, attachments=attachments
    )


def session_by(host, *, starts_at, minutes: int = 60, capacity: int = 10):
    """An open session announced by `host` (a user with a HostProfile)."""
    return services.session_create(
        actor=host,
        title_ar="كيف تشارك في المناقصات",
        title_en="How to take part in tenders",
        agenda="Registration, documents, bid bonds.",
        starts_at=starts_at,
        minutes=minutes,
        capacity=capacity,
    )


def meeting_row(host, *, starts_at, minutes: int = 30, buffer: int = 10, status="scheduled", **kw):
    """A Meeting written straight to the table, bypassing the services (for the database
    constraint and for off-grid busy times)."""
    from meetings.models import Meeting
    from portal.references import reference_next
    from tests.factories import CustomerFactory

    ends_at = starts_at + datetime.timedelta(minutes=minutes)
    return Meeting.objects.create(
        reference=reference_next(prefix="TST"),
        kind=Meeting.Kind.APPOINTMENT,
        host=host,
        customer=kw.pop("customer", None) or CustomerFactory(),
        topic=Meeting.Topic.GENERAL,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_until=ends_at + datetime.timedelta(minutes=buffer),
        status=status,
        **kw,
    )


def take_to(meeting, status: str, *, time_machine):
    """Take a scheduled appointment to `status` through the services (held and no-show a few
    minutes after its start), then put the clock back where it was."""
    from django.utils import timezone

    from meetings.models import Meeting

    back = timezone.now()
    if status == Meeting.Status.CANCELLED:
        services.meeting_cancel(actor=meeting.host, meeting=meeting, reason="Test")
    elif status in (Meeting.Status.HELD, Meeting.Status.NO_SHOW):
        time_machine.move_to(meeting.starts_at + datetime.timedelta(minutes=5), tick=False)
        if status == Meeting.Status.HELD:
            services.meeting_record_minutes(
                actor=meeting.host,
                meeting=meeting,
                minutes="Talked it through.",
                outcome="resolved",
            )
        else:
            services.meeting_mark_no_show(actor=meeting.host, meeting=meeting)
        time_machine.move_to(back, tick=False)
    meeting.refresh_from_db()
    assert meeting.status == status
    return meeting
