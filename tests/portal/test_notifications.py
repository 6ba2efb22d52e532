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
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Organization
from accounts.services import organization_create
from portal.documents import documents_sweep
from portal.models import IssuedDocument, Notification
from portal.notifications import (
    MAX_ATTEMPTS,
    notification_deliver,
    notifications_sweep,
    notify,
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


def test_failing_mail_server_is_recorded_and_retried_until_failed(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    [row] = _notify(UserFactory())

    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            notification_deliver(notification_id=row.pk)
        row.refresh_from_db()
        assert row.attempts == attempt
        assert row.status == Notification.Status.PENDING
        assert row.last_error == "SMTPServerDisconnected: mail server went away"

    with pytest.raises(smtplib.SMTPServerDisconnected):
        notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert row.attempts == MAX_ATTEMPTS == 5
    assert row.status == Notification.Status.FAILED
    assert row.sent_at is None

    # A failed notification is left alone, even once the mail server is back.
    monkeypatch.undo()
    assert notification_deliver(notification_id=row.pk) is False
    assert mail.outbox == []


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
