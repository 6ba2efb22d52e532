"""The tender page, for suppliers, contracts engineers and committee members, and its POST
actions. What it offers comes only from selectors.allowed_actions; each POST validates one
form, calls one service and redirects back (a DomainError becomes a message,
portal.middleware.DomainErrorMiddleware)."""

from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.decorators import post_only
from tenders import selectors
from tenders.forms import (
    AddendumForm,
    AnswerForm,
    ContractForm,
    ObjectionForm,
    QuestionForm,
    ReasonForm,
    ReplaceMemberForm,
)
from tenders.models import Clarification, Objection, Tender
from tenders.services import addenda, award, bids, clarifications, lifecycle, opening
from tenders.views import _reads as reads
from tenders.views._common import S, done, is_committee, is_contracts_engineer, tender_for

# The forms of the page, by action: (context name, factory).
ACTION_FORMS: dict[str, tuple[str, Callable[..., forms.Form]]] = {
    "ask": ("question_form", lambda t, **kw: QuestionForm(**kw)),
    "cancel": ("cancel_form", lambda t, **kw: ReasonForm(**kw)),
    "addendum": ("addendum_form", lambda t, **kw: AddendumForm(**kw)),
    "object": ("objection_form", lambda t, **kw: ObjectionForm(**kw)),
    "replace-member": (
        "replace_form",
        lambda t, **kw: ReplaceMemberForm(
            members=reads.committee_users(tender=t),
            candidates=reads.committee_candidates(tender=t),
            **kw,
        ),
    ),
    "sign-contract": (
        "contract_form",
        lambda t, **kw: ContractForm(
            initial={"value": getattr(getattr(t, "award", None), "amount", None)}, **kw
        ),
    ),
}


def _action_form(action: str, tender: Tender, request: HttpRequest | None = None) -> forms.Form:
    _name, factory = ACTION_FORMS[action]
    kwargs: dict = {"prefix": action}
    if request is not None:
        kwargs.update(data=request.POST, files=request.FILES)
    return factory(tender, **kwargs)


def render_detail(
    request: HttpRequest,
    tender: Tender,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    t = tender
    bound = bound or {}
    allowed = selectors.allowed_actions(user=user, tender=t)
    engineer = is_contracts_engineer(user)
    committee = is_committee(user)
    staff = engineer or committee or user.is_superuser
    context = {
        "tender": t,
        "allowed": allowed,
        "viewer_is_staff": staff,
        "is_engineer": engineer,
        "is_committee": committee,
        "documents": reads.documents_by_kind(tender=t),
        "clarifications": reads.clarifications_published(tender=t),
        "addenda": list(t.addenda.all()),
        "criteria": list(t.criteria.all()),
        "boq_items": list(t.boq_items.all()),
        "invalid": bool(bound),
    }
    if staff:
        context["bid_count"] = reads.bid_count(tender=t)
        context["committee_members"] = reads.committee(tender=t)
        if "answer" in allowed:
            context["inbox"] = reads.clarifications_unanswered(tender=t)
            for question in context["inbox"]:
                question.answer_form = bound.get(f"answer-{question.pk}") or AnswerForm(
                    prefix=f"answer-{question.pk}"
                )
        # Amounts and bidders exist in clear only after the opening (tenders.services.opening).
        if t.is_opened:
            context["bids"] = reads.bids_opened(tender=t)
        context["objections"] = reads.objections(tender=t)
        for objection in context["objections"]:
            if "answer-objection" in allowed and not objection.answered_at:
                objection.answer_form = bound.get(f"objection-{objection.pk}") or AnswerForm(
                    prefix=f"objection-{objection.pk}"
                )
    else:
        organization = user.organization
        context["my_bid"] = reads.bid_of(tender=t, organization=organization)
        context["my_documents"] = reads.documents_for_bidder(tender=t, organization=organization)
        context["my_objections"] = reads.objections(tender=t, organization=organization)
    if t.status in (S.AWARDED, S.CONTRACTED):
        context["award"] = reads.award_of(tender=t)
    context["minutes"] = reads.opening_minutes(tender=t) if t.is_opened else None
    for action, (name, _factory) in ACTION_FORMS.items():
        if action in allowed:
            context[name] = bound.get(action) or _action_form(action, t)
    return render(request, "tenders/detail.html", context, status=status)


@login_required
def tender_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, tender_for(request, pk))


# --- actions -------------------------------------------------------------------------------------
# Each handler: (request, tender, cleaned form or None) -> the success message.


