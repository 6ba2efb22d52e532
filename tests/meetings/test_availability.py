"""Free slots (weekly hours, public holidays, leave, minimum notice, horizon, buffers around live
meetings) and who hosts a topic (the transaction's reviewer, else the team's least-loaded host).
Time is frozen on a Monday morning so every date below is known."""

import datetime

import pytest

from meetings.models import Leave, Meeting, WeeklyHours
from meetings.selectors import (
    DUBAI,
    free_slots,
    hosts_for_team,
    hosts_for_transaction,
    least_loaded,
)
from portal.models import Holiday
from tests.factories import UserFactory
from tests.meetings.factories import HostFactory, at, meeting_row, team_with_host
from tests.transactions.factories import People, transaction_at

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=DUBAI)  # Monday 09:00 in Dubai
MON = NOW.date()
TUE = MON + datetime.timedelta(days=1)
WED = MON + datetime.timedelta(days=2)
THU = MON + datetime.timedelta(days=3)
FRI = MON + datetime.timedelta(days=4)
# 08:00–16:00, 30-minute meetings, 10 minutes of buffer after each.
FULL_DAY = [
    "08:00",
    "08:40",
    "09:20",
    "10:00",
    "10:40",
    "11:20",
    "12:00",
    "12:40",
    "13:20",
    "14:00",
    "14:40",
    "15:20",
]


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def times(slots, day=WED) -> list[str]:
    return [
        s.astimezone(DUBAI).strftime("%H:%M") for s in slots if s.astimezone(DUBAI).date() == day
    ]


def slots_of(host, day=WED, **kwargs) -> list[str]:
    return times(free_slots(hosts=[host], day_from=day, day_to=day, **kwargs), day)


# --- the host's week ------------------------------------------------------------------------------
def test_a_working_day_is_cut_into_meetings_and_buffers(db):
    assert slots_of(HostFactory()) == FULL_DAY
    hour_long = HostFactory(slot_minutes=60, buffer_minutes=0)
    assert slots_of(hour_long) == [f"{h:02d}:00" for h in range(8, 16)]


def test_slots_are_aware_dubai_times(db):
    slot = next(iter(free_slots(hosts=[HostFactory()], day_from=WED, day_to=WED)))
    assert slot == at(WED, 8)
    assert slot.utcoffset() == datetime.timedelta(hours=4)


def test_only_the_weekly_hours_are_offered(db):
    host = HostFactory(hours=[WED.weekday()])
    WeeklyHours.objects.create(
        host=host, weekday=THU.weekday(), starts=datetime.time(13), ends=datetime.time(14)
    )
    WeeklyHours.objects.create(
        host=host, weekday=THU.weekday(), starts=datetime.time(9), ends=datetime.time(9, 30)
    )

    slots = free_slots(hosts=[host], day_from=WED, day_to=FRI)
    assert times(slots, WED) == FULL_DAY
    # 13:40–14:10 would run past 14:00; a 30-minute block holds exactly one meeting.
    assert times(slots, THU) == ["09:00", "13:00"]
    assert times(slots, FRI) == []


def test_the_minimum_notice_hides_the_next_hours(db):
    host = HostFactory(min_notice_hours=24)
    slots = free_slots(hosts=[host], day_from=MON, day_to=TUE)
    assert times(slots, MON) == []
    # Tuesday 09:00 is exactly 24 hours ahead: 08:00 and 08:40 are too soon.
    assert times(slots, TUE) == FULL_DAY[2:]

    short_notice = HostFactory(min_notice_hours=0)
    assert slots_of(short_notice, MON) == FULL_DAY[2:]  # nothing in the past


def test_the_horizon_ends_the_calendar(db):
    host = HostFactory(horizon_days=30)
    last = MON + datetime.timedelta(days=30)  # 30 days ahead, up to 09:00
    slots = free_slots(hosts=[host], day_from=last, day_to=last + datetime.timedelta(days=1))
    assert times(slots, last) == ["08:00", "08:40"]
    assert times(slots, last + datetime.timedelta(days=1)) == []


