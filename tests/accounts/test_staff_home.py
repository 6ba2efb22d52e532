"""The staff home is the member's day: the queue by status, what is overdue, today's meetings
(issue 12, item 10: it used to be two buttons)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.meetings.factories import HostFactory, meeting_row
from tests.transactions.factories import transaction_at
from transactions.models import Transaction

S = Transaction.Status


def _clone(t: Transaction, n: int, **changes) -> None:
    rows = []
    for i in range(n):
        copy = Transaction.objects.get(pk=t.pk)
        copy.pk = None
        copy.reference = f"{t.reference}-{i}"
        for field, values in changes.items():
            setattr(copy, field, values[i % len(values)])
        rows.append(copy)
    Transaction.objects.bulk_create(rows)


def _at_noon_today(hour: int) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(hour, 0))
    )


def test_staff_home_shows_queue_counts_overdue_and_todays_meetings(client, people, service):
    late = timezone.localdate() - datetime.timedelta(days=3)
    submitted = transaction_at(S.SUBMITTED, service=service, people=people)
    _clone(submitted, 2, due_date=[late, timezone.localdate() + datetime.timedelta(days=5)])
    transaction_at(S.COMPLETENESS_CHECK, service=service, people=people)
    HostFactory(user=people.agent)
    meeting = meeting_row(people.agent, starts_at=_at_noon_today(10))
    meeting_row(people.agent, starts_at=_at_noon_today(12), status="cancelled")
    client.force_login(people.agent)

    html = client.get(reverse("accounts:staff_home")).content.decode()

    counts = dict(
        re.findall(r'data-status="(\w+)">.*?data-testid="queue-count">(\d+)<', html, re.S)
    )
    assert counts == {S.SUBMITTED: "3", S.COMPLETENESS_CHECK: "1"}
    assert 'data-testid="overdue"' in html
    overdue = html.split('data-testid="overdue"')[1].split("</ul>")[0]
    assert f"{submitted.reference}-0" in overdue and f"{submitted.reference}-1" not in overdue
    today = html.split('data-testid="today-meetings"')[1].split("</ul>")[0]
    assert f'data-pk="{meeting.pk}"' in today
    assert today.count("data-pk=") == 1  # the cancelled one is not on the day's list


def test_staff_home_says_so_when_nothing_waits(client, agent):
    client.force_login(agent)
    html = client.get(reverse("accounts:staff_home")).content.decode()
    assert 'data-testid="queue-counts"' not in html
    assert 'data-testid="no-meetings-today"' in html
    assert 'data-testid="overdue"' not in html


@pytest.mark.parametrize("n", [1, 50])
def test_staff_home_query_budget(client, people, service, n, django_assert_num_queries):
    t = transaction_at(S.SUBMITTED, service=service, people=people)
    Transaction.objects.filter(pk=t.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    _clone(t, n - 1, status=[S.SUBMITTED, S.COMPLETENESS_CHECK])
    HostFactory(user=people.agent)
    for hour in range(8, 8 + min(n, 6)):
        meeting_row(people.agent, starts_at=_at_noon_today(hour))
    client.force_login(people.agent)
    url = reverse("accounts:staff_home")
    client.get(url)  # warm the content-type cache
    # user (the session is read from the cache), the user's groups (roles, shared with the
    # header), unread notifications, the queue's count for each of the agent's five queue
    # statuses, the overdue count, the overdue few, today's meetings.
    with django_assert_num_queries(11):
        response = client.get(url)
    assert response.status_code == 200


def test_past_the_cap_the_counts_say_more_than(client, people, service, monkeypatch):
    from transactions import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    late = timezone.localdate() - datetime.timedelta(days=3)
    submitted = transaction_at(S.SUBMITTED, service=service, people=people)
    _clone(submitted, 3, due_date=[late])
    client.force_login(people.agent)
    html = client.get("/en/staff/").content.decode()
    assert re.search(r'data-status="submitted">.*?data-testid="queue-count">2\+<', html, re.S)
    assert "More than 2 transactions waiting" in html
    assert "More than 2 overdue transactions" in html
