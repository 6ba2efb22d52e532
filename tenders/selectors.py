"""Reads: who is eligible, what each user may see, and what each user may do (allowed_actions).

The public pages (no login) use their own selectors in the OCDS helper's modules; here anonymous
users see nothing."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import Organization, User
from accounts.roles import Role, has_role
from tenders.models import Bid, CommitteeMember, Tender

S = Tender.Status

# --- who is who ---------------------------------------------------------------------------------


def is_contracts_engineer(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or has_role(user, Role.CONTRACTS_ENGINEER)
    )


def is_committee_user(user) -> bool:
    """Has the committee role (any tender); membership of one tender is `committee_member_of`."""
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, Role.TENDER_COMMITTEE)


def is_tender_staff(user) -> bool:
    """Contracts engineers, committee members and administrators see every tender."""
    return is_contracts_engineer(user) or is_committee_user(user)


def committee_member_of(*, user, tender: Tender) -> CommitteeMember | None:
    """The user's membership of this tender's committee, or None. Cached on the tender object
    so that allowed_actions and the services ask the database once per request."""
    if not getattr(user, "is_authenticated", False):
        return None
    cache = tender.__dict__.setdefault("_committee_by_user", {})
    if user.pk not in cache:
        cache[user.pk] = CommitteeMember.objects.filter(tender=tender, user=user).first()
    return cache[user.pk]


def supplier_organization(user):
    """The organization a signed-in customer bids for, or None (staff never bid)."""
    if not getattr(user, "is_authenticated", False) or is_tender_staff(user):
        return None
    return user.organization if user.organization_id else None


# --- eligibility --------------------------------------------------------------------------------


def tender_eligible(organization, tender: Tender) -> bool:
    """Whether the organization may see, ask about and bid for the tender (kind, grade,
    classification category and, for limited tenders, the invitation). Mirrors
    `_eligible_q`, which is the same rule in SQL (tests check both agree)."""
    if organization is None:
        return False
    # Cached on the tender object: allowed_actions asks it once per action check.
    cache = tender.__dict__.setdefault("_eligible_by_organization", {})
    if organization.pk not in cache:
        cache[organization.pk] = _eligible(organization, tender)
    return cache[organization.pk]


def _eligible(organization, tender: Tender) -> bool:
    if (
        tender.method == Tender.Method.LIMITED
        and not tender.invited.filter(pk=organization.pk).exists()
    ):
        return False
    if tender.eligible_kinds and organization.kind not in tender.eligible_kinds:
        return False
    if tender.min_grade:
        grade = organization.classification_grade
        if not grade or int(grade) > int(tender.min_grade):
            return False
    tender_categories = set(tender.categories.values_list("pk", flat=True))
    if tender_categories:
        mine = set(organization.categories.values_list("pk", flat=True))
        if not tender_categories & mine:
            return False
    return True


def _eligible_q(organization) -> Q:
    through_invited = Tender.invited.through
    through_categories = Tender.categories.through
    invited = Exists(
        through_invited.objects.filter(tender_id=OuterRef("pk"), organization_id=organization.pk)
    )
    # JSON "contains" is PostgreSQL-only; the list holds quoted enum values, none a substring of
    # another, so a text search for the quoted value is the same test on every database.
    kind_ok = Q(eligible_kinds=[]) | Q(eligible_kinds__icontains=f'"{organization.kind}"')
    grade = organization.classification_grade
    grade_ok = Q(min_grade="") | (Q(min_grade__gte=grade) if grade else Q(pk__in=[]))
    has_categories = Exists(through_categories.objects.filter(tender_id=OuterRef("pk")))
    shares_category = Exists(
        through_categories.objects.filter(
            tender_id=OuterRef("pk"),
            classificationcategory_id__in=organization.categories.values("pk"),
        )
    )
    return (
        (Q(method=Tender.Method.OPEN) | invited)
        & kind_ok
        & grade_ok
        & (~has_categories | shares_category)
    )


def tenders_eligible_for(organization) -> QuerySet[Tender]:
    """Every tender (any status) the organization is eligible for."""
    if organization is None:
        return Tender.objects.none()
    return Tender.objects.filter(_eligible_q(organization))


# --- what each user may see ---------------------------------------------------------------------


def tenders_visible_to(user) -> QuerySet[Tender]:
    """Staff (contracts engineers, committee, administrators): every tender. Suppliers: the
    tenders they are eligible for that were published (whatever happened after). Anyone else:
    none."""
    if not getattr(user, "is_authenticated", False):
        return Tender.objects.none()
    if is_tender_staff(user):
        return Tender.objects.all()
    organization = supplier_organization(user)
    if organization is None:
        return Tender.objects.none()
    return tenders_eligible_for(organization).filter(published_at__isnull=False)


def tender_visible_to_user(*, user, tender: Tender) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if is_tender_staff(user):
        return True
    if tender.published_at is None:
        return False
    return tender_eligible(supplier_organization(user), tender)


def tender_get_for_user(*, user, pk: int) -> Tender:
    """The tender if the user may see it; Http404 otherwise (never 403: outsiders must not learn
    that it exists)."""
    tender = (
        tenders_visible_to(user)
        .select_related("contracts_engineer", "created_by")
        .filter(pk=pk)
        .first()
    )
    if tender is None:
        raise Http404
    return tender


def tender_get_for_user_by_reference(*, user, reference: str) -> Tender:
    tender = (
        tenders_visible_to(user).select_related("contracts_engineer").filter(reference=reference)
    )
    found = tender.first()
    if found is None:
        raise Http404
    return found


def bid_visible_to_user(*, user, bid: Bid) -> bool:
    """A bid (its receipt, and after the opening its files) is seen by the bidding
    organization's members; by the tender's committee and contracts engineers only once the
    bids are opened; by administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if user.organization_id and user.organization_id == bid.organization_id:
        return True
    tender = bid.tender
    if tender.opened_at is None:
        return False
    return is_contracts_engineer(user) or committee_member_of(user=user, tender=tender) is not None


