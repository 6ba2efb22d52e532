"""The award and after: the award with its letters, the standstill and its objections, the
contract.

Who: the contracts engineer awards and signs; a bidder objects during the standstill; a
committee member (free of a declared conflict) or the contracts engineer answers. When:
financial_evaluation → awarded once the recommendation has TENDER_APPROVALS_REQUIRED approvals;
awarded → contracted after the standstill, with every objection answered.

Errors: TransitionNotAllowed (409) when the status does not allow the action, PermissionDenied
(403) for the wrong person, DomainError (409) with its own message for every other rule.
Checks run status first, then who, then the rule; the clock is read after the tender's row lock.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.models import User
from portal.audit import audit_record
from portal.documents import document_issue
from portal.errors import DomainError, TransitionNotAllowed
from portal.references import reference_next
from portal.workflow import checks_passing, transition
from tenders.models import Award, Bid, ConflictDeclaration, Objection, Recommendation, Tender
from tenders.selectors import committee_member_of, is_committee_user, is_contracts_engineer
from tenders.services.lifecycle import lock, names, notify_each
from tenders.services.releases import release_record

T = Tender.Status


class AwardError(DomainError):
    code = "award"


# --- who may do what, when (the services and allowed_actions ask these) -------------------------
def _require_status(tender: Tender, statuses) -> None:
    if tender.status not in statuses:
        raise TransitionNotAllowed


def _award_of(tender: Tender) -> Award:
    return Award.objects.select_related("bid__organization").get(tender_id=tender.pk)


def check_award(*, user: User, tender: Tender) -> Recommendation:
    """Raises unless the user may award now; returns the approved recommendation."""
    _require_status(tender, {T.FINANCIAL_EVALUATION})
    if not is_contracts_engineer(user):
        raise PermissionDenied
    recommendation = (
        Recommendation.objects.select_related("bid__organization")
        .filter(tender_id=tender.pk)
        .first()
    )
    required = settings.TENDER_APPROVALS_REQUIRED
    if recommendation is None or recommendation.approvals.count() < required:
        raise AwardError(
            ngettext_lazy(
                "The committee's recommendation needs %(count)d member's approval before the "
                "award.",
                "The committee's recommendation needs %(count)d members' approvals before the "
                "award.",
                "count",
            )
            % {"count": required},
            code="not_approved",
        )
    return recommendation


def _bidder_bid(user: User, tender: Tender) -> Bid | None:
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return None
    return Bid.objects.filter(
        tender_id=tender.pk, organization_id=user.organization_id, status=Bid.Status.SUBMITTED
    ).first()


def check_object(*, user: User, tender: Tender) -> Bid:
    """Raises unless the user, for a bidding organization, may object now (standstill)."""
    _require_status(tender, {T.AWARDED})
    bid = _bidder_bid(user, tender)
    if bid is None:
        raise PermissionDenied
    if timezone.now() >= _award_of(tender).standstill_ends_at:
        raise AwardError(
            _("The standstill period has ended; objections are no longer accepted."),
            code="standstill_over",
        )
    return bid


def _may_answer(user: User, tender: Tender) -> bool:
    if is_contracts_engineer(user):
        return True
    member = committee_member_of(user=user, tender=tender) if is_committee_user(user) else None
    return (
        member is not None
        and ConflictDeclaration.objects.filter(
            tender_id=tender.pk, member=member, no_conflict=True
        ).exists()
    )


def check_answer_objection(*, user: User, tender: Tender) -> None:
    """Raises unless the user may answer the tender's objections now."""
    _require_status(tender, {T.AWARDED})
    if not _may_answer(user, tender):
        raise PermissionDenied
    if not Objection.objects.filter(tender_id=tender.pk, answered_at__isnull=True).exists():
        raise AwardError(_("There is no objection waiting for an answer."), code="no_objection")


def check_sign(*, user: User, tender: Tender) -> Award:
    """Raises unless the user may record the signed contract now."""
    _require_status(tender, {T.AWARDED})
    if not is_contracts_engineer(user):
        raise PermissionDenied
    award = _award_of(tender)
    if timezone.now() < award.standstill_ends_at:
        raise AwardError(
            _("The contract cannot be signed before the standstill period ends."),
            code="standstill_running",
        )
    if Objection.objects.filter(tender_id=tender.pk, answered_at__isnull=True).exists():
        raise AwardError(
            _("Every objection must be answered before the contract is signed."),
            code="objection_unanswered",
        )
    return award


