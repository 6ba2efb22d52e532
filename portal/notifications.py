"""The notification outbox.

`notify()` writes Notification rows inside the caller's transaction and, once it commits,
queues delivery. If the broker is down at that moment the row simply stays pending and the
periodic sweep queues it again later.

Delivery never holds a database lock while it talks to the mail server: a worker claims the row
(status `sending` with a short lease) and commits, sends with a timeout, then marks it sent. A
row whose worker died mid-send is taken back by the sweep once the lease runs out and sent again
with the same `Message-ID`, so the resend can be recognised downstream. A refused delivery is
retried with a growing, capped delay until the row is NOTIFICATION_GIVE_UP_AFTER_HOURS old, then
it is `undeliverable`. Rows go out in creation order, and a row about an object waits while an
earlier one to the same recipient about the same object is still on its way (a CANCEL never
arrives before its REQUEST).
"""

import logging
import random
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.audit import audit_record
from portal.models import Notification
from portal.sms import get_sms_backend, sms_enabled

logger = logging.getLogger(__name__)

# Not yet delivered, and not given up: such a row holds back later rows about the same object.
UNDELIVERED = [Notification.Status.PENDING, Notification.Status.SENDING]


class DeliveryFailed(Exception):
    """A delivery attempt was refused and recorded. `retry_at` is when the row is due again,
    None once it is undeliverable. The original error is the `__cause__`."""

    def __init__(self, notification_id: int, retry_at: datetime | None):
        super().__init__(f"notification {notification_id} not delivered; retry at {retry_at}")
        self.notification_id = notification_id
        self.retry_at = retry_at


def notify(
    *,
    recipient,
    kind: str,
    obj: models.Model | None = None,
    context: dict | None = None,
    link: str = "",
    attachments: list[dict] | None = None,
) -> list[Notification]:
    """Tell `recipient` about something: always in the portal, by e-mail, and by SMS when SMS
    is switched on and they have a mobile number. `kind` names the templates
    emails/<kind>_subject.txt, _body.txt (also the SMS text) and _body.html. `context` must be
    JSON-serialisable: it is stored, and rendered later in the recipient's language.
    `attachments` ({"filename", "content", "mimetype"}, text) go with the e-mail only."""
    channels = [Notification.Channel.EMAIL]
    if sms_enabled() and getattr(recipient, "mobile", ""):
        channels.append(Notification.Channel.SMS)
    common = {
        "recipient": recipient,
        "kind": kind,
        "context": context or {},
        "link": link,
    }
    if obj is not None:
        common["content_type"] = ContentType.objects.get_for_model(obj)
        common["object_id"] = str(obj.pk)
    rows = [
        Notification.objects.create(
            channel=channel,
            attachments=(attachments or []) if channel == Notification.Channel.EMAIL else [],
            **common,
        )
        for channel in channels
    ]
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: _enqueue(pk))
    return rows


def _enqueue(notification_id: int) -> None:
    """Queue delivery; a broker outage must not undo or break the change that was committed."""
    from portal.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # noqa: BLE001 - the sweep will pick it up
        logger.warning(
            "could not queue notification %s; the sweep will retry", notification_id, exc_info=True
        )


