"""The department's side: claim, completeness, remarks, decision, certificate, closing."""

from collections.abc import Iterable

from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.audit import audit_record
from portal.documents import document_issue
from portal.errors import DomainError, TransitionNotAllowed
from portal.references import reference_next
from transactions import selectors
from transactions.models import (
    ChecklistItem,
    Remark,
    Transaction,
)
from transactions.services._common import (
    _lock,
    _move,
    _names,
    _notify_customer,
    _require,
)

S = Transaction.Status


@db_transaction.atomic
def transaction_claim(*, actor: User, transaction: Transaction) -> Transaction:
    """Take unassigned work: an agent a new submission, a team reviewer a transaction waiting
    for technical review."""
    transaction = _lock(transaction)
    if transaction.status == S.SUBMITTED:
        _require(selectors.is_agent(actor))
        return _move(
            transaction,
            to=S.COMPLETENESS_CHECK,
            allowed_from=[S.SUBMITTED],
            actor=actor,
            verb="claimed",
            changes={"assignee": actor},
        )
    if transaction.status == S.UNDER_REVIEW and transaction.assignee_id is None:
        _require(selectors.is_team_reviewer(actor, transaction))
        return _move(
            transaction,
            to=S.UNDER_REVIEW,
            allowed_from=[S.UNDER_REVIEW],
            actor=actor,
            verb="claimed",
            changes={"assignee": actor},
        )
    raise TransitionNotAllowed


@db_transaction.atomic
def transaction_assign(*, actor: User, transaction: Transaction, assignee: User) -> Transaction:
    """Hand the work to a colleague who may do the current stage (agents for completeness,
    the service team's reviewers for review). Only staff of that stage may assign."""
    transaction = _lock(transaction)
    stage = transaction.status
    if stage in (S.SUBMITTED, S.COMPLETENESS_CHECK):
        _require(selectors.is_agent(actor))
        to = S.COMPLETENESS_CHECK
    elif stage == S.UNDER_REVIEW:
        _require(selectors.is_team_reviewer(actor, transaction))
        to = S.UNDER_REVIEW
    else:
        raise TransitionNotAllowed
    if not selectors.eligible_assignees(transaction=transaction).filter(pk=assignee.pk).exists():
        raise DomainError(_("This person cannot take this stage of the work."), code="ineligible")
    return _move(
        transaction,
        to=to,
        allowed_from=[stage],
        actor=actor,
        verb="assigned",
        changes={"assignee": assignee},
        data={"assignee": assignee.full_name},
    )


def _require_assigned_agent(actor: User, transaction: Transaction) -> None:
    """The completeness check's own agent (or any agent while nobody holds it). The status
    is checked first: work that has moved on is a conflict (409), not a question of who
    holds it (403)."""
    if transaction.status != S.COMPLETENESS_CHECK:
        raise TransitionNotAllowed
    _require(
        selectors.is_agent(actor)
        and (transaction.assignee_id in (None, actor.pk) or actor.is_superuser)
    )


def _require_assigned_reviewer(actor: User, transaction: Transaction) -> None:
    """The reviewer who holds the technical review; the status is checked first, as above."""
    if transaction.status != S.UNDER_REVIEW:
        raise TransitionNotAllowed
    _require(
        selectors.is_team_reviewer(actor, transaction)
        and (transaction.assignee_id == actor.pk or actor.is_superuser)
    )


@db_transaction.atomic
def transaction_return_incomplete(
    *,
    actor: User,
    transaction: Transaction,
    missing_items: Iterable[ChecklistItem],
    note: str,
) -> Transaction:
    """Return a submission whose documents are missing or unusable, naming them.

    Raises DomainError when an item is not on the transaction's checklist version or nothing
    is named."""
    transaction = _lock(transaction)
    _require_assigned_agent(actor, transaction)
    items = list(missing_items)
    if any(item.version_id != transaction.version_id for item in items):
        raise DomainError(
            _("This document is not on the checklist of this application."), code="not_on_list"
        )
    if not items and not note.strip():
        raise DomainError(
            _("Name the missing documents or explain what is missing."), code="nothing_missing"
        )
    moved = _move(
        transaction,
        to=S.INCOMPLETE_RETURNED,
        allowed_from=[S.COMPLETENESS_CHECK],
        actor=actor,
        verb="returned_incomplete",
        changes={"return_note": note.strip()},
        data={
            "items_ar": [i.name_ar for i in items],
            "items_en": [i.name_en for i in items],
            "note": note.strip(),
        },
    )
    moved.missing_items.set(items)
    _notify_customer(
        moved,
        "transaction_returned_incomplete",
        items_ar=[i.name_ar for i in items],
        items_en=[i.name_en for i in items],
        note=note.strip(),
    )
    return moved


