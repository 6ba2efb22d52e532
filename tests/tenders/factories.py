"""Tenders in each state, built through the real services (never by writing a status).

`tender_at(status, people=...)` gives a tender in any status: "draft", "ready" (a draft that can
be published), "published", "tendering", "closed", "opened", "technical_evaluation",
"financial_evaluation", "unsuccessful", "awarded", "contracted" or "cancelled". Its dates are set
around the real clock so the state is consistent with it: a "tendering" tender's enquiries
deadline has passed and its submission deadline has not (publication back-dated with the
services' `now=`, never later than the real clock, then `tenders_advance()` as beat does).

"closed" and later: the story is played with time_machine (publication three days ago, bids on
the second day, the deadline five minutes ago; `opening_in` sets the opening relative to now),
then the opening by both members, the evaluation, the recommendation and the award through their
services; "contracted" is played early enough for the standstill to have ended. `bidders=`
chooses who bids.
"""

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import ClassificationCategory, Organization
from accounts.roles import Role
from tenders.models import Tender
from tenders.services import committee as committee_services
from tenders.services import lifecycle
from tests.factories import CustomerFactory, OrganizationFactory, UserFactory

# The committee fixtures' passphrases, in the order of `people.committee`.
PASSPHRASES = ["first member's opening passphrase", "second member's opening passphrase"]

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
CATEGORY_CODE = "tenders-buildings"


