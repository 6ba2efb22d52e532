"""Reads: free slots, who hosts a topic, what each user may see."""

import datetime
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Team
from accounts.roles import is_staff_member
from meetings.models import HostProfile, Leave, Meeting, Registration
from portal.models import Holiday, PrivateFile
from transactions.models import Transaction

DUBAI = ZoneInfo(settings.TIME_ZONE)


# --- availability --------------------------------------------------------------------------------


def hosts_for_transaction(*, transaction: Transaction) -> list[HostProfile]:
    """The reviewer holding the transaction hosts a meeting about it; otherwise the hosts of
    the service's team share the load."""
    assignee = transaction.assignee
    if assignee is not None:
        # The weekly hours with it: free_slots reads them for every day it is asked about.
        profile = (
            HostProfile.objects.filter(user=assignee, is_active=True)
            .prefetch_related("hours")
            .first()
        )
        if profile is not None:
            return [profile]
    return hosts_for_team(team=transaction.service.team)


def hosts_for_team(*, team: Team) -> list[HostProfile]:
    return list(
        HostProfile.objects.filter(is_active=True, user__teams=team, user__is_active=True)
        .select_related("user")
        .prefetch_related("hours")
        .order_by("user_id")
    )


def _overlaps(start, end, ranges) -> bool:
    return any(s < end and start < e for s, e in ranges)


def free_slots(
    *,
    hosts: list[HostProfile],
    day_from: datetime.date,
    day_to: datetime.date,
    now: datetime.datetime | None = None,
    ignore: Meeting | None = None,
) -> dict[datetime.datetime, list[HostProfile]]:
    """The start times (aware, Dubai) at which each host is free for a meeting between
    `day_from` and `day_to` (Dubai dates, inclusive), honouring weekly hours, public holidays,
    leave, the minimum notice, the booking horizon and the buffer around live meetings
    (`ignore` one being rescheduled). Three queries whatever the number of hosts."""
    now = now or timezone.now()
    if not hosts or day_to < day_from:
        return {}
    window_start = datetime.datetime.combine(day_from, datetime.time.min, DUBAI)
    window_end = datetime.datetime.combine(
        day_to + datetime.timedelta(days=1), datetime.time.min, DUBAI
    )
    host_ids = [h.user_id for h in hosts]
    busy: dict[int, list] = defaultdict(list)
    meetings = Meeting.objects.filter(
        host_id__in=host_ids,
        status__in=Meeting.LIVE,
        starts_at__lt=window_end + datetime.timedelta(hours=4),
        blocked_until__gt=window_start - datetime.timedelta(hours=4),
    )
    if ignore is not None:
        meetings = meetings.exclude(pk=ignore.pk)
    for host_id, starts_at, blocked_until in meetings.values_list(
        "host_id", "starts_at", "blocked_until"
    ):
        busy[host_id].append((starts_at, blocked_until))
    away: dict[int, list] = defaultdict(list)
    for host_id, starts_at, ends_at in Leave.objects.filter(
        host__user_id__in=host_ids, starts_at__lt=window_end, ends_at__gt=window_start
    ).values_list("host__user_id", "starts_at", "ends_at"):
        away[host_id].append((starts_at, ends_at))
    holidays = set(
        Holiday.objects.filter(date__gte=day_from, date__lte=day_to).values_list("date", flat=True)
    )

    slots: dict[datetime.datetime, list[HostProfile]] = defaultdict(list)
    day = day_from
    while day <= day_to:
        if day not in holidays:
            for host in hosts:
                _host_day_slots(host, day, now, busy[host.user_id], away[host.user_id], slots)
        day += datetime.timedelta(days=1)
    return dict(sorted(slots.items()))


def _host_day_slots(host: HostProfile, day, now, busy, away, slots) -> None:
    length = datetime.timedelta(minutes=host.slot_minutes)
    buffer = datetime.timedelta(minutes=host.buffer_minutes)
    earliest = now + datetime.timedelta(hours=host.min_notice_hours)
    latest = now + datetime.timedelta(days=host.horizon_days)
    for hours in host.hours.all():
        if hours.weekday != day.weekday():
            continue
        start = datetime.datetime.combine(day, hours.starts, DUBAI)
        close = datetime.datetime.combine(day, hours.ends, DUBAI)
        while start + length <= close:
            end = start + length
            if (
                earliest <= start <= latest
                and not _overlaps(start, end, away)
                # Each live meeting already blocks its own buffer ([starts_at, blocked_until),
                # as the exclusion constraint does): the slot right after one is free.
                and not _overlaps(start, end + buffer, busy)
            ):
                slots[start].append(host)
            start = end + buffer