@db_transaction.atomic
def transaction_accept_complete(*, actor: User, transaction: Transaction) -> Transaction:
    """The submission is complete: it goes to the service team for technical review (cycle 1)."""
    transaction = _lock(transaction)
    _require_assigned_agent(actor, transaction)
    moved = _move(
        transaction,
        to=S.UNDER_REVIEW,
        allowed_from=[S.COMPLETENESS_CHECK],
        actor=actor,
        verb="accepted_complete",
        changes={"cycle": 1, "assignee": None, "return_note": ""},
        data={"cycle": 1},
    )
    moved.missing_items.clear()
    return moved


@db_transaction.atomic
def remark_add(
    *, actor: User, transaction: Transaction, text: str, item: ChecklistItem | None = None
) -> Remark:
    """The assigned reviewer writes a remark in the current cycle (optionally about one
    document of the checklist)."""
    transaction = _lock(transaction)
    _require_assigned_reviewer(actor, transaction)
    if transaction.status != S.UNDER_REVIEW:
        raise TransitionNotAllowed
    if item is not None and item.version_id != transaction.version_id:
        raise DomainError(
            _("This document is not on the checklist of this application."), code="not_on_list"
        )
    if not text.strip():
        raise DomainError(_("Write the remark."), code="empty")
    remark = Remark.objects.create(
        transaction=transaction, cycle=transaction.cycle, item=item, text=text.strip(), author=actor
    )
    audit_record(
        actor=actor,
        verb="remark_added",
        obj=transaction,
        data={"remark": remark.pk, "cycle": transaction.cycle, "text": remark.text[:500]},
    )
    return remark


@db_transaction.atomic
def remark_resolve(*, actor: User, remark: Remark) -> Remark:
    """The reviewer closes a remark the answer (or a new document) settled."""
    transaction = _lock(remark.transaction)
    _require_assigned_reviewer(actor, transaction)
    remark = Remark.objects.select_for_update().get(pk=remark.pk)
    if transaction.status != S.UNDER_REVIEW or remark.status != Remark.Status.OPEN:
        raise TransitionNotAllowed
    remark.status = Remark.Status.RESOLVED
    remark.resolved_at = timezone.now()
    remark.save(update_fields=["status", "resolved_at"])
    audit_record(actor=actor, verb="remark_resolved", obj=transaction, data={"remark": remark.pk})
    return remark


@db_transaction.atomic
def transaction_return_remarks(*, actor: User, transaction: Transaction) -> Transaction:
    """Return the transaction for correction with the open remarks; the customer's turn.

    Raises DomainError when there is no open remark to answer."""
    transaction = _lock(transaction)
    _require_assigned_reviewer(actor, transaction)
    open_remarks = list(transaction.remarks.filter(status=Remark.Status.OPEN))
    # A return always brings something new to read: an earlier remark sent back again comes
    # with a remark of this cycle saying why its answer was not enough.
    if not any(r.cycle == transaction.cycle for r in open_remarks):
        raise DomainError(
            _(
                "Write at least one remark in this review cycle first (if an earlier answer "
                "was not enough, say why)."
            ),
            code="no_remarks",
        )
    moved = _move(
        transaction,
        to=S.REMARKS_RETURNED,
        allowed_from=[S.UNDER_REVIEW],
        actor=actor,
        verb="returned_remarks",
        data={"cycle": transaction.cycle, "remarks": len(open_remarks)},
    )
    Remark.objects.filter(pk__in=[r.pk for r in open_remarks], returned_at__isnull=True).update(
        returned_at=timezone.now()
    )
    _notify_customer(
        moved, "transaction_remarks_returned", cycle=moved.cycle, count=len(open_remarks)
    )
    return moved


