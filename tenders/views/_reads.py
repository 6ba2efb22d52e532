"""The reads the tenders pages and API share, once the tender itself is known to be visible to
the user (tenders.selectors.tender_get_for_user decides that). Each already selects what the
page shows, so a page runs the same queries whatever the number of rows."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.roles import Role
from portal.models import IssuedDocument
from tenders import selectors
from tenders.models import (
    Award,
    Bid,
    Clarification,
    CommitteeMember,
    ConflictDeclaration,
    Objection,
    OpeningConfirmation,
    Recommendation,
    TechnicalScore,
    Tender,
    TenderDocument,
)
from tenders.services.clarifications import ANSWERABLE

S = Tender.Status
LIVE = Bid.Status.SUBMITTED
# The issued documents a bidder reads about its own bid (receipts, letters).
BIDDER_DOCUMENT_KINDS = ("bid_receipt", "award_letter", "regret_letter")


def get_in(model, *, tender: Tender, pk: int):
    """One row of the tender (a question, an objection), or 404."""
    row = model.objects.filter(tender=tender, pk=pk).first()
    if row is None:
        raise Http404
    row.tender = tender
    return row


def documents_by_kind(*, tender: Tender) -> list[dict]:
    """The tender's documents, each kind with its versions, newest first."""
    by_kind: dict[str, list[TenderDocument]] = {}
    for document in tender.documents.select_related("file", "addendum").order_by(
        "kind", "-version"
    ):
        by_kind.setdefault(document.kind, []).append(document)
    return [
        {"kind": value, "label": label, "current": by_kind[value][0], "older": by_kind[value][1:]}
        for value, label in TenderDocument.Kind.choices
        if value in by_kind
    ]


def clarifications_published(*, tender: Tender) -> list[Clarification]:
    """Published questions and answers, oldest first. Who asked is never read here: the page
    and the API show the question, not its author."""
    return list(
        tender.clarifications.filter(published_at__isnull=False)
        .only("id", "tender_id", "source", "question", "answer", "published_at")
        .order_by("published_at", "id")
    )


def clarifications_unanswered(*, tender: Tender) -> list[Clarification]:
    return list(
        tender.clarifications.filter(published_at__isnull=True)
        .select_related("asked_by__organization")
        .order_by("asked_at", "id")
    )


def clarification_inbox(*, user) -> QuerySet[Clarification]:
    """Every unanswered question of the tenders the user may see that may still be answered,
    oldest first."""
    return (
        Clarification.objects.filter(
            published_at__isnull=True,
            tender__status__in=ANSWERABLE,
            tender__in=selectors.tenders_visible_to(user),
        )
        .select_related("tender", "asked_by__organization")
        .order_by("asked_at", "id")
    )


def bid_count(*, tender: Tender) -> int:
    """How many live bids: all staff may know this before the opening, nothing more."""
    return Bid.objects.filter(tender=tender, status=LIVE).count()


def committee(*, tender: Tender) -> list[CommitteeMember]:
    return list(tender.committee.select_related("user", "user__tender_member_key"))


def committee_users(*, tender: Tender):
    """The users on the tender's committee (for choosing among them)."""
    return get_user_model().objects.filter(tender_memberships__tender=tender).order_by("full_name")


def committee_candidates(*, tender: Tender):
    """Committee-role users with an opening key who are not on the tender's committee."""
    return (
        get_user_model()
        .objects.filter(
            groups__name=Role.TENDER_COMMITTEE, is_active=True, tender_member_key__isnull=False
        )
        .exclude(tender_memberships__tender=tender)
        .order_by("full_name")
    )


def bids_opened(*, tender: Tender) -> list[Bid]:
    """The live bids with their amounts, after the opening only (the caller checks)."""
    if not tender.is_opened:
        return []
    return list(
        Bid.objects.filter(tender=tender, status=LIVE)
        .select_related("organization")
        .prefetch_related("files__opened_file")
        .order_by("rank", "total_price", "submitted_at", "id")
    )


def bid_of(*, tender: Tender, organization) -> Bid | None:
    """The organization's live bid on the tender (or its last withdrawn one), with its files'
    names (never their contents)."""
    if organization is None:
        return None
    return (
        Bid.objects.filter(tender=tender, organization=organization)
        .prefetch_related("files")
        .order_by("status", "-updated_at", "-id")  # "submitted" sorts before "withdrawn"
        .first()
    )


def own_bid_or_404(*, tender: Tender, user) -> Bid:
    bid = bid_of(tender=tender, organization=selectors.supplier_organization(user))
    if bid is None or bid.status != LIVE:
        raise Http404
    bid.tender = tender
    return bid


def documents_for_bidder(*, tender: Tender, organization) -> list[IssuedDocument]:
    """The receipts and letters issued about the organization's bids on the tender."""
    if organization is None:
        return []
    bids = tender.bids.filter(organization=organization).values_list("pk", flat=True)
    bid_ids = [str(pk) for pk in bids]
    if not bid_ids:
        return []
    return list(
        IssuedDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(Bid), object_id__in=bid_ids
        ).order_by("-issued_at", "-id")
    )


