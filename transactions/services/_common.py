"""What every transaction service shares: locking, moving with the SLA clocks, notifying."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.errors import DomainError, TransitionNotAllowed
from portal.notifications import notify
from portal.workflow import transition
from transactions.models import Transaction
from transactions.signals import transaction_abandoned
from transactions.sla import clock_changes

S = Transaction.Status


class Incomplete(DomainError):
    code = "incomplete"


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _lock(transaction: Transaction) -> Transaction:
    return (
        Transaction.objects.select_for_update(of=("self",))
        .select_related("service", "version", "applicant", "organization")
        .get(pk=transaction.pk)
    )


def _move(
    transaction: Transaction,
    *,
    to: str,
    allowed_from: Iterable[str],
    actor,
    verb: str,
    timestamp_field: str | None = None,
    changes: dict | None = None,
    data: dict | None = None,
    condition=None,
) -> Transaction:
    """One status change with the SLA clocks moved along (the row is already locked)."""
    if transaction.status not in set(allowed_from):
        # Checked here too so the clock is not computed for a move that will be refused.
        raise TransitionNotAllowed
    all_changes = {**clock_changes(transaction, to=to), **(changes or {})}
    on_commit = []
    if to in (S.WITHDRAWN, S.EXPIRED):
        on_commit.append(
            lambda: transaction_abandoned.send(
                sender=Transaction, transaction_id=transaction.pk, status=to
            )
        )
    return transition(
        obj=transaction,
        to=to,
        allowed_from=allowed_from,
        actor=actor,
        verb=verb,
        timestamp_field=timestamp_field,
        condition=condition,
        changes=all_changes,
        data=data,
        on_commit=on_commit,
    )


def _names(transaction: Transaction) -> dict:
    return {
        "reference": transaction.reference,
        "title": transaction.title,
        "service_name_ar": transaction.service.name_ar,
        "service_name_en": transaction.service.name_en,
    }


def _link(transaction: Transaction) -> str:
    return reverse("transactions:detail", args=[transaction.pk])


def _notify_customer(transaction: Transaction, kind: str, **context) -> None:
    notify(
        recipient=transaction.applicant,
        kind=kind,
        obj=transaction,
        context={**_names(transaction), **context},
        link=_link(transaction),
    )


# --- the customer's side -------------------------------------------------------------------------