@db_transaction.atomic
def transaction_approve(*, actor: User, transaction: Transaction) -> Transaction:
    """Approve: the fee fixed at submission (if any) becomes due, otherwise the certificate
    may be issued. Raises DomainError while a remark is still open."""
    transaction = _lock(transaction)
    _require_assigned_reviewer(actor, transaction)
    if transaction.status == S.UNDER_REVIEW and selectors.has_open_remarks(transaction):
        raise DomainError(_("Resolve every open remark before approving."), code="open_remarks")
    # The fee copied at submission, not the service's fee today (it may have changed since).
    fee = transaction.fee_amount
    to = S.FEE_DUE if fee > 0 else S.APPROVED
    moved = _move(
        transaction,
        to=to,
        allowed_from=[S.UNDER_REVIEW],
        actor=actor,
        verb="approved",
        timestamp_field="decided_at",
        data={"fee": str(fee)},
    )
    if fee > 0:
        _notify_customer(moved, "transaction_fee_due", amount=str(fee))
    else:
        _notify_customer(moved, "transaction_approved")
    return moved


@db_transaction.atomic
def transaction_reject(*, actor: User, transaction: Transaction, reason: str) -> Transaction:
    """Refuse the application, with reasons the customer reads."""
    transaction = _lock(transaction)
    _require_assigned_reviewer(actor, transaction)
    if not reason.strip():
        raise DomainError(_("Give the reasons for the rejection."), code="no_reason")
    moved = _move(
        transaction,
        to=S.REJECTED,
        allowed_from=[S.UNDER_REVIEW],
        actor=actor,
        verb="rejected",
        timestamp_field="decided_at",
        changes={"rejection_reason": reason.strip()},
        data={"reason": reason.strip()},
    )
    _notify_customer(moved, "transaction_rejected", reason=reason.strip())
    return moved


def _may_finish(actor: User, transaction: Transaction) -> bool:
    return selectors.is_agent(actor) or selectors.is_team_reviewer(actor, transaction)


def _certificate_title(service_name: str, word: str) -> str:
    """ "Certificate: <service>", unless the service's name already says certificate."""
    if word.lower() in service_name.lower():
        return service_name
    return f"{word}: {service_name}"


@db_transaction.atomic
def transaction_issue_certificate(*, actor: User, transaction: Transaction) -> Transaction:
    """Issue the certificate (an issued document with a QR verification code)."""
    transaction = _lock(transaction)
    _require(_may_finish(actor, transaction))
    moved = _move(
        transaction,
        to=S.ISSUED,
        allowed_from=[S.APPROVED, S.PAID],
        actor=actor,
        verb="certificate_issued",
    )
    number = reference_next(prefix="CRT")
    issued_on = timezone.localdate().isoformat()
    organization = moved.organization
    customer_name = moved.applicant.full_name
    fields = [
        [f.label_ar, f.label_en, str(moved.data.get(f.code, ""))]
        for f in moved.version.fields.all()
        if moved.data.get(f.code) not in (None, "")
    ]
    document_issue(
        actor=actor,
        kind="transaction_certificate",
        reference=number,
        owner=moved.applicant,
        subject=moved,
        title_ar=_certificate_title(moved.service.name_ar, "شهادة"),
        title_en=_certificate_title(moved.service.name_en, "Certificate"),
        template="transactions/pdf/certificate.html",
        snapshot={
            **_names(moved),
            "certificate_number": number,
            "customer": customer_name,
            "organization_ar": organization.name_ar if organization else "",
            "organization_en": organization.name_en if organization else "",
            "fields": fields,
            "issued_on": issued_on,
            "approved_on": timezone.localtime(moved.decided_at).date().isoformat()
            if moved.decided_at
            else issued_on,
            "fee": str(moved.fee_amount),
            "issued_by": actor.full_name,
        },
        public_summary={
            "rows": [
                ["رقم المعاملة", "Transaction", moved.reference],
                ["الخدمة", "Service", f"{moved.service.name_ar} / {moved.service.name_en}"],
                ["صاحب الطلب", "Customer", customer_name],
            ]
        },
    )
    _notify_customer(moved, "transaction_certificate_issued", certificate_number=number)
    return moved


@db_transaction.atomic
def transaction_close(*, actor: User, transaction: Transaction) -> Transaction:
    """File the transaction away once its certificate is issued."""
    transaction = _lock(transaction)
    _require(_may_finish(actor, transaction))
    return _move(
        transaction,
        to=S.CLOSED,
        allowed_from=[S.ISSUED],
        actor=actor,
        verb="closed",
        timestamp_field="closed_at",
    )