def test_public_holidays_have_no_slots(db):
    host = HostFactory()
    Holiday.objects.create(date=THU, name_ar="عطلة", name_en="Holiday")
    slots = free_slots(hosts=[host], day_from=WED, day_to=FRI)
    assert times(slots, THU) == []
    assert times(slots, WED) == times(slots, FRI) == FULL_DAY


def test_leave_removes_the_slots_it_touches(db):
    host = HostFactory()
    Leave.objects.create(host=host, starts_at=at(WED, 10), ends_at=at(WED, 12), reason="Site visit")
    assert slots_of(host) == ["08:00", "08:40", "09:20", *FULL_DAY[6:]]

    Leave.objects.create(
        host=host, starts_at=at(THU, 0), ends_at=at(THU + datetime.timedelta(2), 0)
    )
    slots = free_slots(hosts=[host], day_from=THU, day_to=THU + datetime.timedelta(days=2))
    assert times(slots, THU) == times(slots, THU + datetime.timedelta(days=1)) == []
    assert times(slots, THU + datetime.timedelta(days=2)) == FULL_DAY


def test_another_hosts_leave_changes_nothing(db):
    host, away = HostFactory(), HostFactory()
    Leave.objects.create(host=away, starts_at=at(WED, 0), ends_at=at(THU, 0))
    assert slots_of(host) == FULL_DAY
    assert slots_of(away) == []


# --- buffers around live meetings -----------------------------------------------------------------
def test_the_slot_after_a_meeting_starts_at_its_end_plus_the_buffer(db):
    host = HostFactory()
    meeting_row(host.user, starts_at=at(WED, 10))  # 10:00–10:30, blocked until 10:40
    free = slots_of(host)
    assert "10:00" not in free
    assert {"09:20", "10:40"} <= set(free)  # 09:20–09:50 + buffer ends right at 10:00
    assert free == [t for t in FULL_DAY if t != "10:00"]


def test_a_slot_whose_meeting_or_buffer_overlaps_a_live_meeting_is_not_offered(db):
    host = HostFactory()
    # Off the grid (e.g. an open session): 10:50–11:20, blocked until 11:30.
    meeting_row(host.user, starts_at=at(WED, 10, 50))
    free = slots_of(host)
    assert "10:40" not in free  # 10:40–11:10 overlaps the meeting itself
    assert "11:20" not in free  # 11:20–11:50 overlaps its buffer
    assert "10:00" in free  # 10:00–10:30 and its buffer end at 10:40, before 10:50
    assert "12:00" in free

    other = HostFactory()
    meeting_row(other.user, starts_at=at(WED, 10, 35))  # the buffer of a 10:00 slot ends 10:40
    assert "10:00" not in slots_of(other)
    assert "09:20" in slots_of(other)


@pytest.mark.parametrize(
    "status, blocks",
    [
        (Meeting.Status.SCHEDULED, True),
        (Meeting.Status.HELD, True),
        (Meeting.Status.NO_SHOW, False),
        (Meeting.Status.CANCELLED, False),
    ],
)
def test_only_live_meetings_block_time(db, status, blocks):
    host = HostFactory()
    meeting_row(host.user, starts_at=at(WED, 10), status=status)
    assert ("10:00" in slots_of(host)) is not blocks


def test_the_meeting_being_rescheduled_does_not_block_itself(db):
    host = HostFactory()
    meeting = meeting_row(host.user, starts_at=at(WED, 10))
    assert "10:00" not in slots_of(host)
    assert slots_of(host, ignore=meeting) == FULL_DAY


def test_another_hosts_meeting_blocks_only_them(db):
    busy, free = HostFactory(), HostFactory()
    meeting_row(busy.user, starts_at=at(WED, 10))
    slots = free_slots(hosts=[busy, free], day_from=WED, day_to=WED)
    assert slots[at(WED, 10)] == [free]
    assert slots[at(WED, 8)] == [busy, free]