def award_actions(*, user: User, tender: Tender) -> set[str]:
    """The award-stage actions the user may take now, from the services' own checks: "award",
    "object", "answer-objection", "sign-contract"."""
    checks = {
        "award": check_award,
        "object": check_object,
        "answer-objection": check_answer_objection,
        "sign-contract": check_sign,
    }
    return checks_passing(checks, user=user, tender=tender)


# --- helpers ------------------------------------------------------------------------------------
def _members_of(organization_id: int) -> list[User]:
    return list(User.objects.filter(organization_id=organization_id, is_active=True))


def _letter(*, actor: User, tender: Tender, bid: Bid, kind: str, snapshot: dict) -> None:
    winner = kind == "award_letter"
    document_issue(
        actor=actor,
        kind=kind,
        reference=reference_next(prefix="LTR"),
        owner=bid.submitted_by,
        subject=bid,
        title_ar="خطاب ترسية" if winner else "خطاب اعتذار",
        title_en="Letter of award" if winner else "Letter of regret",
        template=f"tenders/pdf/{kind}.html",
        snapshot=snapshot,
        public_summary={
            "rows": [
                ["رقم المناقصة", "Tender", tender.reference],
                [
                    "مقدم العطاء",
                    "Bidder",
                    f"{bid.organization.name_ar} / {bid.organization.name_en}",
                ],
            ]
        },
    )


def _outcome(bid: Bid) -> str:
    """Why a bid that lost did not win, for its regret letter."""
    if bid.technically_compliant is False:
        return "not_compliant"
    if bid.rank is None:
        return "below_pass_mark"
    return "ranked"


# --- services -----------------------------------------------------------------------------------
@db_transaction.atomic
def award_make(*, actor: User, tender: Tender) -> Award:
    """Award the tender to the approved recommendation's bid: the Award row with the standstill
    (TENDER_STANDSTILL_DAYS), tender → awarded, the award letter to the winner and a regret
    letter (its rank, the winning amount) to every other bidder, their notifications, and the
    OCDS award release."""
    tender = lock(tender)
    recommendation = check_award(user=actor, tender=tender)
    winner = recommendation.bid
    now = timezone.now()
    award = Award.objects.create(
        tender=tender,
        bid=winner,
        amount=winner.total_price,
        awarded_at=now,
        standstill_ends_at=now + timedelta(days=settings.TENDER_STANDSTILL_DAYS),
    )
    transition(
        obj=tender,
        to=T.AWARDED,
        allowed_from=[T.FINANCIAL_EVALUATION],
        actor=actor,
        verb="awarded",
        data={
            "bidder": winner.organization.name_en,
            "amount": str(award.amount),
            "standstill_ends_at": award.standstill_ends_at.isoformat(),
        },
    )
    common = {
        **names(tender),
        "awarded_on": timezone.localtime(now).date().isoformat(),
        "standstill_ends_at": timezone.localtime(award.standstill_ends_at).isoformat(),
        "winner_ar": winner.organization.name_ar,
        "winner_en": winner.organization.name_en,
        "amount": str(award.amount),
        "issued_by": actor.full_name,
    }
    bids = list(
        Bid.objects.filter(tender_id=tender.pk, status=Bid.Status.SUBMITTED).select_related(
            "organization", "submitted_by"
        )
    )
    bids_ranked = sum(1 for bid in bids if bid.rank is not None)
    for bid in bids:
        won = bid.pk == winner.pk
        letter = {
            **common,
            "bidder_ar": bid.organization.name_ar,
            "bidder_en": bid.organization.name_en,
            "rank": bid.rank,
            "bids_ranked": bids_ranked,
            "outcome": "won" if won else _outcome(bid),
            "price": None if bid.total_price is None else str(bid.total_price),
            "technical_score": None if bid.technical_score is None else str(bid.technical_score),
        }
        _letter(
            actor=actor,
            tender=tender,
            bid=bid,
            kind="award_letter" if won else "regret_letter",
            snapshot=letter,
        )
        notify_each(
            _members_of(bid.organization_id),
            kind="award_won" if won else "award_regret",
            tender=tender,
            context={
                **names(tender),
                "amount": str(award.amount),
                "winner_ar": winner.organization.name_ar,
                "winner_en": winner.organization.name_en,
                "rank": bid.rank,
                "standstill_ends_at": letter["standstill_ends_at"],
            },
        )
    release_record(tender=tender, tag="award")
    return award


