"""The transaction page, for customers and staff, and its POST actions. Each POST validates one
form, calls one service and redirects back; a DomainError raised by a service becomes a message
(portal.middleware.DomainErrorMiddleware)."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.roles import is_staff_member, staff_names_visible_to
from portal.decorators import post_only
from portal.models import AuditEvent
from portal.templatetags.portal_format import money
from transactions import selectors, services
from transactions.forms import (
    AssignForm,
    DocumentUploadForm,
    FeePaymentForm,
    OptionalReasonForm,
    ReasonForm,
    RemarkAnswerForm,
    RemarkForm,
    ReturnIncompleteForm,
)
from transactions.models import FeePayment, Remark, Transaction
from transactions.views._common import (
    S,
    _bilingual,
    _get_transaction_for_user,
)

# --- the detail page -----------------------------------------------------------------------------

VERB_LABELS = {
    "created": gettext_lazy("Application started"),
    "updated": gettext_lazy("Application changed"),
    "document_uploaded": gettext_lazy("Document uploaded"),
    "submitted": gettext_lazy("Submitted"),
    "resubmitted": gettext_lazy("Resubmitted"),
    "withdrawn": gettext_lazy("Withdrawn"),
    "claimed": gettext_lazy("Taken up"),
    "assigned": gettext_lazy("Assigned"),
    "returned_incomplete": gettext_lazy("Returned as incomplete"),
    "accepted_complete": gettext_lazy("Accepted as complete"),
    "remark_added": gettext_lazy("Remark written"),
    "remark_answered": gettext_lazy("Remark answered"),
    "remark_resolved": gettext_lazy("Remark resolved"),
    "returned_remarks": gettext_lazy("Returned with remarks"),
    "approved": gettext_lazy("Approved"),
    "rejected": gettext_lazy("Rejected"),
    "payment_submitted": gettext_lazy("Payment declared"),
    "payment_confirmed": gettext_lazy("Payment confirmed"),
    "payment_refused": gettext_lazy("Payment not confirmed"),
    "certificate_issued": gettext_lazy("Certificate issued"),
    "closed": gettext_lazy("Closed"),
    "expiry_warned": gettext_lazy("Expiry warning sent"),
    "expired": gettext_lazy("Expired"),
}


@dataclass
class TimelineEntry:
    event: AuditEvent
    label: str
    actor: str
    details: list[tuple[str, str]]


def _event_details(event: AuditEvent) -> list[tuple[str, str]]:
    data = event.data or {}
    details: list[tuple[str, str]] = []
    if event.to_status in S.values and event.from_status != event.to_status:
        details.append((_("Status"), S(event.to_status).label))
    if data.get("reference"):
        details.append((_("Reference"), data["reference"]))
    item = _bilingual(data, "item")
    if item:
        details.append(
            (
                _("Document"),
                _("%(item)s (version %(n)s)") % {"item": item, "n": data["version"]}
                if data.get("version")
                else item,
            )
        )
    items = _bilingual(data, "items")
    if items:
        details.append((_("Missing documents"), pgettext("list separator", ", ").join(items)))
    if data.get("meeting"):
        details.append((_("Meeting"), data["meeting"]))
    if data.get("starts"):
        details.append((_("Time (Dubai)"), data["starts"]))
    if data.get("note"):
        label = {"meeting_booked": _("Agenda"), "meeting_held": _("Follow-up actions")}
        details.append((label.get(event.verb, _("Note")), data["note"]))
    if data.get("text"):
        details.append((_("Minutes") if event.verb == "meeting_held" else _("Text"), data["text"]))
    if data.get("reason"):
        details.append((_("Reason"), data["reason"]))
    if data.get("assignee"):
        details.append((_("Assigned to"), data["assignee"]))
    if data.get("amount"):
        details.append((_("Amount"), _("%(amount)s AED") % {"amount": money(data["amount"])}))
    if event.verb in ("accepted_complete", "resubmitted", "returned_remarks") and data.get("cycle"):
        details.append((_("Review cycle"), str(data["cycle"])))
    return details


def _timeline(transaction: Transaction, *, user) -> list[TimelineEntry]:
    entries = []
    for event in selectors.transaction_timeline(transaction=transaction, user=user)[::-1]:
        actor = event.actor
        if actor is None:
            name = _("The system")
        elif selectors.person_name_visible(viewer=user, person=actor, transaction=transaction):
            name = actor.full_name or actor.email
        else:
            # Customers see the department, not the personal names of its staff.
            name = _("The department")
        entries.append(
            TimelineEntry(
                event=event,
                label=VERB_LABELS.get(event.verb)
                or _bilingual(event.data or {}, "label")
                or event.verb,
                actor=name,
                details=_event_details(event),
            )
        )
    return entries


# The forms of the page, by action: (context name, prefix, form factory).
FormFactory = Callable[..., forms.Form]
ACTION_FORMS: dict[str, tuple[str, FormFactory]] = {
    "upload": (
        "upload_form",
        # After an incomplete return, the first missing document is already chosen.
        lambda t, **kw: DocumentUploadForm(
            transaction=t,
            initial={"item": next(iter(t.missing_items.all()), None)},
            **kw,
        ),
    ),
    "withdraw": ("withdraw_form", lambda t, **kw: OptionalReasonForm(**kw)),
    "assign": (
        "assign_form",
        lambda t, **kw: AssignForm(
            assignees=selectors.eligible_assignees(transaction=t).order_by("full_name"), **kw
        ),
    ),
    "return-incomplete": (
        "return_form",
        lambda t, **kw: ReturnIncompleteForm(transaction=t, **kw),
    ),
    "remark": ("remark_form", lambda t, **kw: RemarkForm(transaction=t, **kw)),
    "reject": ("reject_form", lambda t, **kw: ReasonForm(**kw)),
    "pay": ("payment_form", lambda t, **kw: FeePaymentForm(**kw)),
    "refuse": ("refuse_form", lambda t, **kw: ReasonForm(**kw)),
}


def _action_form(action: str, t: Transaction, request: HttpRequest | None = None) -> forms.Form:
    _name, factory = ACTION_FORMS[action]
    kwargs: dict = {"prefix": action}
    if request is not None:
        kwargs.update(data=request.POST, files=request.FILES)
    return factory(t, **kwargs)


def _answer_form(remark: Remark, request: HttpRequest | None = None) -> RemarkAnswerForm:
    kwargs: dict = {"prefix": f"answer-{remark.pk}"}
    if request is not None:
        kwargs.update(data=request.POST, files=request.FILES)
    return RemarkAnswerForm(**kwargs)


def _render_detail(
    request: HttpRequest,
    transaction: Transaction,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    t = transaction
    staff = is_staff_member(user)
    allowed = selectors.allowed_actions(user=user, transaction=t)
    bound = bound or {}

    documents = selectors.current_documents(t)
    missing = {item.pk for item in t.missing_items.all()}
    checklist = [
        {"item": item, "versions": documents.get(item.pk, []), "missing": item.pk in missing}
        for item in t.version.checklist.all()
    ]

    remarks = selectors.remarks_visible_to(user=user, transaction=t)
    cycles: dict[int, list[Remark]] = {}
    for remark in sorted(remarks, key=lambda r: -r.cycle):
        if "answer" in allowed and remark.status == Remark.Status.OPEN:
            remark.answer_form = bound.get(f"answer-{remark.pk}") or _answer_form(remark)
        cycles.setdefault(remark.cycle, []).append(remark)

    context = {
        "transaction": t,
        "allowed": allowed,
        "show_actions": bool(allowed - {"edit", "upload", "answer", "resolve", "refuse"}),
        "is_party": selectors.is_customer_party(user, t),
        "viewer_is_staff": staff,
        "staff_names": staff_names_visible_to(user),
        "fields": [(f.label, t.data.get(f.code, "")) for f in t.version.fields.all()],
        "checklist": checklist,
        "missing_items": [row["item"] for row in checklist if row["missing"]],
        "remark_cycles": sorted(cycles.items(), key=lambda pair: -pair[0]),
        "payments": list(t.payments.all()),
        "issued": list(selectors.transaction_documents_issued(transaction=t)),
        "timeline": _timeline(t, user=user),
        "invalid": bool(bound),
        "fee_bank": {"name": settings.FEE_BANK_ACCOUNT_NAME, "iban": settings.FEE_BANK_IBAN},
    }
    for action, (name, _factory) in ACTION_FORMS.items():
        if action in allowed:
            context[name] = bound.get(action) or _action_form(action, t)
    return render(request, "transactions/detail.html", context, status=status)


@login_required
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_transaction_for_user(request, pk))


def _done(request: HttpRequest, t: Transaction, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("transactions:detail", pk=t.pk)


def _invalid(request: HttpRequest, t: Transaction, key: str, form: forms.Form) -> HttpResponse:
    """Show the page again with the form's errors; nothing was changed."""
    return _render_detail(request, t, bound={key: form}, status=400)


