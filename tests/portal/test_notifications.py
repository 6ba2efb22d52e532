"""The notification outbox: written with the change, delivered after commit in the recipient's
language, sent once, retried on failure, swept when the broker was down, listed in the portal,
and copied by SMS when SMS is on."""

import datetime
import logging
import re
import smtplib
import time

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Organization
from accounts.services import organization_create
from portal.documents import documents_sweep
from portal.models import AuditEvent, IssuedDocument, Notification
from portal.notifications import (
    DeliveryFailed,
    message_id,
    notification_deliver,
    notifications_sweep,
    notify,
    retry_delay,
)
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

KIND = "organization_registered"


def _notify(recipient, reference: str = "ORG-2026-000042", **kwargs) -> list[Notification]:
    return notify(
        recipient=recipient,
        kind=KIND,
        context={"reference": reference, "organization_name": "Riyada"},
        link="/ar/organization/",
        **kwargs,
    )


def _expected_subject(language: str, reference: str) -> str:
    with translation.override(language):
        return translation.gettext("Organization registered: %(reference)s") % {
            "reference": reference
        }


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


# --- written with the change, delivered after commit ------------------------------------------
@pytest.mark.parametrize(
    "language, direction, department",
    [
        ("en", "ltr", django_settings.DEPARTMENT_NAME_EN),
        ("ar", "rtl", django_settings.DEPARTMENT_NAME_AR),
    ],
)
def test_notify_writes_a_pending_row_and_sends_one_email_after_commit(
    settings, django_capture_on_commit_callbacks, language, direction, department
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    recipient = UserFactory(full_name="Mariam Al Ali", preferred_language=language)
    organization = OrganizationFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            [row] = _notify(recipient, obj=organization)
            row.refresh_from_db()
            assert row.status == Notification.Status.PENDING
            assert row.channel == Notification.Channel.EMAIL
            assert row.subject == organization
        assert mail.outbox == []  # nothing leaves before the change is committed

    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.attempts == 1
    assert row.sent_at is not None

    [message] = mail.outbox
    assert message.to == [recipient.email]
    assert message.subject == _expected_subject(language, "ORG-2026-000042")
    html = _html(message)
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert department in html
    assert "ORG-2026-000042" in message.body
    assert f"{django_settings.SITE_URL}/ar/organization/" in message.body
    with translation.override(language):
        greeting = translation.gettext("Dear %(recipient_name)s,") % {
            "recipient_name": "Mariam Al Ali"
        }
    assert greeting in message.body


def test_english_and_arabic_recipients_get_different_emails(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    english = UserFactory(preferred_language="en")
    arabic = UserFactory(preferred_language="ar")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(english)
        _notify(arabic)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert 'dir="ltr"' in _html(by_recipient[english.email])
    assert 'dir="rtl"' in _html(by_recipient[arabic.email])
    assert "Dear " in by_recipient[english.email].body


def test_nothing_is_queued_when_the_change_rolls_back(settings, django_capture_on_commit_callbacks):
    recipient = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify(recipient)
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


# --- once only, retried on failure ------------------------------------------------------------
def test_delivering_twice_sends_one_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    [row] = _notify(UserFactory())  # the on_commit queueing never runs inside this test

    assert notification_deliver(notification_id=row.pk) is True
    assert notification_deliver(notification_id=row.pk) is False

    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.attempts == 1


def test_delivering_an_unknown_notification_does_nothing(db):
    assert notification_deliver(notification_id=987654) is False


def _refuse(self, fail_silently=False):
    raise smtplib.SMTPServerDisconnected("mail server went away")


@pytest.fixture
def no_jitter(settings):
    settings.NOTIFICATION_RETRY_JITTER = 0
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_CAP_HOURS = 4
    settings.NOTIFICATION_GIVE_UP_AFTER_HOURS = 72


START = datetime.datetime(2026, 12, 20, 8, 0, tzinfo=datetime.UTC)


def test_a_refused_row_is_retried_with_a_growing_capped_delay_until_the_age_limit(
    settings, monkeypatch, time_machine, no_jitter
):
    """Item 2: failed is not final. Five refusals used to end in `failed` for good."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(START, tick=False)
    monkeypatch.setattr(EmailMultiAlternatives, "send", _refuse)
    [row] = _notify(UserFactory())
    give_up_at = START + datetime.timedelta(hours=72)

    delays = []
    while True:
        now = datetime.datetime.now(datetime.UTC)
        with pytest.raises(DeliveryFailed) as failed:
            notification_deliver(notification_id=row.pk)
        assert isinstance(failed.value.__cause__, smtplib.SMTPServerDisconnected)
        row.refresh_from_db()
        assert row.last_error == "SMTPServerDisconnected: mail server went away"
        if row.status == Notification.Status.UNDELIVERABLE:
            break
        assert row.status == Notification.Status.PENDING
        assert failed.value.retry_at == row.next_attempt_at
        delays.append((row.next_attempt_at - now).total_seconds())
        # Not due yet: nothing is tried before the time.
        assert notification_deliver(notification_id=row.pk) is False
        time_machine.move_to(row.next_attempt_at, tick=False)

    cap = 4 * 3600
    assert delays[:10] == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, cap]
    assert all(d == cap for d in delays[9:-1])  # hours, not minutes, and never more
    assert delays[-1] <= cap  # the last attempt lands on the age limit itself
    assert datetime.datetime.now(datetime.UTC) == give_up_at
    assert row.attempts == len(delays) + 1 > 5
    assert row.next_attempt_at is None
    assert row.sent_at is None
    assert mail.outbox == []


def test_the_mail_server_back_after_many_refusals_gets_the_email_once(
    settings, monkeypatch, time_machine, no_jitter
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(START, tick=False)
    monkeypatch.setattr(EmailMultiAlternatives, "send", _refuse)
    [row] = _notify(UserFactory())
    for _attempt in range(8):  # the old outbox had given up after five
        with pytest.raises(DeliveryFailed):
            notification_deliver(notification_id=row.pk)
        row.refresh_from_db()
        time_machine.move_to(row.next_attempt_at, tick=False)
    monkeypatch.undo()

    assert notifications_sweep() == 1
    assert notifications_sweep() == 0
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.attempts == 9
    assert len(mail.outbox) == 1


def test_jitter_spreads_the_delay_around_the_backoff(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_JITTER = 0.1
    delays = {retry_delay(3) for _ in range(200)}
    assert all(108 <= d <= 132 for d in delays)
    assert len(delays) > 100


def test_the_task_schedules_each_retry_with_the_growing_delay(
    settings, monkeypatch, time_machine, no_jitter
):
    """Item 3: the declared retry_backoff was ignored (self.retry() always waited 180 s)."""
    from portal import tasks

    time_machine.move_to(START, tick=False)
    monkeypatch.setattr(EmailMultiAlternatives, "send", _refuse)
    scheduled = []
    monkeypatch.setattr(
        tasks.deliver_notification,
        "apply_async",
        lambda args, countdown: scheduled.append((args, countdown)),
    )
    [row] = _notify(UserFactory())

    for _attempt in range(9):
        # Called as a worker would run it (not eager): it returns instead of raising.
        assert tasks.deliver_notification(row.pk) is False
        row.refresh_from_db()
        time_machine.move_to(row.next_attempt_at, tick=False)

    assert scheduled == [([row.pk], d) for d in (30, 60, 120, 240, 480, 960)]
    # 1920 s and more are left to the sweep (longer than Redis keeps a message unacknowledged):
    assert tasks.MAX_COUNTDOWN_SECONDS == 1800
    assert row.attempts == 9


def test_a_row_past_the_age_limit_is_undeliverable_counted_and_retried_by_an_admin(
    settings, monkeypatch, client, admin_user, time_machine, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(START, tick=False)
    monkeypatch.setattr(EmailMultiAlternatives, "send", _refuse)
    [row] = _notify(UserFactory())
    time_machine.move_to(START + datetime.timedelta(hours=72), tick=False)
    with pytest.raises(DeliveryFailed) as failed:
        notification_deliver(notification_id=row.pk)
    assert failed.value.retry_at is None
    row.refresh_from_db()
    assert row.status == Notification.Status.UNDELIVERABLE
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 0  # left alone

    health = client.get("/healthz").json()
    assert health["checks"]["notifications_undeliverable"] == 1

    client.force_login(admin_user)
    page = client.get(
        "/admin/portal/notification/?status__exact=undeliverable", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 notification is undeliverable" in html
    assert 'value="retry_now"' in html

    monkeypatch.undo()  # the mail server is fixed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/portal/notification/",
            {"action": "retry_now", "_selected_action": [row.pk]},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert len(mail.outbox) == 1
    event = AuditEvent.objects.get(verb="notification_retried")
    assert (event.actor, event.object_id) == (admin_user, str(row.pk))
    assert client.get("/healthz").json()["checks"]["notifications_undeliverable"] == 0


# --- order: creation order, and never overtaking an earlier message about the same object ------
def test_the_sweep_delivers_in_creation_order(settings, time_machine):
    """Item 1: the sweep inherited the model's newest-first ordering."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    recipient = UserFactory()
    for minute, reference in enumerate(["ORG-1", "ORG-2", "ORG-3"]):
        time_machine.move_to(START + datetime.timedelta(minutes=minute), tick=False)
        _notify(recipient, reference=reference)  # the broker was down: nothing was queued

    assert notifications_sweep(older_than=datetime.timedelta(0)) == 3

    assert [m.subject.split()[-1] for m in mail.outbox] == ["ORG-1", "ORG-2", "ORG-3"]


def test_a_later_message_about_the_same_object_waits_for_the_earlier_one(
    settings, monkeypatch, time_machine, no_jitter
):
    """Item 1: a CANCEL must not reach the host before its REQUEST."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(START, tick=False)
    recipient, other = UserFactory(), UserFactory()
    organization = OrganizationFactory()
    monkeypatch.setattr(EmailMultiAlternatives, "send", _refuse)
    [first] = _notify(recipient, reference="ORG-FIRST", obj=organization)
    with pytest.raises(DeliveryFailed):
        notification_deliver(notification_id=first.pk)
    monkeypatch.undo()

    [second] = _notify(recipient, reference="ORG-SECOND", obj=organization)
    [unrelated] = _notify(recipient, reference="ORG-OTHER")  # about nothing: not held back
    [elsewhere] = _notify(other, reference="ORG-ELSEWHERE", obj=organization)
    assert notification_deliver(notification_id=second.pk) is False  # waits for the first
    assert notification_deliver(notification_id=unrelated.pk) is True
    assert notification_deliver(notification_id=elsewhere.pk) is True
    time_machine.move_to(START + datetime.timedelta(minutes=10), tick=False)
    # The sweep queues both, the first first: the second goes once the first is out.
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Notification.Status.SENT
    assert first.attempts == 2 and second.attempts == 1
    mine = [m.subject.split()[-1] for m in mail.outbox if m.to == [recipient.email]]
    assert mine == ["ORG-OTHER", "ORG-FIRST", "ORG-SECOND"]


def test_sending_the_earlier_message_queues_the_one_waiting_behind_it(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    recipient = UserFactory()
    organization = OrganizationFactory()
    [first] = _notify(recipient, reference="ORG-FIRST", obj=organization)
    [second] = _notify(recipient, reference="ORG-SECOND", obj=organization)
    assert notification_deliver(notification_id=second.pk) is False

    with django_capture_on_commit_callbacks(execute=True):
        assert notification_deliver(notification_id=first.pk) is True

    assert [m.subject.split()[-1] for m in mail.outbox] == ["ORG-FIRST", "ORG-SECOND"]


# --- no lock over the network; a stable Message-ID ---------------------------------------------
def test_smtp_has_a_timeout(settings):
    """Item 4: without EMAIL_TIMEOUT a hung mail server holds a worker for ever."""
    from django.core.mail import get_connection

    assert django_settings.EMAIL_TIMEOUT == 20
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert smtp.timeout == 20


class SpyBackend(BaseEmailBackend):
    """Records, for each message, what the database looked like while it was being sent."""

    seen: list[dict] = []

    def send_messages(self, messages):
        for message in messages:
            pk = int(re.match(r"<notification-(\d+)\.", message.extra_headers["Message-ID"])[1])
            row = Notification.objects.get(pk=pk)
            SpyBackend.seen.append(
                {
                    "in_transaction": transaction.get_connection().in_atomic_block,
                    "status": row.status,
                    "lease_until": row.lease_until,
                    "message_id": message.message()["Message-ID"],
                }
            )
        return len(messages)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_or_row_lock_is_held_while_the_mail_server_talks(settings):
    """Item 4: the row was locked (select_for_update) for the whole SMTP conversation."""
    settings.EMAIL_BACKEND = "tests.portal.test_notifications.SpyBackend"
    SpyBackend.seen = []
    [row] = _notify(UserFactory())  # no outer transaction: delivered at once, eagerly

    [seen] = SpyBackend.seen
    assert seen["in_transaction"] is False
    assert seen["status"] == Notification.Status.SENDING  # claimed and committed first
    assert seen["lease_until"] > row.created_at
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.lease_until is None
    assert seen["message_id"] == message_id(row)


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: not an error anyone records."""


def test_a_worker_killed_mid_send_leaves_a_claim_that_the_sweep_takes_back_with_one_message_id(
    settings, monkeypatch, time_machine
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Public Works <no-reply@pwd.example.ae>"
    time_machine.move_to(START, tick=False)
    [row] = _notify(UserFactory())
    original_send = EmailMultiAlternatives.send

    def send_then_die(self, fail_silently=False):
        original_send(self, fail_silently)
        raise WorkerKilled

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_then_die)
    with pytest.raises(WorkerKilled):
        notification_deliver(notification_id=row.pk)
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.status == Notification.Status.SENDING

    # While the lease runs, nobody sends it again.
    assert notification_deliver(notification_id=row.pk) is False
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 0
    time_machine.move_to(START + datetime.timedelta(seconds=301), tick=False)
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 1

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    first, again = mail.outbox
    expected = f"<notification-{row.pk}.20261220080000@pwd.example.ae>"
    assert first.message()["Message-ID"] == again.message()["Message-ID"] == expected


def test_a_refusal_after_the_lease_ran_out_does_not_undo_another_workers_send(
    settings, monkeypatch, time_machine
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(START, tick=False)
    [row] = _notify(UserFactory())
    original_send = EmailMultiAlternatives.send
    calls = []

    def slow_then_refused(self, fail_silently=False):
        calls.append(self)
        if len(calls) > 1:
            return original_send(self, fail_silently)
        # The first worker hangs past its lease; a second one takes the row and sends it.
        time_machine.move_to(START + datetime.timedelta(seconds=301), tick=False)
        assert notification_deliver(notification_id=row.pk) is True
        raise smtplib.SMTPServerDisconnected("timed out")

    monkeypatch.setattr(EmailMultiAlternatives, "send", slow_then_refused)
    with pytest.raises(DeliveryFailed):
        notification_deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert len(mail.outbox) == 1
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 0


def test_eager_task_records_the_failure_without_breaking_the_request(settings, monkeypatch):
    from portal.tasks import deliver_notification

    def refuse(self, fail_silently=False):
        raise OSError("connection refused")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    [row] = _notify(UserFactory())

    assert deliver_notification.delay(row.pk).get() is False

    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert "connection refused" in row.last_error


# --- broker down: the change commits, the sweep delivers later --------------------------------
@pytest.mark.django_db(transaction=True)
def test_broker_down_commits_the_change_and_the_sweep_sends_it_once(
    settings, broker_down, private_media
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    newcomer = UserFactory(preferred_language="en", email="newcomer@example.ae")

    organization = organization_create(
        actor=newcomer,
        data={
            "name_ar": "مكتب الريادة",
            "name_en": "Riyada Office",
            "kind": Organization.Kind.CONSULTANT,
            "trade_licence_number": "SHJ-T-777001",
            "trade_licence_expiry": datetime.date(2099, 1, 1),
        },
    )

    # The change is committed and the outbox row waits.
    assert Organization.objects.filter(pk=organization.pk).exists()
    [row] = Notification.objects.filter(recipient=newcomer)
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 0
    assert mail.outbox == []

    # The receipt could not be queued either; it waits, and the request did not fail.
    assert IssuedDocument.objects.get(owner=newcomer).status == IssuedDocument.Status.PENDING

    broker_down.restore()  # the broker is back (eager mode again)
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 1
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 0

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    [message] = mail.outbox
    assert message.to == [newcomer.email]
    assert row.context["reference"] in message.subject

    # The document sweep renders the receipt that could not be queued, once.
    assert documents_sweep(older_than=datetime.timedelta(0)) == 1
    assert IssuedDocument.objects.get(owner=newcomer).status == IssuedDocument.Status.READY
    assert documents_sweep(older_than=datetime.timedelta(0)) == 0


def test_sweep_leaves_recent_rows_to_the_normal_delivery(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    [row] = _notify(UserFactory())
    assert notifications_sweep() == 0  # younger than NOTIFICATION_SWEEP_AFTER_MINUTES
    assert notifications_sweep(older_than=datetime.timedelta(0)) == 1
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


# --- in the portal ----------------------------------------------------------------------------
def _badge(html: str) -> str | None:
    link = re.search(r'<a [^>]*data-testid="nav-notifications"[^>]*>(.*?)</a>', html, re.S)
    assert link, "the header has no notifications link"
    badge = re.search(r'<span class="aegov-badge"[^>]*>(\d+)</span>', link.group(1))
    return badge.group(1) if badge else None


def test_notification_page_lists_own_notifications_counts_unread_and_marks_read(
    client, customer, other_customer
):
    _notify(customer, reference="ORG-2026-000101")
    _notify(customer, reference="ORG-2026-000102")
    _notify(other_customer, reference="ORG-2026-000999")
    client.force_login(customer)

    page = client.get("/ar/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    listed = re.search(r'data-testid="notifications">(.*?)</ul>', html, re.S).group(1)
    assert "ORG-2026-000101" in listed
    assert "ORG-2026-000102" in listed
    assert "ORG-2026-000999" not in html
    assert _badge(html) == "2"

    response = client.post("/ar/notifications/")
    assert response.status_code == 302
    assert response.url == "/ar/notifications/"
    assert not Notification.objects.filter(recipient=customer, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_customer, read_at__isnull=True).count() == 1

    assert _badge(client.get("/ar/notifications/").content.decode()) is None


def test_notification_page_needs_sign_in(client, db):
    response = client.get("/ar/notifications/")
    assert response.status_code == 302
    assert response.url.startswith("/ar/accounts/login/")


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_notification_page_query_count_does_not_grow_with_rows(client, customer):
    client.force_login(customer)
    _notify(customer)
    client.get("/ar/notifications/")  # warm up the content-type cache
    one_row = _queries_for(client, "/ar/notifications/")
    for i in range(24):
        _notify(customer, reference=f"ORG-2026-{i:06d}")
    assert _queries_for(client, "/ar/notifications/") == one_row


# --- SMS --------------------------------------------------------------------------------------
def test_sms_is_written_and_delivered_when_switched_on(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "portal.sms.LoggingSmsBackend"
    recipient = UserFactory(mobile="+971501234567", preferred_language="en")

    with (
        caplog.at_level(logging.INFO, logger="portal.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        rows = _notify(recipient, reference="ORG-2026-000777")

    assert sorted(r.channel for r in rows) == ["email", "sms"]
    assert set(
        Notification.objects.filter(recipient=recipient).values_list("channel", "status")
    ) == {("email", "sent"), ("sms", "sent")}
    assert len(mail.outbox) == 1
    [sms_log] = [r.getMessage() for r in caplog.records if r.name == "portal.sms"]
    assert sms_log.startswith("SMS to +971501234567: ")
    assert "ORG-2026-000777" in sms_log


def test_no_sms_without_a_mobile_or_when_switched_off(settings):
    settings.SMS_BACKEND = "portal.sms.LoggingSmsBackend"
    assert [r.channel for r in _notify(UserFactory(mobile=""))] == ["email"]
    settings.SMS_BACKEND = ""
    assert [r.channel for r in _notify(UserFactory(mobile="+971501234567"))] == ["email"]


# --- a real worker ----------------------------------------------------------------------------
@pytest.mark.worker
def test_real_worker_delivers_a_committed_notification(settings, live_worker):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    recipient = UserFactory(preferred_language="en")

    with transaction.atomic():
        [row] = _notify(recipient, reference="ORG-2026-000555")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status != Notification.Status.PENDING:
            break
        time.sleep(0.1)
    assert row.status == Notification.Status.SENT
    [message] = mail.outbox
    assert message.to == [recipient.email]
    assert message.subject == _expected_subject("en", "ORG-2026-000555")
