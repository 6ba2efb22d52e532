"""Drill 12: the mail server refuses every connection for a simulated hour while the portal keeps
writing notifications. On a frozen clock moved forward a minute at a time, the queue runs what is
due (each refused delivery schedules its own retry) and the beat's sweep runs every two minutes.
After the mail server returns, every e-mail is delivered, none twice, and none about an object
before an earlier one about it."""

import datetime

import pytest
from django.db import transaction

from portal import tasks
from portal.models import Notification
from portal.notifications import notify
from tests.drills._outbox import ClockQueue, DrillMailBackend, figures
from tests.factories import OrganizationFactory, UserFactory

START = datetime.datetime(2026, 12, 21, 6, 0, tzinfo=datetime.UTC)
OUTAGE = datetime.timedelta(hours=1)
RECIPIENTS = 5
SUBJECTS = 3  # objects each recipient hears about several times
WRITTEN_EVERY = datetime.timedelta(minutes=3)  # while the mail server is down
SWEEP_EVERY = datetime.timedelta(minutes=2)  # CELERY_BEAT_SCHEDULE["sweep-notifications"]
STEP = datetime.timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_smtp_outage_of_an_hour_delivers_everything_once_afterwards(
    settings, monkeypatch, time_machine
):
    settings.EMAIL_BACKEND = "tests.drills._outbox.DrillMailBackend"
    settings.NOTIFICATION_RETRY_JITTER = 0.1
    time_machine.move_to(START, tick=False)
    back_at = START + OUTAGE
    DrillMailBackend.reset(down=lambda: datetime.datetime.now(datetime.UTC) < back_at)
    queue = ClockQueue(monkeypatch)
    people = [UserFactory(preferred_language="ar" if i % 2 else "en") for i in range(RECIPIENTS)]
    objects = [OrganizationFactory() for _ in range(SUBJECTS)]

    written = 0
    now, next_write, next_sweep = START, START, START + SWEEP_EVERY
    deadline = back_at + datetime.timedelta(hours=6)
    while now <= deadline:
        if now < back_at and now >= next_write:
            # The portal keeps working: each round, everyone hears about one of the objects.
            subject = objects[written % SUBJECTS]
            with transaction.atomic():
                for person in people:
                    notify(
                        recipient=person,
                        kind="organization_registered",
                        obj=subject,
                        context={"reference": f"ORG-{written:04d}", "organization_name": "X"},
                    )
            written += 1
            next_write += WRITTEN_EVERY
        queue.run_due()
        if now >= next_sweep:
            tasks.sweep_notifications()
            next_sweep += SWEEP_EVERY
        done = now >= back_at and not Notification.objects.exclude(status="sent").exists()
        if done:
            break
        now += STEP
        time_machine.move_to(now, tick=False)

    rows = Notification.objects.all()
    arrived = [when for when, _ in DrillMailBackend.received]
    result = figures(
        messages=[m for _, m in DrillMailBackend.received], recovered_at=back_at, arrived=arrived
    )
    result.extra.update(
        refused=DrillMailBackend.refused,
        task_runs=queue.ran,
        undeliverable=rows.filter(status="undeliverable").count(),
    )
    result.report("SMTP outage of an hour, frozen clock (drill 12)")

    assert written == 20 and rows.count() == written * RECIPIENTS
    assert DrillMailBackend.refused > 0
    assert all(when >= back_at for when in arrived)  # nothing got through the outage
    assert result.delivered == result.sent == rows.count()
    assert result.duplicates == 0
    assert result.out_of_order_same_subject == 0
    assert result.extra["undeliverable"] == 0
    # The longest wait after the server returns is the backoff step that was running when it
    # came back: never longer than the time the row had already been refused (≤ the outage).
    assert result.delay <= OUTAGE
