"""Evaluation: conflict-of-interest declarations, technical compliance and scores, the end of the
technical evaluation with the financial ranking, the recommendation and its approvals.

Who: committee members of the tender (Role.TENDER_COMMITTEE and a CommitteeMember row) who
declared no conflict of interest. When: after the opening (opened → technical_evaluation on the
first compliance decision or score; → financial_evaluation when every compliant bid is fully
scored; → unsuccessful when no bid passes).

Errors: TransitionNotAllowed (409) when the tender's status does not allow the action,
PermissionDenied (403) when the actor is not on the tender's committee, DomainError (409) with
its own message for every other rule. Checks run status first, then who, then the rule.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal.audit import audit_record
from portal.errors import DomainError, TransitionNotAllowed
from portal.workflow import checks_passing, transition
from tenders import scoring
from tenders.models import (
    Bid,
    CommitteeMember,
    ConflictDeclaration,
    Criterion,
    Recommendation,
    RecommendationApproval,
    TechnicalScore,
    Tender,
)
from tenders.selectors import committee_member_of, is_committee_user
from tenders.services.lifecycle import lock, tender_mark_unsuccessful

T = Tender.Status
# Declarations are taken from the opening until the recommendation is approved: a member who
# joins the evaluation late declares before approving.
DECLARING = frozenset({T.OPENED, T.TECHNICAL_EVALUATION, T.FINANCIAL_EVALUATION})
SCORING = frozenset({T.OPENED, T.TECHNICAL_EVALUATION})
RECOMMENDING = frozenset({T.FINANCIAL_EVALUATION})


# Stored with the notification and rendered later in each bidder's language, so both.
NO_BID_PASSED = "لم يجتز أي عطاء التقييم الفني. / No bid passed the technical evaluation."


class EvaluationError(DomainError):
    code = "evaluation"


# --- who may evaluate (one rule, one place: the services and allowed_actions ask these) ---------
def _require_member(user: User, tender: Tender) -> CommitteeMember:
    """A member of this tender's committee who still holds the committee role."""
    member = committee_member_of(user=user, tender=tender) if is_committee_user(user) else None
    if member is None:
        raise PermissionDenied
    return member


def _require_status(tender: Tender, statuses) -> None:
    if tender.status not in statuses:
        raise TransitionNotAllowed


def _require_evaluator(user: User, tender: Tender) -> CommitteeMember:
    """A committee member who declared no conflict of interest in this tender."""
    member = _require_member(user, tender)
    declaration = ConflictDeclaration.objects.filter(tender_id=tender.pk, member=member).first()
    if declaration is None:
        raise EvaluationError(
            _("Declare first whether you have a conflict of interest with the bidders."),
            code="not_declared",
        )
    if not declaration.no_conflict:
        raise EvaluationError(
            _("You declared a conflict of interest in this tender, so you may not evaluate it."),
            code="conflicted",
        )
    return member


def check_declare(*, user: User, tender: Tender) -> CommitteeMember:
    """Raises unless the user may declare now (once per tender)."""
    _require_status(tender, DECLARING)
    member = _require_member(user, tender)
    if ConflictDeclaration.objects.filter(tender_id=tender.pk, member=member).exists():
        raise EvaluationError(
            _("You have already made your conflict of interest declaration for this tender."),
            code="already_declared",
        )
    return member


def check_score(*, user: User, tender: Tender) -> CommitteeMember:
    """Raises unless the user may decide compliance and score bids now."""
    _require_status(tender, SCORING)
    return _require_evaluator(user, tender)


def check_complete_technical(*, user: User, tender: Tender) -> tuple[list[Bid], dict]:
    """Raises unless the user may end the technical evaluation now: every live bid's compliance
    decided, every compliant bid scored on every criterion by TENDER_APPROVALS_REQUIRED
    evaluators. Returns the live bids and each compliant bid's technical score."""
    check_score(user=user, tender=tender)
    bids = list(_live_bids(tender))
    return bids, _technical_results(tender, bids)


def check_recommend(*, user: User, tender: Tender) -> CommitteeMember:
    """Raises unless the user may make (or replace) the recommendation now."""
    _require_status(tender, RECOMMENDING)
    member = _require_evaluator(user, tender)
    recommendation = Recommendation.objects.filter(tender_id=tender.pk).first()
    if recommendation is not None and recommendation.approvals.exists():
        raise EvaluationError(
            _("The recommendation has been approved by a member, so it can no longer change."),
            code="recommendation_approved",
        )
    return member


