"""The contracts engineer's pages: the dashboard by status (bid counts only before the opening),
the draft (its fields, criteria, bill of quantities, documents and committee) and the
clarification inbox; and the staff home's tenders panel."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.decorators import staff_required
from accounts.roles import Role
from portal.decorators import post_only
from portal.pagination import CappedPaginator
from tenders import selectors
from tenders.forms import (
    BoqItemForm,
    CommitteeMemberForm,
    CriterionForm,
    DocumentForm,
    TenderForm,
)
from tenders.models import BoqItem, CommitteeMember, Criterion, TenderDocument
from tenders.services import committee, lifecycle
from tenders.views import _reads as reads
from tenders.views._common import PAGE_SIZE, S, done, tender_for

STAFF_ROLES = (Role.CONTRACTS_ENGINEER, Role.TENDER_COMMITTEE)


class DashboardFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses")), *S.choices],
        required=False,
    )


@staff_required(*STAFF_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = CappedPaginator(
        reads.staff_tenders(user=request.user, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    counts = reads.status_counts(user=request.user)
    return render(
        request,
        "tenders/dashboard.html",
        {
            "page": page,
            "form": form,
            "status": status,
            "query": urlencode({"status": status}),
            "by_status": [
                {"status": value, "label": label, "count": counts[value]}
                for value, label in S.choices
                if counts.get(value)
            ],
            "can_create": selectors.is_contracts_engineer(request.user),
        },
    )


# --- the draft -----------------------------------------------------------------------------------


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            form.add_error(name if name in form.fields else None, texts)
    else:
        form.add_error(None, error)


@staff_required(Role.CONTRACTS_ENGINEER)
def tender_new(request: HttpRequest) -> HttpResponse:
    form = TenderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tender = lifecycle.tender_create(actor=request.user, **form.values())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "The draft %(reference)s has been saved. Add its criteria, bill of "
                    "quantities, documents and committee, then publish it."
                )
                % {"reference": tender.reference},
            )
            return redirect("tenders:edit", pk=tender.pk)
    return render(
        request,
        "tenders/tender_form.html",
        {"form": form, "tender": None},
        status=400 if form.is_bound and form.errors else 200,
    )


def _part_forms(tender, bound: dict | None = None) -> dict[str, forms.Form]:
    bound = bound or {}
    return {
        "criterion_form": bound.get("criterion") or CriterionForm(prefix="criterion"),
        "boq_form": bound.get("boq") or BoqItemForm(prefix="boq"),
        "document_form": bound.get("document") or DocumentForm(prefix="document"),
        "committee_form": bound.get("committee")
        or CommitteeMemberForm(prefix="committee", candidates=_committee_candidates(tender)),
    }


def _committee_candidates(tender):
    chosen = tender.committee.values("user_id")
    return (
        get_user_model()
        .objects.filter(groups__name=Role.TENDER_COMMITTEE, is_active=True)
        .exclude(pk__in=chosen)
        .order_by("full_name")
    )


def _render_edit(request, tender, *, form=None, bound=None, status=200) -> HttpResponse:
    allowed = selectors.allowed_actions(user=request.user, tender=tender)
    context = {
        "tender": tender,
        "allowed": allowed,
        "form": form or TenderForm(initial=TenderForm.initial_for(tender)),
        "criteria": list(tender.criteria.all()),
        "weights": sum((c.weight for c in tender.criteria.all()), start=0),
        "boq_items": list(tender.boq_items.all()),
        "documents": reads.documents_by_kind(tender=tender),
        "committee_members": reads.committee(tender=tender),
        **_part_forms(tender, bound),
    }
    return render(request, "tenders/tender_edit.html", context, status=status)


def _editable(request: HttpRequest, pk: int):
    tender = tender_for(request, pk)
    if "edit" not in selectors.allowed_actions(user=request.user, tender=tender):
        messages.error(request, _("Only a draft can be changed; issue an addendum instead."))
        return tender, redirect("tenders:detail", pk=tender.pk)
    return tender, None


@staff_required(Role.CONTRACTS_ENGINEER)
def tender_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tender, refused = _editable(request, pk)
    if refused:
        return refused
    if request.method != "POST":
        return _render_edit(request, tender)
    form = TenderForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.tender_update(actor=request.user, tender=tender, **form.values())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            return done(request, tender, _("The draft has been saved."), to="tenders:edit")
    return _render_edit(request, tender, form=form, status=400)


# Each part of the draft: (form class and its kwargs, the service adding it).
def _add_criterion(request, t, data):
    lifecycle.criterion_add(actor=request.user, tender=t, **data)
    return _("The criterion has been added.")


def _add_boq(request, t, data):
    lifecycle.boq_item_add(actor=request.user, tender=t, **data)
    return _("The bill of quantities line has been added.")


def _add_document(request, t, data):
    document = lifecycle.tender_document_add(
        actor=request.user,
        tender=t,
        kind=data["kind"],
        title_ar=data["title_ar"],
        title_en=data["title_en"],
        upload=data["file"],
    )
    return _("The document has been added (version %(n)s).") % {"n": document.version}


def _add_member(request, t, data):
    committee.committee_member_add(actor=request.user, tender=t, user=data["user"])
    return _("The committee member has been added.")


PARTS: dict[str, tuple[Callable, Callable]] = {
    "criterion": (lambda t, **kw: CriterionForm(**kw), _add_criterion),
    "boq": (lambda t, **kw: BoqItemForm(**kw), _add_boq),
    "document": (lambda t, **kw: DocumentForm(**kw), _add_document),
    "committee": (
        lambda t, **kw: CommitteeMemberForm(candidates=_committee_candidates(t), **kw),
        _add_member,
    ),
}


@post_only("tenders:edit")
@staff_required(Role.CONTRACTS_ENGINEER)
def draft_add(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    if part not in PARTS:
        raise Http404
    tender, refused = _editable(request, pk)
    if refused:
        return refused
    factory, handler = PARTS[part]
    form = factory(tender, data=request.POST, files=request.FILES, prefix=part)
    if form.is_valid():
        try:
            message = handler(request, tender, form.cleaned_data)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            return done(request, tender, message, to="tenders:edit")
    return _render_edit(request, tender, bound={part: form}, status=400)


REMOVABLE = {
    "criterion": (Criterion, lambda u, row: lifecycle.criterion_remove(actor=u, criterion=row)),
    "boq": (BoqItem, lambda u, row: lifecycle.boq_item_remove(actor=u, item=row)),
    "document": (
        TenderDocument,
        lambda u, row: lifecycle.tender_document_remove(actor=u, document=row),
    ),
    "committee": (
        CommitteeMember,
        lambda u, row: committee.committee_member_remove(actor=u, member=row),
    ),
}


@post_only("tenders:edit")
@staff_required(Role.CONTRACTS_ENGINEER)
def draft_remove(request: HttpRequest, pk: int, part: str, item: int) -> HttpResponse:
    if part not in REMOVABLE:
        raise Http404
    tender, refused = _editable(request, pk)
    if refused:
        return refused
    model, remove = REMOVABLE[part]
    remove(request.user, reads.get_in(model, tender=tender, pk=item))
    return done(request, tender, _("Removed from the draft."), to="tenders:edit")


# --- the clarification inbox ---------------------------------------------------------------------


@staff_required(Role.CONTRACTS_ENGINEER)
def clarification_inbox(request: HttpRequest) -> HttpResponse:
    page = CappedPaginator(reads.clarification_inbox(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "tenders/inbox.html", {"page": page, "query": ""})


# --- the staff home's panel ----------------------------------------------------------------------


def staff_panel(*, user) -> dict | None:
    """Tenders waiting on this contracts engineer or committee member (registered by
    tenders.apps on the staff home)."""
    if not selectors.is_tender_staff(user):
        return None
    return reads.waiting_on(user=user)