def pdf(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@dataclass
class TenderPeople:
    engineer: object
    committee: list = field(default_factory=list)
    supplier: object = None
    other_supplier: object = None
    ineligible_supplier: object = None
    category: ClassificationCategory | None = None


def category() -> ClassificationCategory:
    found, _ = ClassificationCategory.objects.get_or_create(
        code=CATEGORY_CODE, defaults={"name_ar": "المباني", "name_en": "Buildings"}
    )
    return found


def committee_user(*, email: str, passphrase: str | None):
    """A tender committee member; with an opening key when `passphrase` is given."""
    user = UserFactory(role=Role.TENDER_COMMITTEE, email=email)
    if passphrase is not None:
        committee_services.member_key_set(actor=user, passphrase=passphrase)
    return user


def supplier_user(
    *,
    email: str,
    kind: str = Organization.Kind.CONTRACTOR,
    grade: str = "2",
    category: ClassificationCategory | None = None,
):
    """A customer managing an organization of `kind` and `grade`, in `category` if given."""
    organization = OrganizationFactory(kind=kind, classification_grade=grade)
    if category is not None:
        organization.categories.add(category)
    return CustomerFactory(email=email, organization=organization)


def tender_values(*, now: datetime | None = None, **overrides) -> dict:
    """tender_create's arguments for a works tender open to contractors of grade 3 or better;
    dates from `now`: enquiries in 2 days, bids in 7, opening an hour after."""
    now = now or timezone.now()
    values = {
        "title_ar": "إنشاء مبنى الخدمات",
        "title_en": "Construction of the services building",
        "description_ar": "أعمال إنشاء مبنى من طابقين.",
        "description_en": "Construction of a two-storey building.",
        "category": Tender.Category.WORKS,
        "method": Tender.Method.OPEN,
        "eligible_kinds": [Organization.Kind.CONTRACTOR],
        "min_grade": "3",
        "estimated_value": Decimal("1500000.00"),
        "bid_bond_percent": Decimal("2.00"),
        "bid_validity_days": 90,
        "technical_pass_mark": Decimal("70.00"),
        "financial_method": Tender.FinancialMethod.LOWEST_PRICE,
        "technical_weight": Decimal("0"),
        "enquiries_deadline": now + timedelta(days=2),
        "submission_deadline": now + timedelta(days=7),
        "opening_at": now + timedelta(days=7, hours=1),
    }
    values.update(overrides)
    return values


def tender_draft(*, people: TenderPeople, categories=None, invited=(), **overrides) -> Tender:
    """A bare draft (no criteria, BoQ, documents or committee)."""
    if categories is None:
        categories = [people.category] if people.category else []
    return lifecycle.tender_create(
        actor=people.engineer,
        categories=categories,
        invited=invited,
        **tender_values(**overrides),
    )


def tender_make_ready(tender: Tender, *, people: TenderPeople) -> Tender:
    """Criteria (60 + 40), a two-line BoQ, one document and the committee."""
    engineer = people.engineer
    lifecycle.criterion_add(
        actor=engineer, tender=tender, name_ar="المنهجية", name_en="Method", weight=Decimal("60")
    )
    lifecycle.criterion_add(
        actor=engineer, tender=tender, name_ar="الخبرة", name_en="Experience", weight=Decimal("40")
    )
    lifecycle.boq_item_add(
        actor=engineer,
        tender=tender,
        code="A.1",
        description_ar="حفريات",
        description_en="Excavation",
        unit="m3",
        quantity=Decimal("1200"),
    )
    lifecycle.boq_item_add(
        actor=engineer,
        tender=tender,
        code="A.2",
        description_ar="خرسانة",
        description_en="Concrete",
        unit="m3",
        quantity=Decimal("800"),
    )
    lifecycle.tender_document_add(
        actor=engineer,
        tender=tender,
        kind="specifications",
        title_ar="المواصفات",
        title_en="Specifications",
        upload=pdf("specifications.pdf"),
    )
    for member in people.committee:
        committee_services.committee_member_add(actor=engineer, tender=tender, user=member)
    tender.refresh_from_db()
    return tender


def bid_submit_for(*, tender: Tender, user, rate: Decimal = Decimal("100.00")):
    """A complete, valid bid by `user`: every BoQ line at `rate`, the total to match, the
    smallest bond the tender accepts, one technical file and the bond scan."""
    from tenders.services import bids

    items = list(tender.boq_items.order_by("position", "id"))
    total = sum((bids.fils(item.quantity * rate) for item in items), start=Decimal("0"))
    bond = bids.BidBond(
        bank="Emirates NBD",
        number=f"BG-{user.pk}-{tender.pk}",
        amount=bids.bond_amount_required(tender, total),
        expiry=bids.bond_expiry_required(tender),
    )
    return bids.bid_submit(
        actor=user,
        tender=tender,
        offer=total,
        boq_prices={item.code: rate for item in items},
        bond=bond,
        files=[("technical", pdf("technical.pdf")), ("bond_scan", pdf("bond.pdf"))],
    )


LATER = (
    "closed",
    "opened",
    "technical_evaluation",
    "financial_evaluation",
    "unsuccessful",
    "awarded",
    "contracted",
)


def tender_at(
    status: str,
    *,
    people: TenderPeople,
    bidders=None,
    opening_in: timedelta = timedelta(minutes=-1),
    **overrides,
) -> Tender:
    """A tender in `status` through the real services (see the module's docstring).

    `bidders`: the users who bid (a bid each, `bid_submit_for`) — for "tendering" and later.
    The evaluation states need bids: they default to `people.supplier` and `other_supplier`
    (each member scores 80 on every criterion; "unsuccessful": 10, under the pass mark)."""
    real = timezone.now()
    if status == "draft":
        return tender_draft(people=people, **overrides)
    if status in ("ready", "published", "cancelled"):
        tender = tender_make_ready(tender_draft(people=people, **overrides), people=people)
        if status == "ready":
            return tender
        tender = lifecycle.tender_publish(actor=people.engineer, tender=tender)
        if status == "cancelled":
            tender = lifecycle.tender_cancel(
                actor=people.engineer, tender=tender, reason="The scope changed."
            )
        return tender
    if status == "tendering":
        published = real - timedelta(days=3)
        dates = {
            "now": published,
            "enquiries_deadline": real - timedelta(days=1),
            "submission_deadline": real + timedelta(days=5),
            "opening_at": real + timedelta(days=5, hours=1),
        }
        tender = tender_make_ready(
            tender_draft(people=people, **{**dates, **overrides}), people=people
        )
        tender = lifecycle.tender_publish(actor=people.engineer, tender=tender, now=published)
        lifecycle.tenders_advance()
        tender.refresh_from_db()
        for user in bidders or ():
            bid_submit_for(tender=tender, user=user)
        assert tender.status == status, tender.status
        return tender
    if status not in LATER:
        raise ValueError(f"tender_at() does not build {status!r}; build it with its services")
    evaluating = status in LATER[2:]
    if bidders is None:
        bidders = [people.supplier, people.other_supplier] if evaluating else []
    # Published three days ago, bids taken on the second day, closed five minutes ago. A
    # contracted tender's story is older: its standstill must have ended by now.
    start = real - timedelta(days=3)
    deadline = real - timedelta(minutes=5)
    after = real
    if status == "contracted":
        start = real - timedelta(days=settings.TENDER_STANDSTILL_DAYS + 5)
        deadline = start + timedelta(days=2)
        after = deadline + timedelta(hours=1)
    dates = {
        "now": start,
        "enquiries_deadline": start + timedelta(days=1),
        "submission_deadline": deadline,
        "opening_at": max(deadline, after + opening_in),
    }
    with time_machine.travel(start, tick=True):
        tender = tender_make_ready(
            tender_draft(people=people, **{**dates, **overrides}), people=people
        )
        tender = lifecycle.tender_publish(actor=people.engineer, tender=tender)
    with time_machine.travel(start + timedelta(days=1, hours=1), tick=True):
        lifecycle.tenders_advance()
        tender.refresh_from_db()
        for user in bidders:
            bid_submit_for(tender=tender, user=user)
    with time_machine.travel(after, tick=True) if after != real else nullcontext():
        lifecycle.tenders_advance()
        tender.refresh_from_db()
        if status != "closed":
            tender = tender_open(tender, people=people)
        if evaluating:
            tender = _evaluate(tender, people=people, status=status)
        if status in ("awarded", "contracted"):
            tender = _award(tender, people=people)
    if status == "contracted":
        from tenders.services import award

        award.contract_sign(
            actor=people.engineer,
            tender=tender,
            signed_on=timezone.localdate(),
            value=tender.award.amount,
        )
        tender.refresh_from_db()
    assert tender.status == status, tender.status
    return tender


def _award(tender: Tender, *, people: TenderPeople) -> Tender:
    """The first-ranked bid recommended, approved by every member, awarded."""
    from tenders.services import award, evaluation

    evaluation.recommendation_make(actor=people.committee[0], tender=tender)
    for member in people.committee[: settings.TENDER_APPROVALS_REQUIRED]:
        evaluation.recommendation_approve(actor=member, tender=tender)
    award.award_make(actor=people.engineer, tender=tender)
    tender.refresh_from_db()
    return tender


def tender_open(tender: Tender, *, people: TenderPeople) -> Tender:
    """The opening: both committee members confirm with their passphrases."""
    from tenders.services import opening

    for member, passphrase in zip(people.committee, PASSPHRASES, strict=True):
        opening.tender_open_confirm(actor=member, tender=tender, passphrase=passphrase)
    tender.refresh_from_db()
    return tender


def _evaluate(tender: Tender, *, people: TenderPeople, status: str) -> Tender:
    from tenders.services import evaluation

    first, *_others = people.committee
    for member in people.committee:
        evaluation.conflict_declare(actor=member, tender=tender, no_conflict=True)
    bids = list(tender.bids.filter(status="submitted").order_by("pk"))
    for bid in bids:
        evaluation.technical_compliance_set(actor=first, bid=bid, compliant=True)
    if status == "technical_evaluation":
        tender.refresh_from_db()
        return tender
    score = Decimal("10") if status == "unsuccessful" else Decimal("80")
    for bid in bids:
        for criterion in tender.criteria.all():
            for member in people.committee:
                evaluation.technical_score_set(
                    actor=member, bid=bid, criterion=criterion, score=score
                )
    evaluation.tender_technical_complete(actor=first, tender=tender)
    tender.refresh_from_db()
    return tender
