"""Time-driven work run daily by Celery beat: expiry warnings, expiry, overdue digests."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction as db_transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_record
from portal.errors import DomainError
from portal.notifications import notify
from transactions.models import Transaction
from transactions.services._common import (
    _lock,
    _move,
    _notify_customer,
)

S = Transaction.Status


IDLE_STATUSES = [S.INCOMPLETE_RETURNED, S.REMARKS_RETURNED, S.FEE_DUE]


def _idle_since_before(days: int):
    return timezone.now() - timedelta(days=days)


def transactions_warn_expiring() -> int:
    """Warn customers whose transaction will expire within the warning window; once each."""
    cutoff = _idle_since_before(
        settings.TRANSACTION_EXPIRY_DAYS - settings.TRANSACTION_EXPIRY_WARNING_DAYS
    )
    warned = 0
    candidates = Transaction.objects.filter(
        status__in=IDLE_STATUSES, idle_since__lte=cutoff, expiry_warned_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in candidates:
        with db_transaction.atomic():
            transaction = (
                Transaction.objects.select_for_update()
                .select_related("service", "applicant")
                .get(pk=pk)
            )
            # Guarded by state and time again under the lock: running twice sends nothing more.
            if (
                transaction.status not in IDLE_STATUSES
                or transaction.expiry_warned_at is not None
                or transaction.idle_since > cutoff
            ):
                continue
            transaction.expiry_warned_at = timezone.now()
            transaction.save(update_fields=["expiry_warned_at"])
            # A late warning (the beat did not run) still gives the full warning period.
            expires_on = timezone.localtime(
                max(
                    transaction.idle_since + timedelta(days=settings.TRANSACTION_EXPIRY_DAYS),
                    transaction.expiry_warned_at
                    + timedelta(days=settings.TRANSACTION_EXPIRY_WARNING_DAYS),
                )
            ).date()
            audit_record(actor=None, verb="expiry_warned", obj=transaction)
            _notify_customer(
                transaction, "transaction_expiry_warning", expires_on=expires_on.isoformat()
            )
            warned += 1
    return warned


def transactions_expire_idle() -> int:
    """Expire transactions idle on the customer's side past the limit, warned at least the
    warning period before."""
    cutoff = _idle_since_before(settings.TRANSACTION_EXPIRY_DAYS)
    warned_before = _idle_since_before(settings.TRANSACTION_EXPIRY_WARNING_DAYS)
    expired = 0
    candidates = Transaction.objects.filter(
        status__in=IDLE_STATUSES,
        idle_since__lte=cutoff,
        expiry_warned_at__lte=warned_before,
    ).values_list("pk", flat=True)
    for pk in candidates:
        with db_transaction.atomic():
            transaction = _lock(Transaction(pk=pk))
            try:
                moved = _move(
                    transaction,
                    to=S.EXPIRED,
                    allowed_from=IDLE_STATUSES,
                    actor=None,
                    verb="expired",
                    timestamp_field="closed_at",
                    condition=lambda t: (
                        t.idle_since <= cutoff
                        and t.expiry_warned_at is not None
                        and t.expiry_warned_at <= warned_before
                    ),
                )
            except DomainError:
                continue
            _notify_customer(moved, "transaction_expired")
            expired += 1
    return expired


def transactions_notify_overdue() -> int:
    """Send each team supervisor one digest of their team's overdue transactions not yet
    reported today. Returns the number of digests sent."""
    today = timezone.localdate()
    overdue = (
        Transaction.objects.filter(
            status__in=Transaction.DEPARTMENT_TURN,
            due_date__lt=today,
            service__team__supervisor__isnull=False,
        )
        .exclude(overdue_notified_on=today)
        .select_related("service__team__supervisor")
        .order_by("service__team_id", "due_date")
    )
    by_team: dict[int, list[Transaction]] = {}
    for transaction in overdue:
        by_team.setdefault(transaction.service.team_id, []).append(transaction)
    for items in by_team.values():
        team = items[0].service.team
        with db_transaction.atomic():
            Transaction.objects.filter(pk__in=[t.pk for t in items]).update(
                overdue_notified_on=today
            )
            notify(
                recipient=team.supervisor,
                kind="transactions_overdue",
                obj=team,
                context={
                    "team_ar": team.name_ar,
                    "team_en": team.name_en,
                    "count": len(items),
                    "items": [[t.reference, t.title, str(t.due_date)] for t in items],
                },
                link=reverse("transactions:queue") + "?overdue=1",
            )
    return len(by_team)