def check_approve(*, user: User, tender: Tender) -> tuple[CommitteeMember, Recommendation]:
    """Raises unless the user may approve the recommendation now (once per member)."""
    _require_status(tender, RECOMMENDING)
    member = _require_evaluator(user, tender)
    recommendation = Recommendation.objects.filter(tender_id=tender.pk).first()
    if recommendation is None:
        raise EvaluationError(
            _("There is no recommendation to approve yet."), code="no_recommendation"
        )
    if recommendation.approvals.filter(member=member).exists():
        raise EvaluationError(
            _("You have already approved this recommendation."), code="already_approved"
        )
    return member, recommendation


def evaluation_actions(*, user: User, tender: Tender) -> set[str]:
    """The evaluation actions the user may take on the tender now, by asking the services' own
    checks: "declare", "score", "complete-technical", "recommend", "approve"."""
    checks = {
        "declare": check_declare,
        "score": check_score,
        "complete-technical": check_complete_technical,
        "recommend": check_recommend,
        "approve": check_approve,
    }
    return checks_passing(checks, user=user, tender=tender)


# --- helpers --------------------------------------------------------------------------------------
def _live_bids(tender: Tender):
    return Bid.objects.filter(tender_id=tender.pk, status=Bid.Status.SUBMITTED).select_related(
        "organization"
    )


def _start_technical(tender: Tender, actor: User) -> Tender:
    """The first decision or score after the opening starts the technical evaluation."""
    if tender.status == T.OPENED:
        return transition(
            obj=tender,
            to=T.TECHNICAL_EVALUATION,
            allowed_from=[T.OPENED],
            actor=actor,
            verb="technical_evaluation_started",
        )
    return tender


def _live_bid_of(tender: Tender, bid: Bid) -> Bid:
    bid = Bid.objects.select_for_update().get(pk=bid.pk)
    if bid.tender_id != tender.pk:
        raise EvaluationError(_("This bid belongs to another tender."), code="other_tender")
    if bid.status != Bid.Status.SUBMITTED:
        raise EvaluationError(_("This bid was withdrawn; it is not evaluated."), code="withdrawn")
    return bid


def _parse_score(score) -> Decimal:
    try:
        value = Decimal(str(score).strip())
    except (InvalidOperation, ValueError):
        value = None
    if (
        value is None
        or not value.is_finite()
        or not 0 <= value <= 100
        or value != value.quantize(scoring.SCORE_PLACES)
    ):
        raise EvaluationError(
            _("A score is a number from 0 to 100 with at most two decimals."), code="bad_score"
        )
    return value.quantize(scoring.SCORE_PLACES)


def _organization_names(bids) -> str:
    comma = "، " if (get_language() or "ar").startswith("ar") else ", "
    return comma.join(bid.organization.name for bid in bids)


# --- services -----------------------------------------------------------------------------------
@db_transaction.atomic
def conflict_declare(
    *, actor: User, tender: Tender, no_conflict: bool, note: str = ""
) -> ConflictDeclaration:
    """Record the member's declaration, once, after the opening. A member who declares a
    conflict (with a note saying what it is) takes no further part in the evaluation."""
    tender = lock(tender)
    member = check_declare(user=actor, tender=tender)
    note = (note or "").strip()
    if not no_conflict and not note:
        raise EvaluationError(
            _("Describe the conflict of interest you are declaring."), code="note_required"
        )
    declaration = ConflictDeclaration.objects.create(
        tender=tender,
        member=member,
        declared_at=timezone.now(),
        no_conflict=bool(no_conflict),
        note=note,
    )
    audit_record(
        actor=actor,
        verb="conflict_declared",
        obj=tender,
        data={"member": actor.full_name, "no_conflict": bool(no_conflict), "note": note},
    )
    return declaration