def test_three_queries_whatever_the_number_of_hosts(db, django_assert_num_queries):
    team, _ = team_with_host()
    for _ in range(2):
        HostFactory().user.teams.add(team)
    few = hosts_for_team(team=team)
    with django_assert_num_queries(3):  # live meetings, leave, holidays
        free_slots(hosts=few, day_from=TUE, day_to=THU + datetime.timedelta(days=7))
    for _ in range(10):
        HostFactory().user.teams.add(team)
    many = hosts_for_team(team=team)
    assert len(many) == 13
    with django_assert_num_queries(3):
        free_slots(hosts=many, day_from=TUE, day_to=THU + datetime.timedelta(days=7))


# --- who hosts -----------------------------------------------------------------------------------
def test_the_reviewer_holding_a_transaction_hosts_meetings_about_it(db, people, service):
    for _ in range(2):
        HostFactory().user.teams.add(service.team)  # other, idle hosts in the team
    t = transaction_at("under_review", service=service, people=people)
    assert t.assignee == people.reviewer
    assert [h.user for h in hosts_for_transaction(transaction=t)] == [people.reviewer]


def test_the_reviewers_weekly_hours_are_read_once_for_a_fortnight(
    db, people, service, django_assert_num_queries
):
    # Issue 11: the slot search read the reviewer's weekly hours once per day asked for.
    t = transaction_at("under_review", service=service, people=people)
    hosts = hosts_for_transaction(transaction=t)
    with django_assert_num_queries(3):  # live meetings, leave, holidays
        slots = free_slots(hosts=hosts, day_from=TUE, day_to=TUE + datetime.timedelta(days=13))
    assert slots


def test_an_unassigned_transaction_is_hosted_by_the_team(db, people, service):
    other = HostFactory()
    other.user.teams.add(service.team)
    t = transaction_at("submitted", service=service, people=people)
    assert t.assignee is None
    hosts = {h.user for h in hosts_for_transaction(transaction=t)}
    assert hosts == {people.reviewer, other.user}


def test_an_assignee_who_does_not_host_hands_over_to_the_team(db, service):
    no_host = UserFactory(role="reviewer")
    host = HostFactory()
    host.user.teams.add(service.team)
    t = transaction_at(
        "under_review", service=service, people=People(service=service, reviewer=no_host)
    )
    assert t.assignee == no_host
    assert [h.user for h in hosts_for_transaction(transaction=t)] == [host.user]

    host.is_active = False
    host.save()
    assert hosts_for_transaction(transaction=t) == []


def test_inactive_hosts_and_users_and_other_teams_do_not_host(db):
    team, host = team_with_host()
    paused = HostFactory(is_active=False)
    paused.user.teams.add(team)
    left = HostFactory()
    left.user.teams.add(team)
    left.user.is_active = False
    left.user.save()
    HostFactory()  # in no team
    team.members.add(UserFactory(role="reviewer"))  # in the team, not a host
    assert hosts_for_team(team=team) == [host]


def test_the_least_loaded_host_comes_first(db):
    a, b, c = HostFactory(), HostFactory(), HostFactory()
    meeting_row(a.user, starts_at=at(WED, 8))
    meeting_row(a.user, starts_at=at(THU, 8))
    meeting_row(b.user, starts_at=at(WED, 8))
    # Not counted: cancelled, or in another week.
    meeting_row(c.user, starts_at=at(WED, 10), status=Meeting.Status.CANCELLED)
    meeting_row(c.user, starts_at=at(WED + datetime.timedelta(days=14), 8))
    meeting_row(c.user, starts_at=at(WED + datetime.timedelta(days=15), 8))
    assert least_loaded(hosts=[a, b, c], around=at(WED, 12)) == [c, b, a]
    # Ties go to the lower user id, so the choice is stable.
    assert least_loaded(hosts=[b, a], around=at(WED + datetime.timedelta(days=28), 8)) == [a, b]