def _ask(request, t, form):
    clarifications.clarification_ask(
        actor=request.user, tender=t, question=form.cleaned_data["question"]
    )
    return _("Your question has been sent. Its answer will be published to every bidder.")


def _withdraw_bid(request, t, form):
    bids.bid_withdraw(actor=request.user, bid=reads.own_bid_or_404(tender=t, user=request.user))
    return _("Your bid has been withdrawn. You may submit a new one until the deadline.")


def _reconfirm_bid(request, t, form):
    bids.bid_reconfirm(actor=request.user, bid=reads.own_bid_or_404(tender=t, user=request.user))
    return _("Your bid stands, with the addenda issued since you submitted it.")


def _object(request, t, form):
    award.objection_lodge(actor=request.user, tender=t, text=form.cleaned_data["text"])
    return _("Your objection has been lodged. The tender committee will answer it.")


def _publish(request, t, form):
    lifecycle.tender_publish(actor=request.user, tender=t)
    return _("The tender has been published; eligible suppliers are being told.")


def _cancel(request, t, form):
    lifecycle.tender_cancel(actor=request.user, tender=t, reason=form.cleaned_data["reason"])
    return _("The tender has been cancelled; bidders are being told.")


def _addendum(request, t, form):
    issued = addenda.addendum_issue(
        actor=request.user,
        tender=t,
        description_ar=form.cleaned_data["description_ar"],
        description_en=form.cleaned_data["description_en"],
        new_submission_deadline=form.cleaned_data["new_submission_deadline"],
        documents=form.documents(),
    )
    if issued.extended:
        return _("Addendum %(n)s has been issued; the bid deadline moved to allow enough time.") % {
            "n": issued.number
        }
    return _("Addendum %(n)s has been issued.") % {"n": issued.number}


def _award(request, t, form):
    award.award_make(actor=request.user, tender=t)
    return _("The tender has been awarded; the letters are being issued and the standstill runs.")


def _sign_contract(request, t, form):
    award.contract_sign(
        actor=request.user,
        tender=t,
        signed_on=form.cleaned_data["signed_on"],
        value=form.cleaned_data["value"],
    )
    return _("The contract has been recorded.")


def _replace_member(request, t, form):
    opening.committee_member_replace(
        actor=request.user,
        tender=t,
        old_user=form.cleaned_data["old_user"],
        new_user=form.cleaned_data["new_user"],
        approvals=form.approvals(),
    )
    return _("The committee member has been replaced; the tender's key is split anew.")


ACTIONS: dict[str, Callable] = {
    "ask": _ask,
    "withdraw-bid": _withdraw_bid,
    "reconfirm-bid": _reconfirm_bid,
    "object": _object,
    "publish": _publish,
    "cancel": _cancel,
    "addendum": _addendum,
    "award": _award,
    "sign-contract": _sign_contract,
    "replace-member": _replace_member,
}


@post_only("tenders:detail")
@login_required
def tender_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    t = tender_for(request, pk)
    form = None
    if action in ACTION_FORMS:
        form = _action_form(action, t, request)
        if not form.is_valid():
            return render_detail(request, t, bound={action: form}, status=400)
    try:
        message = handler(request, t, form)
    except ValidationError as error:
        if form is None:
            raise
        form.add_error(None, error)
        return render_detail(request, t, bound={action: form}, status=400)
    return done(request, t, message)


@post_only("tenders:detail")
@login_required
def clarification_answer(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    t = tender_for(request, pk)
    question = reads.get_in(Clarification, tender=t, pk=item)
    form = AnswerForm(request.POST, prefix=f"answer-{question.pk}")
    if not form.is_valid():
        return render_detail(request, t, bound={f"answer-{question.pk}": form}, status=400)
    clarifications.clarification_answer_publish(
        actor=request.user, clarification=question, answer=form.cleaned_data["answer"]
    )
    return done(request, t, _("The answer has been published to every eligible supplier."))


@post_only("tenders:detail")
@login_required
def objection_answer(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    t = tender_for(request, pk)
    objection = reads.get_in(Objection, tender=t, pk=item)
    form = AnswerForm(request.POST, prefix=f"objection-{objection.pk}")
    if not form.is_valid():
        return render_detail(request, t, bound={f"objection-{objection.pk}": form}, status=400)
    award.objection_answer(
        actor=request.user, objection=objection, answer=form.cleaned_data["answer"]
    )
    return done(request, t, _("The objection has been answered."))
