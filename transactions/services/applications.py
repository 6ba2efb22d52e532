"""The customer's side: drafts, documents, submission, answers, withdrawal."""

from decimal import Decimal

from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.models import User
from accounts.roles import is_staff_member
from portal.audit import audit_record
from portal.documents import document_issue
from portal.errors import DomainError, TransitionNotAllowed
from portal.files import private_file_store
from portal.references import reference_next
from transactions import selectors
from transactions.forms import application_data_clean
from transactions.models import (
    ChecklistItem,
    Remark,
    RemarkReply,
    Service,
    Transaction,
    TransactionDocument,
)
from transactions.services._common import (
    Incomplete,
    _lock,
    _move,
    _names,
    _notify_customer,
    _require,
)

S = Transaction.Status


def _customer_active(transaction: Transaction) -> list[str]:
    """The customer did something during their turn: the expiry clock starts again (and a
    warning already sent no longer applies). Returns the fields changed."""
    if transaction.status == S.DRAFT:
        return []
    transaction.idle_since = timezone.now()
    transaction.expiry_warned_at = None
    return ["idle_since", "expiry_warned_at"]


@db_transaction.atomic
def transaction_create(*, actor: User, service: Service, title: str, data: dict) -> Transaction:
    """Start a draft on the service's current checklist version.

    Raises PermissionDenied for staff (they do not apply), DomainError when the service is
    closed for applications, ValidationError for bad field values."""
    _require(actor.is_authenticated and not is_staff_member(actor))
    if not service.is_active:
        raise DomainError(_("This service is not open for applications."), code="service_closed")
    version = selectors.service_current_version(service=service)
    if version is None:
        raise DomainError(_("This service is not open for applications."), code="service_closed")
    transaction = Transaction.objects.create(
        service=service,
        version=version,
        applicant=actor,
        organization=actor.organization,
        title=title,
        data=application_data_clean(version=version, data=data),
    )
    audit_record(actor=actor, verb="created", obj=transaction, to_status=S.DRAFT)
    return transaction


@db_transaction.atomic
def transaction_update(*, actor: User, transaction: Transaction, title: str, data: dict) -> None:
    """Change the title and form data while the customer holds the transaction."""
    transaction = _lock(transaction)
    _require(selectors.is_customer_party(actor, transaction))
    if transaction.status not in Transaction.EDITABLE:
        raise DomainError(_("The application can no longer be changed."), code="not_editable")
    transaction.title = title
    transaction.data = application_data_clean(version=transaction.version, data=data)
    transaction.save(update_fields=["title", "data", "updated_at", *_customer_active(transaction)])
    audit_record(actor=actor, verb="updated", obj=transaction)