@db_transaction.atomic
def objection_lodge(*, actor: User, tender: Tender, text: str) -> Objection:
    """A bidder's objection to the award, during the standstill only; the contracts engineer and
    the committee are told, and the contract waits for the answer."""
    tender = lock(tender)
    bid = check_object(user=actor, tender=tender)
    text = (text or "").strip()
    if not text:
        raise AwardError(_("Write the grounds of your objection."), code="text_required")
    objection = Objection.objects.create(
        tender=tender,
        organization_id=bid.organization_id,
        lodged_by=actor,
        text=text,
        lodged_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        verb="objection_lodged",
        obj=tender,
        data={"objection": objection.pk, "bidder": bid.organization.name_en},
    )
    staff = [tender.contracts_engineer] + [m.user for m in tender.committee.select_related("user")]
    notify_each(
        staff,
        kind="objection_lodged",
        tender=tender,
        context={
            **names(tender),
            "bidder_ar": bid.organization.name_ar,
            "bidder_en": bid.organization.name_en,
        },
    )
    return objection


@db_transaction.atomic
def objection_answer(*, actor: User, objection: Objection, answer: str) -> Objection:
    """Answer a bidder's objection (a committee member free of conflict, or the contracts
    engineer), once; the bidder is told."""
    tender = lock(objection.tender)
    _require_status(tender, {T.AWARDED})
    if not _may_answer(actor, tender):
        raise PermissionDenied
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.answered_at is not None:
        raise AwardError(_("This objection has already been answered."), code="already_answered")
    answer = (answer or "").strip()
    if not answer:
        raise AwardError(_("Write the answer to the objection."), code="answer_required")
    objection.answer = answer
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save(update_fields=["answer", "answered_by", "answered_at"])
    audit_record(
        actor=actor, verb="objection_answered", obj=tender, data={"objection": objection.pk}
    )
    notify_each(
        [objection.lodged_by], kind="objection_answered", tender=tender, context=names(tender)
    )
    return objection


def _contract_value(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or amount <= 0
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise AwardError(
            _("The contract value is an amount in dirhams above zero, with at most two decimals."),
            code="bad_value",
        )
    return amount


@db_transaction.atomic
def contract_sign(*, actor: User, tender: Tender, signed_on: date, value) -> Award:
    """Record the signed contract (after the standstill, every objection answered): the
    contract reference CNT-YYYY-NNNNNN, its date and value; tender → contracted; the OCDS
    contract release; the winner is told."""
    tender = lock(tender)
    award = check_sign(user=actor, tender=tender)
    amount = _contract_value(value)
    if not isinstance(signed_on, date):
        raise AwardError(_("Enter the date the contract was signed."), code="date_required")
    if signed_on > timezone.localdate():
        raise AwardError(_("The signing date cannot be in the future."), code="date_future")
    if signed_on < timezone.localtime(award.standstill_ends_at).date():
        raise AwardError(
            _("The signing date cannot be before the end of the standstill period."),
            code="date_early",
        )
    award.contract_reference = reference_next(prefix="CNT")
    award.contract_signed_at = timezone.now()
    award.contract_value = amount
    award.contract_signed_on = signed_on
    award.save(
        update_fields=[
            "contract_reference",
            "contract_signed_at",
            "contract_signed_on",
            "contract_value",
        ]
    )
    transition(
        obj=tender,
        to=T.CONTRACTED,
        allowed_from=[T.AWARDED],
        actor=actor,
        verb="contract_signed",
        data={
            "contract_reference": award.contract_reference,
            "signed_on": signed_on.isoformat(),
            "value": str(amount),
        },
    )
    notify_each(
        _members_of(award.bid.organization_id),
        kind="contract_signed",
        tender=tender,
        context={
            **names(tender),
            "contract_reference": award.contract_reference,
            "value": str(amount),
        },
    )
    release_record(tender=tender, tag="contract")
    return award