@db_transaction.atomic
def technical_compliance_set(*, actor: User, bid: Bid, compliant: bool, reason: str = "") -> Bid:
    """Decide whether a bid meets the tender's mandatory technical requirements (a bid that does
    not is not scored); a bid found not compliant needs the reason. May be changed until the
    technical evaluation ends."""
    tender = lock(bid.tender)
    check_score(user=actor, tender=tender)
    bid = _live_bid_of(tender, bid)
    reason = (reason or "").strip()
    if not compliant and not reason:
        raise EvaluationError(
            _("Give the reason why the bid is not technically compliant."),
            code="reason_required",
        )
    _start_technical(tender, actor)
    bid.technically_compliant = bool(compliant)
    bid.compliance_note = "" if compliant else reason
    bid.save(update_fields=["technically_compliant", "compliance_note", "updated_at"])
    audit_record(
        actor=actor,
        verb="technical_compliance_set",
        obj=bid,
        data={"compliant": bool(compliant), "reason": "" if compliant else reason},
    )
    return bid


@db_transaction.atomic
def technical_score_set(
    *, actor: User, bid: Bid, criterion: Criterion, score, note: str = ""
) -> TechnicalScore:
    """Record (or correct) the actor's score, 0–100, of one bid on one criterion."""
    tender = lock(bid.tender)
    member = check_score(user=actor, tender=tender)
    bid = _live_bid_of(tender, bid)
    if criterion.tender_id != tender.pk:
        raise EvaluationError(
            _("This criterion belongs to another tender."), code="other_criterion"
        )
    if bid.technically_compliant is False:
        raise EvaluationError(
            _("This bid was found not technically compliant, so it is not scored."),
            code="not_compliant",
        )
    value = _parse_score(score)
    _start_technical(tender, actor)
    row, _created = TechnicalScore.objects.update_or_create(
        bid=bid,
        criterion=criterion,
        evaluator=member,
        defaults={"score": value, "note": (note or "").strip()},
    )
    audit_record(
        actor=actor,
        verb="technical_score_set",
        obj=bid,
        data={"criterion": criterion.name_en, "score": str(value), "evaluator": actor.full_name},
    )
    return row


@db_transaction.atomic
def technical_scores_set(
    *, actor: User, bid: Bid, scores: Iterable[tuple[Criterion, object]]
) -> list[TechnicalScore]:
    """A whole score sheet (criterion, score) of one bid by one evaluator: all stored, or none
    when one is refused (the errors of technical_score_set)."""
    return [
        technical_score_set(actor=actor, bid=bid, criterion=criterion, score=score)
        for criterion, score in scores
    ]


def _technical_results(tender: Tender, bids: list[Bid]) -> dict[int, Decimal]:
    """Each compliant bid's technical score; raises EvaluationError naming what is missing."""
    undecided = [bid for bid in bids if bid.technically_compliant is None]
    if undecided:
        raise EvaluationError(
            _("Decide first whether each bid is technically compliant: %(bidders)s.")
            % {"bidders": _organization_names(undecided)},
            code="compliance_undecided",
        )
    criteria = list(Criterion.objects.filter(tender_id=tender.pk))
    weights = {criterion.pk: criterion.weight for criterion in criteria}
    required = settings.TENDER_APPROVALS_REQUIRED
    compliant = [bid for bid in bids if bid.technically_compliant]
    scores: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    # Only members who declared no conflict could score (check_score), and a declaration is
    # made once, so every stored score counts.
    for row in TechnicalScore.objects.filter(bid__in=compliant).only(
        "bid_id", "criterion_id", "score"
    ):
        scores[row.bid_id][row.criterion_id].append(row.score)
    short = [
        bid
        for bid in compliant
        if any(len(scores[bid.pk][criterion.pk]) < required for criterion in criteria)
    ]
    if short:
        raise EvaluationError(
            ngettext_lazy(
                "Every criterion of every compliant bid needs a score from at least %(count)d "
                "evaluator; not yet: %(bidders)s.",
                "Every criterion of every compliant bid needs scores from at least %(count)d "
                "evaluators; not yet: %(bidders)s.",
                "count",
            )
            % {"count": required, "bidders": _organization_names(short)},
            code="scores_missing",
        )
    return {
        bid.pk: scoring.technical_score(weights=weights, scores=scores[bid.pk]) for bid in compliant
    }