@db_transaction.atomic
def transaction_document_upload(
    *, actor: User, transaction: Transaction, item: ChecklistItem, upload
) -> TransactionDocument:
    """Add a new version of one checklist item's document; earlier versions are kept.

    Raises DomainError when the item is not on the transaction's checklist version or the
    customer does not hold the transaction; ValidationError for a bad file."""
    transaction = _lock(transaction)
    _require(selectors.is_customer_party(actor, transaction))
    if item.version_id != transaction.version_id:
        raise DomainError(
            _("This document is not on the checklist of this application."), code="not_on_list"
        )
    if transaction.status not in Transaction.EDITABLE:
        raise DomainError(_("The application can no longer be changed."), code="not_editable")
    last = (
        TransactionDocument.objects.filter(transaction=transaction, item=item)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    stored = private_file_store(
        actor=actor,
        upload=upload,
        purpose="transaction_document",
        attach_to=transaction,
        kinds=tuple(item.kinds),
    )
    document = TransactionDocument.objects.create(
        transaction=transaction,
        item=item,
        number=(last or 0) + 1,
        file=stored,
        cycle=transaction.cycle,
        uploaded_by=actor,
    )
    transaction.save(update_fields=["updated_at", *_customer_active(transaction)])
    audit_record(
        actor=actor,
        verb="document_uploaded",
        obj=transaction,
        data={
            "item_ar": item.name_ar,
            "item_en": item.name_en,
            "version": document.number,
            "file": stored.original_name,
        },
    )
    return document


def _check_complete(transaction: Transaction) -> None:
    """Every required field and every mandatory document of the transaction's own checklist
    version (never a later one)."""
    missing = [
        str(field.label)
        for field in transaction.version.fields.all()
        if field.required and transaction.data.get(field.code) in (None, "")
    ]
    if not transaction.title.strip():
        missing.insert(0, str(_("Project title")))
    have = set(
        TransactionDocument.objects.filter(transaction=transaction).values_list(
            "item_id", flat=True
        )
    )
    missing += [
        str(item.name)
        for item in transaction.version.checklist.all()
        if item.mandatory and item.pk not in have
    ]
    if missing:
        raise Incomplete(
            _("Before submitting, complete: %(items)s.")
            % {"items": pgettext("list separator", ", ").join(missing)}
        )


def _current_versions(transaction: Transaction) -> list[TransactionDocument]:
    newest: dict[int, TransactionDocument] = {}
    for document in transaction.documents.select_related("item", "file").order_by("number"):
        newest[document.item_id] = document
    return sorted(newest.values(), key=lambda d: (d.item.position, d.item_id))


@db_transaction.atomic
def transaction_submit(*, actor: User, transaction: Transaction) -> Transaction:
    """Submit a draft: gives it its reference, starts the department's clock, issues the
    receipt and tells the customer.

    Raises Incomplete naming every missing field and document."""
    transaction = _lock(transaction)
    _require(selectors.is_customer_party(actor, transaction))
    if transaction.status != S.DRAFT:
        raise TransitionNotAllowed
    _check_complete(transaction)
    # The terms the customer applied on are fixed now, like the checklist version: the SLA
    # and the fee. A later change to the service applies to later applications only.
    transaction.sla_days = transaction.service.sla_days
    transaction.fee_amount = transaction.service.fee or Decimal("0.00")
    reference = reference_next(prefix="TRX")
    transaction = _move(
        transaction,
        to=S.SUBMITTED,
        allowed_from=[S.DRAFT],
        actor=actor,
        verb="submitted",
        timestamp_field="submitted_at",
        changes={
            "reference": reference,
            "sla_days": transaction.sla_days,
            "fee_amount": transaction.fee_amount,
        },
        data={"reference": reference},
    )
    submitted_at = timezone.localtime(transaction.submitted_at).strftime("%Y-%m-%d %H:%M")
    document_issue(
        actor=actor,
        kind="transaction_receipt",
        reference=reference,
        owner=transaction.applicant,
        subject=transaction,
        title_ar="إيصال استلام معاملة",
        title_en="Transaction receipt",
        template="transactions/pdf/receipt.html",
        snapshot={
            **_names(transaction),
            "applicant": transaction.applicant.full_name,
            "organization_ar": transaction.organization.name_ar if transaction.organization else "",
            "organization_en": transaction.organization.name_en if transaction.organization else "",
            "submitted_at": submitted_at,
            "sla_days": transaction.sla_days,
            "due_date": str(transaction.due_date),
            # What was submitted: the current version of each document.
            "documents": [
                [d.item.name_ar, d.item.name_en, d.file.original_name, d.file.sha256]
                for d in _current_versions(transaction)
            ],
        },
        public_summary={
            "rows": [
                ["رقم المعاملة", "Transaction", reference],
                [
                    "الخدمة",
                    "Service",
                    f"{transaction.service.name_ar} / {transaction.service.name_en}",
                ],
                ["تاريخ التقديم", "Submitted on", submitted_at],
            ]
        },
    )
    _notify_customer(transaction, "transaction_submitted", due_date=str(transaction.due_date or ""))
    return transaction


@db_transaction.atomic
def transaction_resubmit(*, actor: User, transaction: Transaction) -> Transaction:
    """Send the transaction back to the department after an incomplete return (to the same
    completeness check) or after remarks (the next review cycle).

    Raises Incomplete when a listed missing document has no new version or a remark of the
    cycle has no answer."""
    transaction = _lock(transaction)
    _require(selectors.is_customer_party(actor, transaction))
    if transaction.status == S.INCOMPLETE_RETURNED:
        _check_complete(transaction)
        since = transaction.customer_turn_since
        provided = set(
            TransactionDocument.objects.filter(
                transaction=transaction, uploaded_at__gte=since
            ).values_list("item_id", flat=True)
        )
        still = [str(i.name) for i in transaction.missing_items.all() if i.pk not in provided]
        if still:
            raise Incomplete(
                _("Upload a new version of: %(items)s.")
                % {"items": pgettext("list separator", ", ").join(still)}
            )
        to = S.COMPLETENESS_CHECK if transaction.assignee_id else S.SUBMITTED
        moved = _move(
            transaction,
            to=to,
            allowed_from=[S.INCOMPLETE_RETURNED],
            actor=actor,
            verb="resubmitted",
        )
        moved.missing_items.clear()
        return moved
    if transaction.status == S.REMARKS_RETURNED:
        if selectors.unanswered_remarks(transaction).exists():
            raise Incomplete(_("Answer every remark before resubmitting."))
        return _move(
            transaction,
            to=S.UNDER_REVIEW,
            allowed_from=[S.REMARKS_RETURNED],
            actor=actor,
            verb="resubmitted",
            changes={"cycle": transaction.cycle + 1},
            data={"cycle": transaction.cycle + 1},
        )
    raise TransitionNotAllowed


@db_transaction.atomic
def transaction_withdraw(*, actor: User, transaction: Transaction, reason: str = "") -> None:
    """The customer withdraws before a decision; the transaction is kept, closed."""
    transaction = _lock(transaction)
    _require(selectors.is_customer_party(actor, transaction))
    _move(
        transaction,
        to=S.WITHDRAWN,
        allowed_from=Transaction.WITHDRAWABLE,
        actor=actor,
        verb="withdrawn",
        timestamp_field="closed_at",
        data={"reason": reason},
    )
    if transaction.reference:
        _notify_customer(transaction, "transaction_withdrawn")


@db_transaction.atomic
def remark_answer(*, actor: User, remark: Remark, text: str, upload=None) -> RemarkReply:
    """Answer one remark in writing and/or with a new version of its document.

    Raises DomainError when there is nothing to send or the remark is not awaiting an answer."""
    transaction = _lock(remark.transaction)
    _require(selectors.is_customer_party(actor, transaction))
    remark = Remark.objects.select_for_update(of=("self",)).select_related("item").get(pk=remark.pk)
    if transaction.status != S.REMARKS_RETURNED or remark.status != Remark.Status.OPEN:
        raise DomainError(_("This remark is not waiting for an answer."), code="not_open")
    text = (text or "").strip()
    if not text and upload is None:
        raise DomainError(_("Write an answer or attach a new document."), code="empty_answer")
    document = None
    if upload is not None:
        if remark.item is None:
            raise DomainError(
                _("This remark is not about a document; answer it in writing."), code="no_item"
            )
        document = transaction_document_upload(
            actor=actor, transaction=transaction, item=remark.item, upload=upload
        )
    reply = RemarkReply.objects.create(remark=remark, text=text, document=document, author=actor)
    if document is None:  # an upload has already restarted the expiry clock
        transaction.save(update_fields=["updated_at", *_customer_active(transaction)])
    audit_record(
        actor=actor,
        verb="remark_answered",
        obj=transaction,
        data={"remark": remark.pk, "text": text[:500]},
    )
    return reply