def opening_minutes(*, tender: Tender) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(Tender),
            object_id=str(tender.pk),
            kind="opening_minutes",
        )
        .order_by("-issued_at", "-id")
        .first()
    )


def objections(*, tender: Tender, organization=None) -> list[Objection]:
    rows = tender.objections.select_related("organization").order_by("lodged_at", "id")
    if organization is not None:
        rows = rows.filter(organization=organization)
    return list(rows)


def award_of(*, tender: Tender) -> Award | None:
    return Award.objects.filter(tender=tender).select_related("bid__organization").first()


def confirmations(*, tender: Tender) -> list[OpeningConfirmation]:
    return list(
        tender.opening_confirmations.select_related("member__user").order_by("confirmed_at")
    )


# --- lists ---------------------------------------------------------------------------------------


def supplier_tenders(*, user, status: str = "") -> QuerySet[Tender]:
    """The tenders a supplier may see, open ones first (soonest deadline), then the rest."""
    rows = selectors.tenders_visible_to(user)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-submission_deadline", "-id")


def staff_tenders(*, user, status: str = "") -> QuerySet[Tender]:
    """The staff dashboard: tenders with their live-bid count (a count only: before the opening
    nobody may know more), most recently changed first."""
    rows = selectors.tenders_visible_to(user)
    if status:
        rows = rows.filter(status=status)
    return (
        rows.select_related("contracts_engineer")
        .annotate(bid_count=Count("bids", filter=Q(bids__status=LIVE)))
        .order_by("-updated_at", "-id")
    )


def status_counts(*, user) -> dict[str, int]:
    rows = selectors.tenders_visible_to(user).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows.order_by()}


def my_bids(*, user) -> QuerySet[Bid]:
    """The bids of the user's organization, newest first, with their tender."""
    organization = selectors.supplier_organization(user)
    if organization is None:
        return Bid.objects.none()
    return (
        Bid.objects.filter(organization=organization)
        .select_related("tender", "receipt")
        .order_by("-updated_at", "-id")
    )


def issued_by_bid(bids: list[Bid]) -> dict[int, list[IssuedDocument]]:
    """The issued documents of a page of bids, in one query."""
    if not bids:
        return {}
    found: dict[int, list[IssuedDocument]] = {}
    for document in IssuedDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(Bid),
        object_id__in=[str(b.pk) for b in bids],
    ).order_by("-issued_at", "-id"):
        found.setdefault(int(document.object_id), []).append(document)
    return found


# --- the staff home ------------------------------------------------------------------------------
PANEL_SHOWN = 8
# The statuses in which a tender waits on its committee, and on its contracts engineer.
COMMITTEE_WAITING = (S.CLOSED, S.OPENED, S.TECHNICAL_EVALUATION, S.FINANCIAL_EVALUATION)
ENGINEER_WAITING = (S.DRAFT, S.FINANCIAL_EVALUATION, S.AWARDED)


def waiting_on(*, user) -> dict:
    """The staff home's tenders panel: what waits on the user (a fixed number of queries)."""
    engineer = selectors.is_contracts_engineer(user)
    if engineer:
        rows = Tender.objects.filter(status__in=ENGINEER_WAITING)
        if not user.is_superuser:
            rows = rows.filter(contracts_engineer=user)
        waiting = Clarification.objects.filter(
            published_at__isnull=True, tender__status__in=ANSWERABLE
        )
        if not user.is_superuser:
            waiting = waiting.filter(tender__contracts_engineer=user)
        questions = waiting.order_by()[:100].count()
    else:
        rows = Tender.objects.filter(status__in=COMMITTEE_WAITING, committee__user=user)
        questions = 0
    tenders = list(rows.order_by("submission_deadline", "id")[:PANEL_SHOWN])
    return {"tenders": tenders, "questions": questions, "engineer": engineer}


# --- the evaluation ------------------------------------------------------------------------------


def bids_for_evaluation(*, tender: Tender) -> list[Bid]:
    return bids_opened(tender=tender)


def my_scores(*, tender: Tender, member) -> dict[tuple[int, int], object]:
    """(bid id, criterion id) -> this evaluator's score."""
    if member is None:
        return {}
    return {
        (row.bid_id, row.criterion_id): row.score
        for row in TechnicalScore.objects.filter(bid__tender=tender, evaluator=member)
    }


def declarations(*, tender: Tender) -> list[ConflictDeclaration]:
    return list(tender.conflict_declarations.select_related("member__user"))


def recommendation(*, tender: Tender) -> Recommendation | None:
    return (
        Recommendation.objects.filter(tender=tender)
        .select_related("bid__organization", "created_by")
        .prefetch_related("approvals__member__user")
        .first()
    )