def _render(notification: Notification) -> dict[str, str]:
    user = notification.recipient
    context = {
        **notification.context,
        "recipient_name": user.get_full_name() or user.email,
        "link": f"{settings.SITE_URL}{notification.link}" if notification.link else "",
        "SITE_URL": settings.SITE_URL,
        "DEPARTMENT_NAME_AR": settings.DEPARTMENT_NAME_AR,
        "DEPARTMENT_NAME_EN": settings.DEPARTMENT_NAME_EN,
    }
    base = f"emails/{notification.kind}"
    language = getattr(user, "preferred_language", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        context["LANGUAGE_CODE"] = language
        context["LANGUAGE_BIDI"] = translation.get_language_bidi()
        rendered = {
            "subject": " ".join(render_to_string(f"{base}_subject.txt", context).split()),
            "text": render_to_string(f"{base}_body.txt", context),
        }
        if notification.channel == Notification.Channel.EMAIL:
            rendered["html"] = render_to_string(f"{base}_body.html", context)
    return rendered


def notification_subject_line(notification: Notification) -> str:
    """The one-line title shown in the portal's notification list (current language)."""
    context = {
        **notification.context,
        "recipient_name": notification.recipient.get_full_name(),
        "LANGUAGE_CODE": translation.get_language(),
    }
    return " ".join(render_to_string(f"emails/{notification.kind}_subject.txt", context).split())


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th refusal: base·2^(attempts−1), at most the cap,
    spread by ±jitter so that rows refused together do not all come back at the same second."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    cap = settings.NOTIFICATION_RETRY_CAP_HOURS * 3600
    delay = min(cap, base * 2 ** min(max(attempts - 1, 0), 30))
    jitter = settings.NOTIFICATION_RETRY_JITTER
    return delay * random.uniform(1 - jitter, 1 + jitter)


def message_id(notification: Notification) -> str:
    """The e-mail's Message-ID: the same for every attempt at one row, so a message sent again
    after a worker died between sending and marking it sent is recognisably the same one."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    domain = domain or urlparse(settings.SITE_URL).hostname or "localhost"
    stamp = notification.created_at.strftime("%Y%m%d%H%M%S")
    return f"<notification-{notification.pk}.{stamp}@{domain}>"


def _earlier_undelivered(*, recipient_id, content_type_id, object_id, channel, pk) -> Q:
    return Q(
        recipient_id=recipient_id,
        content_type_id=content_type_id,
        object_id=object_id,
        channel=channel,
        pk__lt=pk,
        status__in=UNDELIVERED,
    )


def _waiting_for_earlier(notification: Notification) -> bool:
    """An earlier row to the same recipient about the same object is still on its way."""
    if notification.content_type_id is None:
        return False
    return Notification.objects.filter(
        _earlier_undelivered(
            recipient_id=notification.recipient_id,
            content_type_id=notification.content_type_id,
            object_id=notification.object_id,
            channel=notification.channel,
            pk=notification.pk,
        )
    ).exists()


def _claimable(now: datetime) -> Q:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    abandoned = Q(status=Notification.Status.SENDING, lease_until__lt=now)
    return (Q(status=Notification.Status.PENDING) & due) | abandoned


def _claim(notification_id: int) -> Notification | None:
    """Take the row for this worker for NOTIFICATION_LEASE_SECONDS, in a short transaction of
    its own; None when it is not due, already sent, claimed by a live worker or waiting for an
    earlier row."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now), pk=notification_id)
            .first()
        )
        if notification is None or _waiting_for_earlier(notification):
            return None
        lease_until = now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
        # Conditional, so that only one of two workers wins even where SELECT … FOR UPDATE
        # is not available (SQLite).
        claimed = Notification.objects.filter(_claimable(now), pk=notification_id).update(
            status=Notification.Status.SENDING, lease_until=lease_until
        )
        if not claimed:
            return None
    notification.status, notification.lease_until = Notification.Status.SENDING, lease_until
    return notification


def _send(notification: Notification) -> None:
    message = _render(notification)
    if notification.channel == Notification.Channel.EMAIL:
        email = EmailMultiAlternatives(
            subject=message["subject"],
            body=message["text"],
            to=[notification.recipient.email],
            headers={"Message-ID": message_id(notification)},
        )
        email.attach_alternative(message["html"], "text/html")
        for attachment in notification.attachments:
            email.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
        email.send()
    elif notification.channel == Notification.Channel.SMS:
        get_sms_backend().send(to=notification.recipient.mobile, text=message["text"])