def organizations_eligible_for(tender: Tender) -> QuerySet[Organization]:
    """The organizations that may bid for the tender (the same rule as tender_eligible)."""
    organizations = Organization.objects.all()
    if tender.method == Tender.Method.LIMITED:
        organizations = organizations.filter(tender_invitations=tender)
    if tender.eligible_kinds:
        organizations = organizations.filter(kind__in=tender.eligible_kinds)
    if tender.min_grade:
        grades = [g for g in Organization.Grade.values if int(g) <= int(tender.min_grade)]
        organizations = organizations.filter(classification_grade__in=grades)
    category_ids = list(tender.categories.values_list("pk", flat=True))
    if category_ids:
        organizations = organizations.filter(
            Exists(
                Organization.categories.through.objects.filter(
                    organization_id=OuterRef("pk"), classificationcategory_id__in=category_ids
                )
            )
        )
    return organizations


def supplier_users_eligible_for(tender: Tender) -> QuerySet[User]:
    """The active people of every eligible organization: whom publication, clarifications,
    addenda and cancellation are told."""
    return User.objects.filter(
        organization__in=organizations_eligible_for(tender), is_active=True
    ).order_by("pk")


# --- what each user may do ----------------------------------------------------------------------


def allowed_actions(*, user, tender: Tender) -> set[str]:
    """What the user may do to the tender now: the union of each service module's own checks
    (one rule, one place: the services raise exactly when these leave an action out). Pages
    and the API offer only these. Names: "edit", "publish", "cancel" (lifecycle); "ask",
    "answer" (clarifications); "addendum"; "bid", "change-bid", "withdraw-bid",
    "reconfirm-bid" (bids); "open", "replace-member" (opening); "declare", "score",
    "complete-technical", "recommend", "approve" (evaluation); "award", "object",
    "answer-objection", "sign-contract" (award)."""
    # Imported here: the services import these selectors.
    from tenders.services.addenda import addendum_actions
    from tenders.services.award import award_actions
    from tenders.services.bids import bid_actions
    from tenders.services.clarifications import clarification_actions
    from tenders.services.evaluation import evaluation_actions
    from tenders.services.lifecycle import lifecycle_actions
    from tenders.services.opening import opening_actions

    if not getattr(user, "is_authenticated", False):
        return set()
    allowed: set[str] = set()
    for actions in (
        lifecycle_actions,
        clarification_actions,
        addendum_actions,
        bid_actions,
        opening_actions,
        evaluation_actions,
        award_actions,
    ):
        allowed |= actions(user=user, tender=tender)
    return allowed
