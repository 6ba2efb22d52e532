"""Fees: the customer declares a payment, staff confirm or refuse it."""

from django.db import transaction as db_transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.documents import document_issue
from portal.errors import DomainError, TransitionNotAllowed
from portal.files import private_file_store
from portal.references import reference_next
from transactions import selectors
from transactions.fees import fee_provider
from transactions.models import FeePayment, Transaction
from transactions.services._common import (
    _lock,
    _move,
    _names,
    _notify_customer,
    _require,
)

S = Transaction.Status


@db_transaction.atomic
def fee_payment_submit(
    *,
    actor: User,
    transaction: Transaction,
    method: str,
    payer_reference: str,
    proof=None,
) -> FeePayment:
    """Declare the fee paid (counter receipt or bank transfer). The provider decides whether it
    is confirmed at once; the offline provider leaves it to staff."""
    transaction = _lock(transaction)
    _require(selectors.is_customer_party(actor, transaction))
    if transaction.status != S.FEE_DUE:
        raise TransitionNotAllowed
    if method not in FeePayment.Method.values:
        raise DomainError(_("Choose how you paid."), code="bad_method")
    if not payer_reference.strip():
        raise DomainError(_("Give the receipt or transfer reference."), code="no_reference")
    provider = fee_provider()
    payment = FeePayment.objects.create(
        transaction=transaction,
        provider=provider.name,
        method=method,
        amount=transaction.fee_amount,
        payer_reference=payer_reference.strip(),
        created_by=actor,
    )
    if proof is not None:
        payment.proof = private_file_store(
            actor=actor,
            upload=proof,
            purpose="fee_payment_proof",
            attach_to=transaction,
            kinds=("pdf", "jpeg", "png"),
        )
        payment.save(update_fields=["proof"])
    _move(
        transaction,
        to=S.PAYMENT_SUBMITTED,
        allowed_from=[S.FEE_DUE],
        actor=actor,
        verb="payment_submitted",
        data={"amount": str(payment.amount), "method": method, "payment": payment.pk},
    )
    if provider.confirms_at_once(payment=payment):
        fee_payment_confirm(actor=actor, payment=payment, by_provider=True)
    return payment


@db_transaction.atomic
def fee_payment_confirm(*, actor: User, payment: FeePayment, by_provider: bool = False) -> None:
    """Staff (finance or the Customer Happiness Center) confirm the money arrived."""
    if not by_provider:
        _require(selectors.is_fee_officer(actor))
    payment = FeePayment.objects.select_for_update().get(pk=payment.pk)
    transaction = _lock(payment.transaction)
    if payment.status != FeePayment.Status.PENDING:
        raise TransitionNotAllowed
    moved = _move(
        transaction,
        to=S.PAID,
        allowed_from=[S.PAYMENT_SUBMITTED],
        actor=actor,
        verb="payment_confirmed",
        data={"amount": str(payment.amount), "payment": payment.pk},
    )
    payment.status = FeePayment.Status.CONFIRMED
    payment.decided_by = actor
    payment.decided_at = timezone.now()
    payment.save(update_fields=["status", "decided_by", "decided_at"])
    _issue_fee_receipt(moved, payment, actor=actor)
    _notify_customer(moved, "transaction_payment_confirmed", amount=str(payment.amount))


def _issue_fee_receipt(transaction: Transaction, payment: FeePayment, *, actor) -> None:
    """The customer's receipt for the fee (an issued document with QR verification)."""
    with translation.override("ar"):
        method_ar = str(payment.get_method_display())
    with translation.override("en"):
        method_en = str(payment.get_method_display())
    paid_on = timezone.localtime(payment.decided_at).strftime("%Y-%m-%d %H:%M")
    document_issue(
        actor=actor,
        kind="fee_receipt",
        reference=reference_next(prefix="RCP"),
        owner=transaction.applicant,
        subject=transaction,
        title_ar="إيصال سداد رسوم",
        title_en="Fee payment receipt",
        template="transactions/pdf/fee_receipt.html",
        snapshot={
            **_names(transaction),
            "customer": transaction.applicant.full_name,
            "amount": str(payment.amount),
            "method_ar": method_ar,
            "method_en": method_en,
            "payer_reference": payment.payer_reference,
            "paid_on": paid_on,
        },
        public_summary={
            "rows": [
                ["رقم المعاملة", "Transaction", transaction.reference],
                ["المبلغ (درهم)", "Amount (AED)", str(payment.amount)],
                ["تاريخ التأكيد", "Confirmed on", paid_on],
            ]
        },
    )


@db_transaction.atomic
def fee_payment_refuse(*, actor: User, payment: FeePayment, note: str) -> None:
    """The payment could not be matched: the fee is due again, with the reason."""
    _require(selectors.is_fee_officer(actor))
    if not note.strip():
        raise DomainError(_("Say why the payment cannot be confirmed."), code="no_reason")
    payment = FeePayment.objects.select_for_update().get(pk=payment.pk)
    transaction = _lock(payment.transaction)
    if payment.status != FeePayment.Status.PENDING:
        raise TransitionNotAllowed
    moved = _move(
        transaction,
        to=S.FEE_DUE,
        allowed_from=[S.PAYMENT_SUBMITTED],
        actor=actor,
        verb="payment_refused",
        data={"payment": payment.pk, "note": note.strip()},
    )
    payment.status = FeePayment.Status.REFUSED
    payment.note = note.strip()
    payment.decided_by = actor
    payment.decided_at = timezone.now()
    payment.save(update_fields=["status", "note", "decided_by", "decided_at"])
    _notify_customer(moved, "transaction_payment_refused", note=note.strip())