@post_only("transactions:detail")
@login_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    t = _get_transaction_for_user(request, pk)
    form = _action_form("upload", t, request)
    if form.is_valid():
        try:
            document = services.transaction_document_upload(
                actor=request.user,
                transaction=t,
                item=form.cleaned_data["item"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return _done(
                request,
                t,
                _("%(document)s uploaded (version %(number)s).")
                % {"document": document.item.name, "number": document.number},
            )
    return _invalid(request, t, "upload", form)


# Each action: the service call, given the request, the transaction and its cleaned form (or
# None), returning the success message.
def _submit(request, t, form):
    moved = services.transaction_submit(actor=request.user, transaction=t)
    return _("Your application has been submitted. Its reference is %(reference)s.") % {
        "reference": moved.reference
    }


def _resubmit(request, t, form):
    services.transaction_resubmit(actor=request.user, transaction=t)
    return _("Your application has been sent back to the department.")


def _withdraw(request, t, form):
    services.transaction_withdraw(
        actor=request.user, transaction=t, reason=form.cleaned_data["reason"]
    )
    return _("The application has been withdrawn.")


def _claim(request, t, form):
    services.transaction_claim(actor=request.user, transaction=t)
    return _("The transaction is now assigned to you.")


def _assign(request, t, form):
    assignee = form.cleaned_data["assignee"]
    services.transaction_assign(actor=request.user, transaction=t, assignee=assignee)
    return _("The transaction has been assigned to %(name)s.") % {"name": assignee.full_name}


def _return_incomplete(request, t, form):
    services.transaction_return_incomplete(
        actor=request.user,
        transaction=t,
        missing_items=form.cleaned_data["items"],
        note=form.cleaned_data["note"],
    )
    return _("The application has been returned to the customer as incomplete.")


def _accept(request, t, form):
    services.transaction_accept_complete(actor=request.user, transaction=t)
    return _("The application is complete and has been sent for technical review.")


def _remark(request, t, form):
    services.remark_add(
        actor=request.user,
        transaction=t,
        text=form.cleaned_data["text"],
        item=form.cleaned_data["item"],
    )
    return _("The remark has been added.")


def _return_remarks(request, t, form):
    services.transaction_return_remarks(actor=request.user, transaction=t)
    return _("The application has been returned to the customer with the remarks.")


def _approve(request, t, form):
    moved = services.transaction_approve(actor=request.user, transaction=t)
    if moved.status == S.FEE_DUE:
        return _("The application has been approved; the fee is now due.")
    return _("The application has been approved.")


def _reject(request, t, form):
    services.transaction_reject(
        actor=request.user, transaction=t, reason=form.cleaned_data["reason"]
    )
    return _("The application has been rejected.")


def _pay(request, t, form):
    payment = services.fee_payment_submit(
        actor=request.user,
        transaction=t,
        method=form.cleaned_data["method"],
        payer_reference=form.cleaned_data["payer_reference"],
        proof=form.cleaned_data["proof"],
    )
    payment.refresh_from_db(fields=["status"])
    if payment.status == FeePayment.Status.CONFIRMED:
        return _("Your payment has been confirmed.")
    return _("Thank you. The department will confirm your payment.")


def _issue_certificate(request, t, form):
    services.transaction_issue_certificate(actor=request.user, transaction=t)
    return _("The certificate has been issued; its PDF is being prepared.")


def _close(request, t, form):
    services.transaction_close(actor=request.user, transaction=t)
    return _("The transaction has been closed.")


ACTIONS: dict[str, Callable[[HttpRequest, Transaction, forms.Form | None], str]] = {
    "submit": _submit,
    "resubmit": _resubmit,
    "withdraw": _withdraw,
    "claim": _claim,
    "assign": _assign,
    "return-incomplete": _return_incomplete,
    "accept": _accept,
    "remark": _remark,
    "return-remarks": _return_remarks,
    "approve": _approve,
    "reject": _reject,
    "pay": _pay,
    "issue-certificate": _issue_certificate,
    "close": _close,
}


@post_only("transactions:detail")
@login_required
def transaction_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    t = _get_transaction_for_user(request, pk)
    form = None
    if action in ACTION_FORMS:
        form = _action_form(action, t, request)
        if not form.is_valid():
            return _invalid(request, t, action, form)
    try:
        message = handler(request, t, form)
    except ValidationError as error:
        # A file the service refused (the form checks most of them first).
        if form is None:
            raise
        form.add_error(None, error)
        return _invalid(request, t, action, form)
    return _done(request, t, message)


def _get_remark(t: Transaction, remark_pk: int) -> Remark:
    for remark in t.remarks.all():
        if remark.pk == remark_pk:
            remark.transaction = t
            return remark
    raise Http404


@post_only("transactions:detail")
@login_required
def remark_action(request: HttpRequest, pk: int, remark_pk: int, action: str) -> HttpResponse:
    if action not in ("answer", "resolve"):
        raise Http404
    t = _get_transaction_for_user(request, pk)
    remark = _get_remark(t, remark_pk)
    if action == "resolve":
        services.remark_resolve(actor=request.user, remark=remark)
        return _done(request, t, _("The remark has been marked as resolved."))
    form = _answer_form(remark, request)
    if form.is_valid():
        try:
            services.remark_answer(
                actor=request.user,
                remark=remark,
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return _done(request, t, _("Your answer has been saved."))
    return _invalid(request, t, f"answer-{remark.pk}", form)


@post_only("transactions:detail")
@login_required
def payment_action(request: HttpRequest, pk: int, payment_pk: int, action: str) -> HttpResponse:
    if action not in ("confirm", "refuse"):
        raise Http404
    t = _get_transaction_for_user(request, pk)
    payment = next((p for p in t.payments.all() if p.pk == payment_pk), None)
    if payment is None:
        raise Http404
    if action == "confirm":
        services.fee_payment_confirm(actor=request.user, payment=payment)
        return _done(request, t, _("The payment has been confirmed."))
    form = _action_form("refuse", t, request)
    if not form.is_valid():
        return _invalid(request, t, "refuse", form)
    services.fee_payment_refuse(
        actor=request.user, payment=payment, note=form.cleaned_data["reason"]
    )
    return _done(request, t, _("The payment has been refused; the fee is due again."))