def least_loaded(*, hosts: list[HostProfile], around: datetime.datetime) -> list[HostProfile]:
    """Hosts ordered by their live meetings in the Dubai week (Monday to Sunday) of `around`,
    fewest first."""
    day = around.astimezone(DUBAI).date()
    monday = day - datetime.timedelta(days=day.weekday())
    week_start = datetime.datetime.combine(monday, datetime.time.min, DUBAI)
    loads = dict(
        Meeting.objects.filter(
            host_id__in=[h.user_id for h in hosts],
            status__in=Meeting.LIVE,
            starts_at__gte=week_start,
            starts_at__lt=week_start + datetime.timedelta(days=7),
        )
        .values_list("host_id")
        .annotate(n=Count("pk"))
    )
    return sorted(hosts, key=lambda h: (loads.get(h.user_id, 0), h.user_id))


def host_profile_for(*, user) -> HostProfile | None:
    return HostProfile.objects.filter(user=user).prefetch_related("hours").first()


def is_active_host(*, user) -> bool:
    return HostProfile.objects.filter(user=user, is_active=True).exists()


def teams_with_hosts() -> QuerySet[Team]:
    """Teams a customer can book a general enquiry with (at least one active host)."""
    return (
        Team.objects.filter(members__meeting_profile__is_active=True, members__is_active=True)
        .distinct()
        .order_by("code")
    )


# --- visibility ----------------------------------------------------------------------------------


def meeting_is_participant(*, user, meeting: Meeting) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (meeting.host_id, meeting.customer_id):
        return True
    if meeting.kind == Meeting.Kind.SESSION:
        # Asked by the page, the API and each action's check: one query per meeting object
        # and user (a service's locked copy is a new object, so it asks again).
        known = meeting.__dict__.setdefault("_registered", {})
        if user.pk not in known:
            known[user.pk] = meeting.registrations.filter(customer=user).exists()
        return known[user.pk]
    return False


def meeting_attachments(*, meeting: Meeting) -> list[PrivateFile]:
    """The files the customer attached when booking (the content type is cached)."""
    return list(
        PrivateFile.objects.filter(
            content_type=ContentType.objects.get_for_model(Meeting),
            object_id=str(meeting.pk),
            purpose="meeting_attachment",
        ).order_by("uploaded_at", "pk")
    )


def _supervised_hosts(user) -> QuerySet:
    """The ids of the members of the teams the user supervises (a subquery)."""
    return Team.members.through.objects.filter(team__supervisor_id=user.pk).values("user_id")


def meeting_in_staff_reach(*, user, meeting: Meeting) -> bool:
    """The staff who answer for a meeting: its host, the supervisor of a team the host is in,
    and administrators. They see it and may cancel it; other staff may not."""
    if not is_staff_member(user):
        return False
    if user.is_superuser or meeting.host_id == user.pk:
        return True
    return Team.objects.filter(supervisor_id=user.pk, members=meeting.host_id).exists()


def meetings_visible_to(*, user) -> QuerySet[Meeting]:
    """Staff see the meetings in their reach (meeting_in_staff_reach: those they host, those
    of their team members if they supervise the team, all for administrators); customers the
    meetings they booked or registered for, and those of their organization."""
    # The host's profile: its minimum notice decides the customer's actions (allowed_actions).
    qs = Meeting.objects.select_related(
        "host__meeting_profile", "customer", "transaction__service", "team", "remark"
    )
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_staff_member(user):
        if user.is_superuser:
            return qs
        # A subquery, not a join: no duplicate rows, no DISTINCT.
        return qs.filter(Q(host=user) | Q(host_id__in=_supervised_hosts(user)))
    return qs.filter(pk__in=_customer_meeting_ids(user))