@db_transaction.atomic
def tender_technical_complete(*, actor: User, tender: Tender) -> Tender:
    """End the technical evaluation: store each compliant bid's technical score; bids below the
    pass mark are out; rank the rest (lowest price or combined) and move to the financial
    evaluation — or, when no bid passes, mark the tender unsuccessful (bidders are told).

    Raises EvaluationError when a bid's compliance is undecided or a compliant bid lacks
    TENDER_APPROVALS_REQUIRED evaluators' scores on a criterion."""
    # Every evaluation write locks the tender's row first, so the bids and scores read here
    # cannot change until this transaction ends.
    tender = lock(tender)
    bids, results = check_complete_technical(user=actor, tender=tender)
    passing = []
    for bid in bids:
        bid.technical_score = results.get(bid.pk)
        bid.financial_score = bid.combined_score = bid.rank = None
        if bid.technical_score is not None and bid.technical_score >= tender.technical_pass_mark:
            passing.append(bid)
    if passing:
        ranked = scoring.rank_offers(
            [
                scoring.Offer(bid.pk, bid.total_price, bid.technical_score, bid.submitted_at)
                for bid in passing
            ],
            method=tender.financial_method,
            technical_weight=tender.technical_weight,
        )
        by_pk = {bid.pk: bid for bid in bids}
        for row in ranked:
            bid = by_pk[row.key]
            bid.rank, bid.financial_score, bid.combined_score = (
                row.rank,
                row.financial_score,
                row.combined_score,
            )
    Bid.objects.bulk_update(bids, ["technical_score", "financial_score", "combined_score", "rank"])
    summary = {
        "pass_mark": str(tender.technical_pass_mark),
        "method": tender.financial_method,
        "bids": [
            {
                "bidder": bid.organization.name_en,
                "compliant": bid.technically_compliant,
                "technical": None if bid.technical_score is None else str(bid.technical_score),
                "financial": None if bid.financial_score is None else str(bid.financial_score),
                "combined": None if bid.combined_score is None else str(bid.combined_score),
                "rank": bid.rank,
            }
            for bid in bids
        ],
    }
    if not passing:
        audit_record(actor=actor, verb="technical_evaluation_completed", obj=tender, data=summary)
        return tender_mark_unsuccessful(actor=actor, tender=tender, reason=NO_BID_PASSED)
    return transition(
        obj=tender,
        to=T.FINANCIAL_EVALUATION,
        allowed_from=[T.TECHNICAL_EVALUATION, T.OPENED],
        actor=actor,
        verb="technical_evaluation_completed",
        data=summary,
    )


def ranked_bids(*, tender: Tender) -> list[Bid]:
    """The bids that passed the technical evaluation, best first."""
    return list(_live_bids(tender).filter(rank__isnull=False).order_by("rank"))


@db_transaction.atomic
def recommendation_make(
    *, actor: User, tender: Tender, bid: Bid | None = None, justification: str = ""
) -> Recommendation:
    """Recommend the award: by default the bid ranked first; another ranked bid only with a
    justification. Replaces an earlier recommendation nobody has approved yet."""
    tender = lock(tender)
    check_recommend(user=actor, tender=tender)
    ranked = ranked_bids(tender=tender)
    first = ranked[0]
    chosen = first if bid is None else next((b for b in ranked if b.pk == bid.pk), None)
    if chosen is None:
        raise EvaluationError(
            _("Only a bid that passed the technical evaluation can be recommended."),
            code="not_ranked",
        )
    justification = (justification or "").strip()
    if chosen.pk != first.pk and not justification:
        raise EvaluationError(
            _("Recommending a bid other than the one ranked first needs a justification."),
            code="justification_required",
        )
    recommendation, _created = Recommendation.objects.update_or_create(
        tender=tender,
        defaults={"bid": chosen, "justification": justification, "created_by": actor},
    )
    audit_record(
        actor=actor,
        verb="recommendation_made",
        obj=tender,
        data={
            "bidder": chosen.organization.name_en,
            "rank": chosen.rank,
            "justification": justification,
        },
    )
    return recommendation


@db_transaction.atomic
def recommendation_approve(*, actor: User, tender: Tender) -> RecommendationApproval:
    """Approve the recommendation; the award needs TENDER_APPROVALS_REQUIRED members' approvals
    (any member who declared no conflict, the recommender included, approves once)."""
    tender = lock(tender)
    member, recommendation = check_approve(user=actor, tender=tender)
    approval = RecommendationApproval.objects.create(
        recommendation=recommendation, member=member, approved_at=timezone.now()
    )
    audit_record(
        actor=actor,
        verb="recommendation_approved",
        obj=tender,
        data={
            "member": actor.full_name,
            "approvals": recommendation.approvals.count(),
            "required": settings.TENDER_APPROVALS_REQUIRED,
        },
    )
    return approval
