"""The notification outbox.

`notify()` writes Notification rows inside the caller's transaction and, once it commits,
queues delivery. If the broker is down at that moment the row simply stays pending and the
periodic sweep queues it again later. Delivery locks the row and sends only if it is still
pending, so a row delivered twice sends one message.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.models import Notification
from portal.sms import get_sms_backend, sms_enabled

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


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


def notification_deliver(*, notification_id: int) -> bool:
    """Send one notification if it is still pending. Returns True when this call sent it.

    Raises the delivery error (after recording it) so that the task can retry with backoff.
    """
    error = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status != Notification.Status.PENDING:
            return False
        try:
            message = _render(notification)
            if notification.channel == Notification.Channel.EMAIL:
                email = EmailMultiAlternatives(
                    subject=message["subject"],
                    body=message["text"],
                    to=[notification.recipient.email],
                )
                email.attach_alternative(message["html"], "text/html")
                for attachment in notification.attachments:
                    email.attach(
                        attachment["filename"], attachment["content"], attachment["mimetype"]
                    )
                email.send()
            elif notification.channel == Notification.Channel.SMS:
                get_sms_backend().send(to=notification.recipient.mobile, text=message["text"])
        except Exception as exc:  # noqa: BLE001 - recorded, then re-raised for the retry
            error = exc
            notification.attempts += 1
            notification.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "last_error", "status"])
        else:
            notification.attempts += 1
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.save(update_fields=["attempts", "status", "sent_at"])
    if error is not None:
        raise error
    return True


def notifications_pending_stale(*, older_than: timedelta) -> QuerySet[Notification]:
    return Notification.objects.filter(
        status=Notification.Status.PENDING, created_at__lte=timezone.now() - older_than
    )


def notifications_sweep(*, older_than: timedelta | None = None) -> int:
    """Queue again every notification still pending after a few minutes. Returns how many."""
    if older_than is None:  # not `or`: timedelta(0) is falsy but means "everything pending"
        older_than = timedelta(minutes=settings.NOTIFICATION_SWEEP_AFTER_MINUTES)
    ids = list(notifications_pending_stale(older_than=older_than).values_list("pk", flat=True))
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def notifications_for(*, user) -> QuerySet[Notification]:
    """The in-portal list: one row per event (the e-mail row; SMS copies are not repeated)."""
    return Notification.objects.filter(recipient=user).exclude(channel=Notification.Channel.SMS)


def notifications_unread_count(*, user) -> int:
    return notifications_for(user=user).filter(read_at__isnull=True).count()


def notifications_mark_read(*, actor) -> int:
    return notifications_for(user=actor).filter(read_at__isnull=True).update(read_at=timezone.now())