def _customer_meeting_ids(user) -> QuerySet:
    """The ids of a customer's meetings, as one subquery: a UNION of three indexed lookups (booked,
    registered, the organization's appointments). An OR across the join with DISTINCT read every
    meeting and registration (issue 11)."""
    ids = [
        Meeting.objects.filter(customer=user).order_by().values("pk"),
        Registration.objects.filter(customer=user).order_by().values("meeting_id"),
    ]
    if user.organization_id:
        ids.append(
            Meeting.objects.filter(
                organization_id=user.organization_id, kind=Meeting.Kind.APPOINTMENT
            )
            .order_by()
            .values("pk")
        )
    return ids[0].union(*ids[1:], all=True)


def meeting_visible_to_user(*, user, meeting: Meeting) -> bool:
    """Whether the user may see the meeting (and so the files attached to it)."""
    return meetings_visible_to(user=user).filter(pk=meeting.pk).exists()


def meeting_get_for_user(*, user, pk: int) -> Meeting:
    meeting = meetings_visible_to(user=user).filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def session_is_open(session: Meeting, *, now: datetime.datetime | None = None) -> bool:
    """Open for registering and unregistering: a scheduled session that has not started (the
    same rule as sessions_open, for one row)."""
    now = now or timezone.now()
    return (
        session.kind == Meeting.Kind.SESSION
        and session.status == Meeting.Status.SCHEDULED
        and session.starts_at > now
    )


def sessions_open(*, now: datetime.datetime | None = None) -> QuerySet[Meeting]:
    """Open sessions (session_is_open) with their number of registrations, full ones too (the
    page and the API both show them, with no place left), soonest first."""
    now = now or timezone.now()
    # The count as a subquery, not a join with GROUP BY: a page's count and ids then read the
    # sessions alone (issue 11).
    registered = (
        Registration.objects.filter(meeting=OuterRef("pk"))
        .order_by()
        .values("meeting")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Meeting.objects.filter(
            kind=Meeting.Kind.SESSION, status=Meeting.Status.SCHEDULED, starts_at__gt=now
        )
        .select_related("host")
        .annotate(registered=Coalesce(Subquery(registered), 0))
        .order_by("starts_at", "pk")
    )


def host_calendar(*, host, day_from: datetime.date, day_to: datetime.date) -> QuerySet[Meeting]:
    """A host's meetings (live or not) between two Dubai dates, for the day/week views."""
    return (
        Meeting.objects.filter(
            host=host,
            starts_at__gte=datetime.datetime.combine(day_from, datetime.time.min, DUBAI),
            starts_at__lt=datetime.datetime.combine(
                day_to + datetime.timedelta(days=1), datetime.time.min, DUBAI
            ),
        )
        .select_related("customer", "transaction__service", "team")
        .annotate(registered=Count("registrations"))
        .order_by("starts_at")
    )


def meetings_today(*, user) -> list[Meeting]:
    """The staff member's meetings today (Dubai) that still stand, soonest first, for the
    staff home: one query (host_calendar's)."""
    day = timezone.localdate()
    return list(
        host_calendar(host=user, day_from=day, day_to=day)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at", "pk")
    )


def team_load(*, team: Team, day_from: datetime.date, day_to: datetime.date) -> list[dict]:
    """Per host of the team: live meetings and hours booked in the period."""
    start = datetime.datetime.combine(day_from, datetime.time.min, DUBAI)
    end = datetime.datetime.combine(day_to + datetime.timedelta(days=1), datetime.time.min, DUBAI)
    profiles = hosts_for_team(team=team)
    booked: dict[int, list] = defaultdict(list)
    for host_id, starts_at, ends_at in Meeting.objects.filter(
        host_id__in=[p.user_id for p in profiles],
        status__in=Meeting.LIVE,
        starts_at__gte=start,
        starts_at__lt=end,
    ).values_list("host_id", "starts_at", "ends_at"):
        booked[host_id].append((starts_at, ends_at))
    return [
        {
            "host": p.user,
            "meetings": len(booked[p.user_id]),
            "minutes": sum(int((e - s).total_seconds() // 60) for s, e in booked[p.user_id]),
        }
        for p in profiles
    ]