def _queue_next_about_same(notification: Notification) -> None:
    """The row is out of the way (sent or given up): queue the next one that waited for it."""
    if notification.content_type_id is None:
        return
    following = (
        Notification.objects.filter(
            recipient_id=notification.recipient_id,
            content_type_id=notification.content_type_id,
            object_id=notification.object_id,
            channel=notification.channel,
            pk__gt=notification.pk,
            status=Notification.Status.PENDING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        transaction.on_commit(lambda: _enqueue(following))


def notification_deliver(*, notification_id: int) -> bool:
    """Send one notification if it is due. Returns True when this call sent it, False when
    there was nothing to do (sent, not due, claimed by another worker, or waiting for an
    earlier row about the same object).

    Raises DeliveryFailed (after recording the error and the next attempt's time) when the
    mail server or SMS gateway refused it.
    """
    notification = _claim(notification_id)
    if notification is None:
        return False
    try:
        _send(notification)  # outside any transaction: no row lock while the network answers
    except Exception as exc:  # noqa: BLE001 - any refusal is recorded and retried later
        retry_at = _record_failure(notification, exc)
        raise DeliveryFailed(notification_id, retry_at) from exc
    with transaction.atomic():
        notification.attempts += 1
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.lease_until = None
        notification.save(update_fields=["attempts", "status", "sent_at", "lease_until"])
        _queue_next_about_same(notification)
    return True


def _record_failure(notification: Notification, exc: Exception) -> datetime | None:
    now = timezone.now()
    give_up_at = notification.created_at + timedelta(
        hours=settings.NOTIFICATION_GIVE_UP_AFTER_HOURS
    )
    lease_until = notification.lease_until
    notification.attempts += 1
    notification.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
    notification.lease_until = None
    if now >= give_up_at:
        notification.status = Notification.Status.UNDELIVERABLE
        notification.next_attempt_at = None
        logger.error("notification %s is undeliverable: %s", notification.pk, exc)
    else:
        notification.status = Notification.Status.PENDING
        # One last attempt at the age limit rather than none after it.
        retry_at = now + timedelta(seconds=retry_delay(notification.attempts))
        notification.next_attempt_at = min(retry_at, give_up_at)
        logger.warning(
            "notification %s refused (attempt %s), next at %s: %s",
            notification.pk,
            notification.attempts,
            notification.next_attempt_at,
            exc,
        )
    with transaction.atomic():
        # Only while the claim is still ours: past the lease another worker may have taken the
        # row and sent it, and "sent" must not be turned back into "pending".
        Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.SENDING, lease_until=lease_until
        ).update(
            attempts=notification.attempts,
            last_error=notification.last_error,
            lease_until=None,
            status=notification.status,
            next_attempt_at=notification.next_attempt_at,
        )
        if notification.status == Notification.Status.UNDELIVERABLE:
            _queue_next_about_same(notification)
    return notification.next_attempt_at


def notifications_due(*, older_than: timedelta) -> QuerySet[Notification]:
    """What the sweep queues, oldest first: rows never queued successfully (older than
    `older_than`, leaving fresh ones to the normal delivery), retries that are due and rows
    whose worker's lease ran out. Rows waiting behind an earlier one are queued too, after it:
    a worker taking the queue in order then delivers each recipient's mail in creation order,
    and one that finds the earlier row still undelivered leaves the later one for its turn."""
    now = timezone.now()
    return Notification.objects.filter(_claimable(now), created_at__lte=now - older_than).order_by(
        "created_at", "id"
    )


def notifications_sweep(*, older_than: timedelta | None = None) -> int:
    """Queue again, in creation order, every notification that is due (see notifications_due).
    Returns how many."""
    if older_than is None:  # not `or`: timedelta(0) is falsy but means "everything pending"
        older_than = timedelta(minutes=settings.NOTIFICATION_SWEEP_AFTER_MINUTES)
    ids = list(notifications_due(older_than=older_than).values_list("pk", flat=True))
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def notifications_undeliverable_count() -> int:
    return Notification.objects.filter(status=Notification.Status.UNDELIVERABLE).count()


@transaction.atomic
def notifications_retry(*, actor, ids: list[int]) -> int:
    """An administrator sends undeliverable notifications again now (the mail server or the
    address was fixed). Each gets one attempt; refused again, it is undeliverable again.
    Returns how many were queued."""
    rows = list(
        Notification.objects.select_for_update().filter(
            pk__in=ids, status=Notification.Status.UNDELIVERABLE
        )
    )
    now = timezone.now()
    for row in rows:
        row.status = Notification.Status.PENDING
        row.next_attempt_at = now
        row.save(update_fields=["status", "next_attempt_at"])
        audit_record(
            actor=actor,
            verb="notification_retried",
            obj=row,
            from_status=Notification.Status.UNDELIVERABLE,
            to_status=Notification.Status.PENDING,
        )
        transaction.on_commit(lambda pk=row.pk: _enqueue(pk))
    return len(rows)


def notifications_for(*, user) -> QuerySet[Notification]:
    """The in-portal list: one row per event (the e-mail row; SMS copies are not repeated)."""
    return Notification.objects.filter(recipient=user).exclude(channel=Notification.Channel.SMS)


# The header shows "99+" past this: counting further read every unread row of a busy account
# on every page (issue 11).
UNREAD_SHOWN_MAX = 99


def notifications_unread_count(*, user) -> int:
    """The unread count, counted up to UNREAD_SHOWN_MAX + 1."""
    unread = notifications_for(user=user).filter(read_at__isnull=True).order_by()
    return unread[: UNREAD_SHOWN_MAX + 1].count()


def notifications_mark_read(*, actor) -> int:
    return notifications_for(user=actor).filter(read_at__isnull=True).update(read_at=timezone.now())
