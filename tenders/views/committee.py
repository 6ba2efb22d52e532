"""The tender committee's pages: the member's opening passphrase, the opening ceremony and the
evaluation sheet (conflict declaration, compliance and scores per criterion per bid, ranking,
recommendation and approvals)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import staff_required
from accounts.roles import Role
from portal.decorators import post_only
from tenders import selectors
from tenders.forms import (
    ComplianceForm,
    ConflictForm,
    PassphraseForm,
    PassphraseSetForm,
    RecommendationForm,
    ScoreSheetForm,
)
from tenders.models import Bid, MemberKey, Tender
from tenders.services import committee, evaluation, opening
from tenders.views import _reads as reads
from tenders.views._common import done, tender_for

COMMITTEE = Role.TENDER_COMMITTEE


@staff_required(COMMITTEE)
def passphrase(request: HttpRequest) -> HttpResponse:
    """Set or change the member's opening passphrase (a new key pair: shares already sealed to
    the old key are re-sealed by the service, or the member is told what to do)."""
    has_key = MemberKey.objects.filter(user=request.user).exists()
    form = PassphraseSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            committee.member_key_set(actor=request.user, passphrase=form.cleaned_data["passphrase"])
        except ValidationError as error:
            form.add_error("passphrase", error)
        else:
            messages.success(request, _("Your opening passphrase has been set. Keep it safe."))
            return redirect("tenders:passphrase")
    return render(
        request,
        "tenders/passphrase.html",
        {"form": form, "has_key": has_key},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- the opening ---------------------------------------------------------------------------------


def _render_opening(request, tender: Tender, form=None, status=200) -> HttpResponse:
    allowed = selectors.allowed_actions(user=request.user, tender=tender)
    confirmed = reads.confirmations(tender=tender)
    return render(
        request,
        "tenders/opening.html",
        {
            "tender": tender,
            "allowed": allowed,
            "confirmations": confirmed,
            "confirmed_by_me": any(c.member.user_id == request.user.pk for c in confirmed),
            "form": form or (PassphraseForm() if "open" in allowed else None),
            "bid_count": reads.bid_count(tender=tender),
            "minutes": reads.opening_minutes(tender=tender) if tender.is_opened else None,
        },
        status=status,
    )


@staff_required(COMMITTEE, Role.CONTRACTS_ENGINEER)
def opening_page(request: HttpRequest, pk: int) -> HttpResponse:
    tender = tender_for(request, pk)
    if request.method != "POST":
        return _render_opening(request, tender)
    form = PassphraseForm(request.POST)
    if form.is_valid():
        try:
            opened = opening.tender_open_confirm(
                actor=request.user, tender=tender, passphrase=form.cleaned_data["passphrase"]
            )
        except ValidationError as error:
            form.add_error("passphrase", error)
        else:
            tender = tender_for(request, pk)
            if opened is not None and getattr(opened, "opened_at", None) or tender.is_opened:
                message = _("The bids have been opened; the opening minutes are being issued.")
            else:
                message = _(
                    "Your confirmation is recorded. The bids open when a second member confirms."
                )
            return done(request, tender, message, to="tenders:opening")
    return _render_opening(request, tender, form=form, status=400)


# --- the evaluation ------------------------------------------------------------------------------


def _render_evaluation(request, tender: Tender, *, bound=None, status=200) -> HttpResponse:
    bound = bound or {}
    allowed = selectors.allowed_actions(user=request.user, tender=tender)
    member = selectors.committee_member_of(user=request.user, tender=tender)
    criteria = list(tender.criteria.all())
    bids = reads.bids_for_evaluation(tender=tender)
    mine = reads.my_scores(tender=tender, member=member)
    for bid in bids:
        bid.my_scores = {c.pk: mine.get((bid.pk, c.pk)) for c in criteria}
        if "score" in allowed:
            bid.compliance_form = bound.get(f"compliance-{bid.pk}") or ComplianceForm(
                prefix=f"compliance-{bid.pk}",
                initial={
                    "compliant": {True: "yes", False: "no"}.get(bid.technically_compliant),
                    "reason": getattr(bid, "compliance_note", ""),
                },
            )
            bid.score_form = bound.get(f"scores-{bid.pk}") or ScoreSheetForm(
                prefix=f"scores-{bid.pk}",
                criteria=criteria,
                initial={f"score_{c.pk}": bid.my_scores[c.pk] for c in criteria},
            )
    ranked = [b for b in bids if b.rank is not None]
    context = {
        "tender": tender,
        "allowed": allowed,
        "member": member,
        "criteria": criteria,
        "bids": bids,
        "ranked": sorted(ranked, key=lambda b: b.rank),
        "declarations": reads.declarations(tender=tender),
        "recommendation": reads.recommendation(tender=tender),
        "conflict_form": bound.get("declare")
        or (ConflictForm(prefix="declare") if "declare" in allowed else None),
        "recommendation_form": bound.get("recommend")
        or (
            RecommendationForm(
                prefix="recommend",
                bids=Bid.objects.filter(pk__in=[b.pk for b in ranked]).select_related(
                    "organization"
                ),
                initial={"bid": ranked[0].pk if ranked else None},
            )
            if "recommend" in allowed
            else None
        ),
    }
    return render(request, "tenders/evaluation.html", context, status=status)


@staff_required(COMMITTEE, Role.CONTRACTS_ENGINEER)
def evaluation_page(request: HttpRequest, pk: int) -> HttpResponse:
    tender = tender_for(request, pk)
    if not tender.is_opened:
        messages.error(request, _("The evaluation starts after the opening."))
        return redirect("tenders:detail", pk=tender.pk)
    return _render_evaluation(request, tender)


def _back(request, tender, message):
    return done(request, tender, message, to="tenders:evaluation")


@post_only("tenders:evaluation")
@staff_required(COMMITTEE, Role.CONTRACTS_ENGINEER)
def evaluation_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    tender = tender_for(request, pk)
    if step == "declare":
        form = ConflictForm(request.POST, prefix="declare")
        if not form.is_valid():
            return _render_evaluation(request, tender, bound={"declare": form}, status=400)
        evaluation.conflict_declare(
            actor=request.user,
            tender=tender,
            no_conflict=form.cleaned_data["no_conflict"],
            note=form.cleaned_data["note"],
        )
        return _back(request, tender, _("Your declaration has been recorded."))
    if step == "complete-technical":
        evaluation.tender_technical_complete(actor=request.user, tender=tender)
        return _back(request, tender, _("The technical evaluation is complete; bids are ranked."))
    if step == "recommend":
        ranked = Bid.objects.filter(tender=tender, rank__isnull=False).select_related(
            "organization"
        )
        form = RecommendationForm(request.POST, prefix="recommend", bids=ranked)
        if not form.is_valid():
            return _render_evaluation(request, tender, bound={"recommend": form}, status=400)
        try:
            evaluation.recommendation_make(
                actor=request.user,
                tender=tender,
                bid=form.cleaned_data["bid"],
                justification=form.cleaned_data["justification"],
            )
        except ValidationError as error:
            form.add_error("justification", error)
            return _render_evaluation(request, tender, bound={"recommend": form}, status=400)
        return _back(request, tender, _("The recommendation has been made; it needs approvals."))
    if step == "approve":
        evaluation.recommendation_approve(actor=request.user, tender=tender)
        return _back(request, tender, _("Your approval has been recorded."))
    raise Http404


@post_only("tenders:evaluation")
@staff_required(COMMITTEE)
def bid_step(request: HttpRequest, pk: int, bid: int, step: str) -> HttpResponse:
    tender = tender_for(request, pk)
    row = reads.get_in(Bid, tender=tender, pk=bid)
    if step == "compliance":
        form = ComplianceForm(request.POST, prefix=f"compliance-{row.pk}")
        if not form.is_valid():
            return _render_evaluation(
                request, tender, bound={f"compliance-{row.pk}": form}, status=400
            )
        evaluation.technical_compliance_set(
            actor=request.user,
            bid=row,
            compliant=form.cleaned_data["compliant"],
            reason=form.cleaned_data["reason"],
        )
        return _back(request, tender, _("The compliance has been recorded."))
    if step == "scores":
        form = ScoreSheetForm(
            request.POST, prefix=f"scores-{row.pk}", criteria=list(tender.criteria.all())
        )
        if not form.is_valid():
            return _render_evaluation(request, tender, bound={f"scores-{row.pk}": form}, status=400)
        # The whole sheet or nothing (a refused score leaves none of the others stored).
        evaluation.technical_scores_set(actor=request.user, bid=row, scores=form.scores())
        return _back(request, tender, _("Your scores have been saved."))
    raise Http404
