"""Drill 11: Redis stopped while customers submit transactions and book, move and cancel
meetings. Every request succeeds; once Redis is back, the sweep and a real worker deliver every
notification once, each recipient's in the order they were written (a meeting's CANCEL after
its REQUESTs).

The drill starts its own redis-server on port 6385 (+20 per xdist worker) and stops only that
one."""

import datetime
import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from meetings.forms import slot_value
from meetings.models import Meeting
from meetings.selectors import free_slots
from portal.models import Notification
from portal.notifications import notifications_sweep
from tests.drills._outbox import DrillRedis, celery_on, figures, notification_of, worker
from tests.factories import CustomerFactory, UserFactory
from tests.meetings.factories import HostFactory
from tests.transactions.factories import ServiceFactory, draft
from transactions.models import Transaction

CUSTOMERS = 4


def _slots(profile, *, days_ahead: int) -> list[datetime.datetime]:
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    return list(free_slots(hosts=[profile], day_from=day, day_to=day))


@pytest.fixture
def drill_redis(tmp_path):
    redis = DrillRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_broker_outage_loses_no_request_and_no_notification(
    client, settings, drill_redis, private_media
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STAFF_MFA_REQUIRED = False
    service = ServiceFactory()
    host = HostFactory(user=UserFactory(role="reviewer", email="host@example.ae"))
    service.team.members.add(host.user)
    customers = [
        CustomerFactory(email=f"customer{i}@example.ae", preferred_language="ar" if i % 2 else "en")
        for i in range(CUSTOMERS)
    ]
    drafts = [draft(customer=c, service=service) for c in customers]
    first_day, second_day = _slots(host, days_ahead=2), _slots(host, days_ahead=3)
    mail.outbox = []

    with celery_on(drill_redis.url, settings) as app:
        drill_redis.stop()

        # --- Redis is down: every customer action still succeeds -------------------------------
        statuses = []
        for i, (customer, transaction) in enumerate(zip(customers, drafts, strict=True)):
            client.force_login(customer)
            submit = reverse("transactions:action", args=[transaction.pk, "submit"])
            statuses.append(client.post(submit).status_code)
            book = f"/ar/meetings/book/?team={service.team.code}"
            response = client.post(
                book, {"starts_at": slot_value(first_day[i]), "agenda": f"Question {i}"}
            )
            statuses.append(response.status_code)
            meeting = Meeting.objects.get(customer=customer)
            moved = client.post(
                f"/ar/meetings/{meeting.pk}/reschedule/",
                {"reschedule-starts_at": slot_value(second_day[i])},
            )
            cancelled = client.post(
                f"/ar/meetings/{meeting.pk}/cancel/", {"cancel-reason": "Sorted out"}
            )
            statuses += [moved.status_code, cancelled.status_code]

        assert statuses == [302] * 4 * CUSTOMERS
        assert set(Transaction.objects.values_list("status", flat=True)) == {"submitted"}
        assert set(Meeting.objects.values_list("status", flat=True)) == {"cancelled"}
        written = Notification.objects.filter(channel=Notification.Channel.EMAIL)
        assert set(written.values_list("status", flat=True)) == {"pending"}
        assert mail.outbox == []

        # --- Redis is back: the sweep queues what waited, a real worker delivers it -----------
        drill_redis.start()
        recovered_at = timezone.now()
        arrived: list[datetime.datetime] = []  # when each message of mail.outbox was seen
        with worker(app):
            assert notifications_sweep(older_than=datetime.timedelta(0)) == written.count()
            deadline = time.monotonic() + 90
            while written.exclude(status="sent").exists() and time.monotonic() < deadline:
                arrived += [timezone.now()] * (len(mail.outbox) - len(arrived))
                time.sleep(0.05)
            time.sleep(0.5)  # anything sent twice would arrive now
        arrived += [timezone.now()] * (len(mail.outbox) - len(arrived))

        result = figures(messages=list(mail.outbox), recovered_at=recovered_at, arrived=arrived)
        result.extra["requests"] = len(statuses)
        result.report("broker outage (drill 11)")

    assert not written.exclude(status="sent").exists()
    assert result.delivered == result.sent == written.count() > 6 * CUSTOMERS
    assert result.duplicates == 0
    assert result.out_of_order == 0
    # The customer who cancelled got REQUEST, REQUEST, CANCEL for their meeting, in that order.
    for customer in customers:
        kinds = [notification_of(m).kind for m in mail.outbox if m.to == [customer.email]]
        assert kinds[-3:] == ["meeting_booked", "meeting_rescheduled", "meeting_cancelled"]
