"""Tenders: 2,000 a year at scale 1.0, in realistic status proportions (most awarded and
contracted long ago, a few dozen open at any time), each with the rows its services would have
written (tenders/services/*): criteria, a bill of quantities, documents (a PrivateFile each),
the committee with its sealed shares, published clarifications, addenda, 20,000 bids sealed
until the opening (one fixed ciphertext per row: the load run only reads) with their receipts,
the opening's cleartext columns and scores after it, awards and contracts, and the OCDS
releases of every event (the public change feed's rows)."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from accounts.models import Organization, User
from accounts.roles import Role
from bench.registry import PUBLIC, BenchApp, Endpoint, SeedContext, register
from bench.seed import bulk
from portal.models import AuditEvent, IssuedDocument, PrivateFile, ReferenceCounter
from tenders import ocds
from tenders.models import (
    Addendum,
    Award,
    Bid,
    BidFile,
    BoqItem,
    Clarification,
    CommitteeMember,
    ConflictDeclaration,
    Criterion,
    MemberKey,
    OcdsRelease,
    OpeningConfirmation,
    Recommendation,
    RecommendationApproval,
    TechnicalScore,
    Tender,
    TenderDocument,
)

T = Tender.Status
TENDERS = 2_000
BIDS = 20_000
DAY = datetime.timedelta(days=1)

# Share of a year's tenders by current status: most finished long ago, a few dozen in each
# live stage at any moment.
STATUS_WEIGHTS = {
    T.DRAFT: 3,
    T.PUBLISHED: 4,
    T.TENDERING: 6,
    T.CLOSED: 1,
    T.OPENED: 1,
    T.TECHNICAL_EVALUATION: 2,
    T.FINANCIAL_EVALUATION: 1,
    T.AWARDED: 3,
    T.CONTRACTED: 68,
    T.CANCELLED: 7,
    T.UNSUCCESSFUL: 4,
}
# The statuses a tender went through to reach its own (one audit event and at most one release
# each).
_OPEN = [T.DRAFT, T.PUBLISHED, T.TENDERING, T.CLOSED, T.OPENED]
PATHS = {
    T.DRAFT: [T.DRAFT],
    T.PUBLISHED: [T.DRAFT, T.PUBLISHED],
    T.TENDERING: [T.DRAFT, T.PUBLISHED, T.TENDERING],
    T.CLOSED: [T.DRAFT, T.PUBLISHED, T.TENDERING, T.CLOSED],
    T.OPENED: _OPEN,
    T.TECHNICAL_EVALUATION: [*_OPEN, T.TECHNICAL_EVALUATION],
    T.FINANCIAL_EVALUATION: [*_OPEN, T.TECHNICAL_EVALUATION, T.FINANCIAL_EVALUATION],
    T.AWARDED: [*_OPEN, T.TECHNICAL_EVALUATION, T.FINANCIAL_EVALUATION, T.AWARDED],
    T.CONTRACTED: [
        *_OPEN,
        T.TECHNICAL_EVALUATION,
        T.FINANCIAL_EVALUATION,
        T.AWARDED,
        T.CONTRACTED,
    ],
    T.CANCELLED: [T.DRAFT, T.PUBLISHED, T.TENDERING, T.CANCELLED],
    T.UNSUCCESSFUL: [*_OPEN, T.TECHNICAL_EVALUATION, T.UNSUCCESSFUL],
}
BIDDING = {T.PUBLISHED, T.TENDERING}
OPENED = {
    T.OPENED,
    T.TECHNICAL_EVALUATION,
    T.FINANCIAL_EVALUATION,
    T.AWARDED,
    T.CONTRACTED,
    T.UNSUCCESSFUL,
}
EVALUATED = OPENED - {T.OPENED}
CLOSED_ONCE = OPENED | {T.CLOSED}
AWARDED = {T.AWARDED, T.CONTRACTED}
# How many days before now each status's tender was published (low, high).
PUBLISHED_DAYS_AGO = {
    T.PUBLISHED: (0.5, 9),
    T.TENDERING: (11, 27),
    T.CLOSED: (29, 30),
    T.OPENED: (31, 40),
    T.TECHNICAL_EVALUATION: (35, 50),
    T.FINANCIAL_EVALUATION: (40, 55),
    T.AWARDED: (45, 55),
    T.CONTRACTED: (60, 365),
    T.CANCELLED: (20, 365),
    T.UNSUCCESSFUL: (50, 365),
}
ENQUIRIES_DAYS, SUBMISSION_DAYS = 10, 28
CATEGORIES = {
    # category: (eligible organization kinds, share, value range in AED)
    Tender.Category.WORKS: ([Organization.Kind.CONTRACTOR], 60, (500_000, 40_000_000)),
    Tender.Category.CONSULTANCY: ([Organization.Kind.CONSULTANT], 25, (100_000, 3_000_000)),
    Tender.Category.SUPPLY: (
        [Organization.Kind.SUPPLIER, Organization.Kind.CONTRACTOR],
        15,
        (50_000, 2_000_000),
    ),
}
CRITERIA = [  # (Arabic, English, weight): the weights sum to 100
    ("الخبرة في مشاريع مماثلة", "Experience in similar projects", 40),
    ("المنهجية وخطة العمل", "Methodology and work plan", 30),
    ("الفريق الفني", "Technical team", 20),
    ("الجدول الزمني", "Programme", 10),
]
BOQ_LINES = 12
COMMITTEE = 3


def _fixed_bytes(label: str, size: int) -> bytes:
    """Deterministic bytes of a sealed value's size (the load run never decrypts them)."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}-{counter}".encode()).digest()
        counter += 1
    return out[:size]


SEALED_OFFER = _fixed_bytes("offer", 48 + 1400)  # a SealedBox of a ~1.4 kB canonical offer
SEALED_SHARE = _fixed_bytes("share", 48 + 40)
SEALED_KEY = _fixed_bytes("file-key", 48 + 32)
PUBLIC_KEY = _fixed_bytes("public", 32)
SEALED_PRIVATE_KEY = _fixed_bytes("private", 24 + 16 + 32)


def _staff(ctx: SeedContext, role: str, count: int, password: str) -> list[User]:
    users = bulk(
        User,
        (
            User(
                email=f"{role}-{i}@bench.pwd.ae",
                full_name=f"{role} {i}",
                password=password,
                date_joined=ctx.now,
            )
            for i in range(count)
        ),
        ctx.counts,
    )
    group = Group.objects.get(name=role)
    bulk(
        User.groups.through,
        (User.groups.through(user_id=u.pk, group_id=group.pk) for u in users),
        ctx.counts,
    )
    # Production requires TOTP of staff; the load run's sessions record the second step.
    bulk(
        Authenticator,
        (
            Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": "bench"})
            for u in users
        ),
        ctx.counts,
    )
    return users


def _dates(ctx: SeedContext, status: str) -> dict:
    rng, now = ctx.rng, ctx.now
    if status == T.DRAFT:
        created = now - DAY * rng.uniform(1, 20)
        published = now + DAY * rng.uniform(3, 20)  # the planned dates
    else:
        low, high = PUBLISHED_DAYS_AGO[status]
        published = now - DAY * rng.uniform(low, high)
        created = published - DAY * rng.uniform(2, 20)
    submission = published + DAY * SUBMISSION_DAYS
    return {
        "created": created,
        "published": published,
        "enquiries": published + DAY * ENQUIRIES_DAYS,
        "submission": submission,
        "opening": submission + datetime.timedelta(hours=1),
    }


def seed(ctx: SeedContext) -> None:
    rng, now = ctx.rng, ctx.now
    password = make_password("bench-not-a-secret")
    engineers = _staff(ctx, Role.CONTRACTS_ENGINEER, ctx.n(6, minimum=2), password)
    members = _staff(ctx, Role.TENDER_COMMITTEE, ctx.n(15, minimum=COMMITTEE + 1), password)
    bulk(
        MemberKey,
        (
            MemberKey(
                user=u,
                public_key=PUBLIC_KEY,
                protected_private_key=SEALED_PRIVATE_KEY,
                salt=_fixed_bytes(f"salt-{u.pk}", 16),
                opslimit=2,
                memlimit=67_108_864,
                created_at=ctx.now - DAY * 400,
                updated_at=ctx.now - DAY * 400,
            )
            for u in members
        ),
        ctx.counts,
    )

    # Suppliers: the organizations of accounts' customers, by kind; the supplier persona is a
    # contractor that bids often.
    customer_of = {org: c for c, org in ctx.data["customer_org"].items()}
    by_kind: dict[str, list[int]] = {}
    for pk, kind in Organization.objects.values_list("pk", "kind"):
        if pk in customer_of:
            by_kind.setdefault(kind, []).append(pk)
    supplier_org = by_kind[Organization.Kind.CONTRACTOR][0]

    total = ctx.n(TENDERS, minimum=len(STATUS_WEIGHTS) * 2)
    statuses = [s for s, w in STATUS_WEIGHTS.items() for _ in range(w)]
    # Every status at least twice, so that each page has its kind of row at every scale.
    plan = [s for s in STATUS_WEIGHTS for _ in range(2)]
    plan += [rng.choice(statuses) for _ in range(total - len(plan))]
    categories = [c for c, (_, w, _) in CATEGORIES.items() for _ in range(w)]
    refs: dict[int, int] = {}
    tenders = []
    for n, status in enumerate(plan):
        # The first tender of each status is works (open to contractors, as the personas'
        # pages need at every scale); the rest as the year's mix.
        category = Tender.Category.WORKS if n < len(STATUS_WEIGHTS) else rng.choice(categories)
        kinds, _, (low, high) = CATEGORIES[category]
        d = _dates(ctx, status)
        year = d["created"].year
        refs[year] = refs.get(year, 0) + 1
        combined = category == Tender.Category.CONSULTANCY
        tenders.append(
            Tender(
                reference=f"TND-{year}-{refs[year]:04d}",
                title_ar=f"مناقصة رقم {n}",
                title_en=f"Tender {n:05d}: {Tender.Category(category).label}",
                description_ar="وصف الأعمال المطلوبة ونطاقها ومدة التنفيذ.",
                description_en="The scope of the works, their location and duration.",
                category=category,
                method=Tender.Method.OPEN,
                eligible_kinds=[str(k) for k in kinds],
                min_grade="",
                estimated_value=Decimal(rng.randint(low, high)).quantize(Decimal("1000")),
                bid_bond_percent=Decimal("2.00"),
                bid_validity_days=90,
                technical_pass_mark=Decimal("70.00"),
                financial_method=Tender.FinancialMethod.COMBINED
                if combined
                else Tender.FinancialMethod.LOWEST_PRICE,
                technical_weight=Decimal("70.00") if combined else Decimal("0.00"),
                published_at=None if status == T.DRAFT else d["published"],
                enquiries_deadline=d["enquiries"],
                submission_deadline=d["submission"],
                opening_at=d["opening"],
                closed_at=d["submission"] if status in CLOSED_ONCE else None,
                opened_at=d["opening"] + DAY / 4 if status in OPENED else None,
                cancelled_at=d["published"] + DAY * 5 if status == T.CANCELLED else None,
                status=status,
                cancel_reason="تغيّر نطاق المشروع." if status == T.CANCELLED else "",
                contracts_engineer_id=rng.choice(engineers).pk,
                created_by_id=rng.choice(engineers).pk,
                public_key=None if status == T.DRAFT else PUBLIC_KEY,
                sealed_private_key=None if status == T.DRAFT else SEALED_PRIVATE_KEY,
                created_at=d["created"],
                updated_at=min(d["opening"] + DAY * 10, now),
            )
        )
    tenders = bulk(Tender, tenders, ctx.counts)
    for year, last in refs.items():
        ReferenceCounter.objects.update_or_create(
            prefix="TND", year=year, defaults={"last_value": last}
        )
    ct_tender = ContentType.objects.get_for_model(Tender)
    ct_bid = ContentType.objects.get_for_model(Bid)

    # Criteria, the bill of quantities, documents and the committee.
    criteria, boq, files, docs, committee = [], [], [], [], []
    for t in tenders:
        for position, (name_ar, name_en, weight) in enumerate(CRITERIA):
            criteria.append(
                Criterion(
                    tender_id=t.pk,
                    name_ar=name_ar,
                    name_en=name_en,
                    weight=Decimal(weight),
                    position=position,
                )
            )
        for line in range(BOQ_LINES):
            boq.append(
                BoqItem(
                    tender_id=t.pk,
                    code=f"{line // 4 + 1}.{line % 4 + 1}",
                    description_ar=f"بند رقم {line + 1}",
                    description_en=f"Item {line + 1}",
                    unit=rng.choice(["m3", "m2", "m", "no.", "LS"]),
                    quantity=Decimal(rng.randint(1, 5000)),
                    position=line,
                )
            )
        for kind in (
            TenderDocument.Kind.BOQ,
            TenderDocument.Kind.DRAWINGS,
            TenderDocument.Kind.SPECIFICATIONS,
        ):
            digest = hashlib.sha256(f"{t.pk}-{kind}".encode()).hexdigest()
            files.append(
                PrivateFile(
                    file=f"uploads/bench/{digest}.pdf",
                    original_name=f"{kind}.pdf",
                    content_type_detected="application/pdf",
                    size=rng.randint(200_000, 20_000_000),
                    sha256=digest,
                    purpose="tender_document",
                    uploaded_by_id=t.created_by_id,
                    uploaded_at=t.created_at,
                    content_type=ct_tender,
                    object_id=str(t.pk),
                )
            )
            docs.append(
                TenderDocument(
                    tender_id=t.pk,
                    kind=kind,
                    title_ar=str(TenderDocument.Kind(kind).label),
                    title_en=str(TenderDocument.Kind(kind).label),
                    version=1,
                    created_by_id=t.created_by_id,
                    created_at=t.created_at,
                )
            )
        for u in rng.sample(members, COMMITTEE):
            committee.append(
                CommitteeMember(
                    tender_id=t.pk,
                    user_id=u.pk,
                    sealed_share=None if t.status == T.DRAFT else SEALED_SHARE,
                    added_at=t.created_at,
                )
            )
    criteria = bulk(Criterion, criteria, ctx.counts)
    bulk(BoqItem, boq, ctx.counts)
    files = bulk(PrivateFile, files, ctx.counts)
    for doc, f in zip(docs, files, strict=True):
        doc.file_id = f.pk
    bulk(TenderDocument, docs, ctx.counts)
    committee = bulk(CommitteeMember, committee, ctx.counts)
    committee_of: dict[int, list[CommitteeMember]] = {}
    for m in committee:
        committee_of.setdefault(m.tender_id, []).append(m)
    criteria_of: dict[int, list[int]] = {}
    for c in criteria:
        criteria_of.setdefault(c.tender_id, []).append(c.pk)

    # The tender the supplier persona's pages open: open for bids to contractors, with every
    # section of its page filled (a clarification, an addendum, the persona's bid), so that the
    # query counts compare like with like across scales.
    showcase = next(
        t
        for t in tenders
        if t.status == T.TENDERING and Organization.Kind.CONTRACTOR in t.eligible_kinds
    )

    evaluating = next(t for t in tenders if t.status == T.TECHNICAL_EVALUATION)

    # Clarifications (published, asked by a supplier of the right kind) and addenda.
    clarifications, addenda = [], []
    for t in tenders:
        if t.status == T.DRAFT:
            continue
        pool = [o for k in t.eligible_kinds for o in by_kind.get(k, [])]
        until = min(t.enquiries_deadline, now)
        for _ in range(2 if t is showcase else rng.randint(0, 5)):
            asked = t.published_at + (until - t.published_at) * rng.random()
            answered = min(asked + DAY * rng.uniform(0.2, 3), now)
            clarifications.append(
                Clarification(
                    tender_id=t.pk,
                    asked_by_id=customer_of[rng.choice(pool)],
                    question="هل يشمل النطاق أعمال الصيانة خلال فترة الضمان؟",
                    asked_at=asked,
                    answer="نعم، لمدة سنة من تاريخ الاستلام الابتدائي.",
                    answered_by_id=t.contracts_engineer_id,
                    answered_at=answered,
                    published_at=answered,
                    source=Clarification.Source.QUESTION,
                )
            )
        if t is showcase or rng.random() < 0.3:
            addenda.append(
                Addendum(
                    tender_id=t.pk,
                    number=1,
                    description_ar="تعديل جدول الكميات: إضافة بند الأعمال الكهربائية.",
                    description_en="BoQ amended: electrical works added.",
                    old_submission_deadline=t.submission_deadline,
                    new_submission_deadline=None,
                    extended=False,
                    created_by_id=t.contracts_engineer_id,
                    created_at=t.published_at + DAY * rng.uniform(1, 9),
                )
            )
    clarifications = bulk(Clarification, clarifications, ctx.counts)
    addenda = bulk(Addendum, addenda, ctx.counts)

    # Bids: about ten a tender that reached the bidding, from organizations of an eligible
    # kind, one live bid each; the supplier persona bids on one in five of those it may. The
    # opening's and the evaluation's columns are filled in here, before the rows are written.
    # Half the cancelled tenders were cancelled before any bid came in.
    bidding = len(tenders) - plan.count(T.DRAFT) - plan.count(T.CANCELLED) / 2
    mean = max(ctx.n(BIDS) / max(bidding, 1), 2)
    bids, marks_of, winner_of = [], {}, {}
    for t in tenders:
        if t.status == T.DRAFT:
            continue
        pool = [o for k in t.eligible_kinds for o in by_kind.get(k, [])]
        count = min(len(pool), max(1, round(rng.gauss(mean, mean / 3))))
        if t.status == T.CANCELLED and rng.random() < 0.5:
            count = 0
        orgs = rng.sample(pool, count)
        persona_bids = t is showcase or rng.random() < 0.2
        if supplier_org in pool and supplier_org not in orgs and persona_bids:
            orgs.append(supplier_org)
        last = min(t.submission_deadline, now)
        own = []
        for org in orgs:
            submitted = t.published_at + (last - t.published_at) * rng.uniform(0.3, 1.0)
            version = rng.choice([1, 1, 1, 2])
            # The first bid of a tender stays (an awarded tender has a winner), as does the
            # persona's on the showcase.
            withdrawn = (
                rng.random() < 0.03 and bool(own) and not (t is showcase and org == supplier_org)
            )
            opened = t.status in OPENED and not withdrawn
            price = None
            if opened:
                price = (t.estimated_value * Decimal(rng.uniform(0.8, 1.25))).quantize(
                    Decimal("0.01")
                )
            bid = Bid(
                tender_id=t.pk,
                organization_id=org,
                submitted_by_id=customer_of[org],
                status=Bid.Status.WITHDRAWN if withdrawn else Bid.Status.SUBMITTED,
                version=version,
                submitted_at=submitted,
                updated_at=submitted,
                sealed_offer=SEALED_OFFER,
                receipt_hash=hashlib.sha256(f"{t.pk}-{org}-{version}".encode()).hexdigest(),
                needs_reconfirmation=False,
                withdrawn_at=submitted + DAY if withdrawn else None,
                total_price=price,
                hash_verified=opened,
            )
            own.append(bid)
        bids.extend(own)
        if t.status not in EVALUATED:
            continue
        passing = []
        for b in own:
            if b.status != Bid.Status.SUBMITTED:
                continue
            # The committee persona's sheet has the same sections at every scale: on that
            # tender every bid is compliant and scored.
            first = b is own[0] or t is evaluating
            b.technically_compliant = t.status == T.UNSUCCESSFUL or first or rng.random() < 0.9
            if not b.technically_compliant:
                continue
            # (criterion position, evaluator position, mark)
            marks = [
                (c, e, Decimal(rng.randint(75 if first else 50, 100)))
                for c in range(len(CRITERIA))
                for e in range(2)
            ]
            marks_of[id(b)] = marks
            b.technical_score = (sum(m for _, _, m in marks) / len(marks)).quantize(Decimal("0.01"))
            if t.status == T.UNSUCCESSFUL:
                b.technical_score = Decimal("55.00")
            if b.technical_score >= t.technical_pass_mark:
                passing.append(b)
        if t.status in (T.TECHNICAL_EVALUATION, T.UNSUCCESSFUL) or not passing:
            continue
        passing.sort(key=lambda b: b.total_price)
        lowest = passing[0].total_price
        for rank, b in enumerate(passing, start=1):
            b.financial_score = (100 * lowest / b.total_price).quantize(Decimal("0.01"))
            b.rank = rank
        winner_of[t.pk] = passing[0]
    bids = bulk(Bid, bids, ctx.counts)
    tender_by_pk = {t.pk: t for t in tenders}
    bids_of: dict[int, list[Bid]] = {}
    bidder_files, receipts, scores = [], [], []
    for b in bids:
        bids_of.setdefault(b.tender_id, []).append(b)
        t = tender_by_pk[b.tender_id]
        for c, e, mark in marks_of.get(id(b), []):
            scores.append(
                TechnicalScore(
                    bid_id=b.pk,
                    criterion_id=criteria_of[t.pk][c],
                    evaluator_id=committee_of[t.pk][e].pk,
                    score=mark,
                    updated_at=t.opening_at + DAY * 3,
                )
            )
        bidder_files.append(
            BidFile(
                bid_id=b.pk,
                kind=BidFile.Kind.TECHNICAL,
                original_name="technical-proposal.pdf",
                size=rng.randint(500_000, 15_000_000),
                sealed_key=SEALED_KEY,
                ciphertext=f"tenders/sealed/bench/{b.pk}-technical.bin",
                created_at=b.submitted_at,
            )
        )
        receipts.append(
            IssuedDocument(
                kind="bid_receipt",
                reference=f"{t.reference}-B{b.pk}",
                title_ar="إيصال تقديم عطاء",
                title_en="Bid receipt",
                template="tenders/pdf/bid_receipt.html",
                owner_id=b.submitted_by_id,
                content_type=ct_bid,
                object_id=str(b.pk),
                snapshot={
                    "tender": t.reference,
                    "version": b.version,
                    "submitted_at": f"{b.submitted_at:%Y-%m-%d %H:%M:%S}",
                    "receipt_hash": b.receipt_hash,
                },
                public_summary={"rows": [["المناقصة", "Tender", t.reference]]},
                status=IssuedDocument.Status.READY,
                pdf=f"documents/bench/bid-receipt-{b.pk}.pdf",
                issued_at=b.submitted_at,
            )
        )
    bulk(BidFile, bidder_files, ctx.counts)
    bulk(TechnicalScore, scores, ctx.counts)

    # The opening, the declarations, the recommendation, the award and the contract, where the
    # tender got that far.
    confirmations, declarations, recommendations, awards, letters = [], [], [], [], []
    for t in tenders:
        if t.status not in OPENED:
            continue
        opened_at = t.opening_at + DAY * rng.uniform(0, 1)
        panel = committee_of[t.pk]
        for m in panel[:2]:
            confirmations.append(
                OpeningConfirmation(
                    tender_id=t.pk, member_id=m.pk, confirmed_at=opened_at, held_share=None
                )
            )
        if t.status not in EVALUATED:
            continue
        for m in panel:
            declarations.append(
                ConflictDeclaration(
                    tender_id=t.pk,
                    member_id=m.pk,
                    declared_at=opened_at + DAY,
                    no_conflict=True,
                    note="",
                )
            )
        if t.status not in AWARDED or t.pk not in winner_of:
            continue
        winner = winner_of[t.pk]
        decided = opened_at + DAY * rng.uniform(5, 12)
        recommendations.append(
            Recommendation(
                tender_id=t.pk,
                bid_id=winner.pk,
                justification="",
                created_by_id=panel[0].user_id,
                created_at=decided,
            )
        )
        awarded = min(decided + DAY, now - DAY)
        contracted = t.status == T.CONTRACTED
        awards.append(
            Award(
                tender_id=t.pk,
                bid_id=winner.pk,
                amount=winner.total_price,
                awarded_at=awarded,
                standstill_ends_at=awarded + DAY * 10,
                contract_reference=f"CNT-{awarded.year}-{t.pk:06d}" if contracted else "",
                contract_signed_at=awarded + DAY * 12 if contracted else None,
                contract_signed_on=(awarded + DAY * 12).date() if contracted else None,
                contract_value=winner.total_price if contracted else None,
            )
        )
        for b in bids_of[t.pk]:
            if b.status != Bid.Status.SUBMITTED:
                continue
            won = b.pk == winner.pk
            letters.append(
                IssuedDocument(
                    kind="award_letter" if won else "regret_letter",
                    reference=f"{t.reference}-{'AWD' if won else 'REG'}-{b.pk}",
                    title_ar="خطاب الترسية" if won else "خطاب اعتذار",
                    title_en="Award letter" if won else "Regret letter",
                    template="tenders/pdf/award_letter.html"
                    if won
                    else "tenders/pdf/regret_letter.html",
                    owner_id=b.submitted_by_id,
                    content_type=ct_bid,
                    object_id=str(b.pk),
                    snapshot={"tender": t.reference, "rank": b.rank},
                    public_summary={"rows": [["المناقصة", "Tender", t.reference]]},
                    status=IssuedDocument.Status.READY,
                    pdf=f"documents/bench/letter-{b.pk}.pdf",
                    issued_at=awarded,
                )
            )
    bulk(OpeningConfirmation, confirmations, ctx.counts)
    bulk(ConflictDeclaration, declarations, ctx.counts)
    recommendations = bulk(Recommendation, recommendations, ctx.counts)
    bulk(
        RecommendationApproval,
        (
            RecommendationApproval(
                recommendation_id=r.pk, member_id=m.pk, approved_at=r.created_at + DAY / 2
            )
            for r in recommendations
            for m in committee_of[r.tender_id][:2]
        ),
        ctx.counts,
    )
    bulk(Award, awards, ctx.counts)
    bulk(IssuedDocument, receipts + letters, ctx.counts)
    # Each bid points at its latest receipt (the receipt names the bid: one joined UPDATE).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tenders_bid b SET receipt_id = d.id FROM portal_issueddocument d "
            "WHERE d.kind = 'bid_receipt' AND d.content_type_id = %s "
            "AND d.object_id = b.id::text",
            [ct_bid.pk],
        )

    rows = _ReleaseSources(
        docs=docs, files=files, boq=boq, bids=bids, winner_of=winner_of, awards=awards
    )
    _audit_and_releases(ctx, tenders, clarifications, addenda, awards, ct_tender, rows)

    awarded = next(t for t in tenders if t.status == T.AWARDED and t.pk in winner_of)
    ctx.data.update(
        tender_showcase=showcase.pk,
        tender_showcase_reference=showcase.reference,
        tender_committee=evaluating.pk,
        tender_awarded=awarded.pk,
        tender_awarded_reference=awarded.reference,
    )
    ctx.data["personas"].update(
        supplier=customer_of[supplier_org],
        contracts=engineers[0].pk,
        # A member of the evaluated tender's committee.
        committee=committee_of[evaluating.pk][0].user_id,
    )


@dataclass
class _ReleaseSources:
    docs: list
    files: list
    boq: list
    bids: list
    winner_of: dict
    awards: list


def _release_rows(sources: _ReleaseSources, clar_of: dict, add_of: dict) -> dict[int, object]:
    """tenders.ocds.ReleaseRows for every tender, from the rows just written (the builder
    takes models; reading them back would cost seven queries a tender)."""
    docs_of: dict[int, list] = {}
    for doc, f in zip(sources.docs, sources.files, strict=True):
        doc.file = f
        docs_of.setdefault(doc.tender_id, []).append(doc)
    items_of: dict[int, list] = {}
    for item in sources.boq:
        items_of.setdefault(item.tender_id, []).append(item)
    organizations = Organization.objects.in_bulk({b.organization_id for b in sources.bids})
    tenderers_of: dict[int, list] = {}
    for b in sources.bids:
        b.organization = organizations[b.organization_id]
        if b.status == Bid.Status.SUBMITTED:
            tenderers_of.setdefault(b.tender_id, []).append(b.organization)
    award_of = {}
    for a in sources.awards:
        a.bid = sources.winner_of[a.tender_id]
        award_of[a.tender_id] = a
    return {
        "docs": docs_of,
        "items": items_of,
        "tenderers": tenderers_of,
        "award": award_of,
        "clarifications": clar_of,
        "addenda": {k: [v] for k, v in add_of.items()},
    }


def _audit_and_releases(ctx, tenders, clarifications, addenda, awards, ct_tender, sources) -> None:
    """One audit event per step of each tender's path, and the OCDS releases its services
    would have recorded (tender, tenderUpdate per clarification, tenderAmendment per addendum,
    tenderCancellation, award, contract), in time order: the feed's cursor is the row id."""
    audits, releases = [], []
    award_of = {a.tender_id: a for a in awards}
    clar_of: dict[int, list] = {}
    for c in clarifications:
        clar_of.setdefault(c.tender_id, []).append(c)
    add_of = {a.tender_id: a for a in addenda}
    built = _release_rows(sources, clar_of, add_of)
    for t in tenders:
        path = PATHS[t.status]
        moments = {
            T.DRAFT: t.created_at,
            T.PUBLISHED: t.published_at,
            T.TENDERING: t.enquiries_deadline,
            T.CLOSED: t.submission_deadline,
            T.OPENED: t.opening_at + DAY,
            T.TECHNICAL_EVALUATION: t.opening_at + DAY * 2,
            T.FINANCIAL_EVALUATION: t.opening_at + DAY * 6,
            T.AWARDED: award_of[t.pk].awarded_at if t.pk in award_of else t.opening_at,
            T.CONTRACTED: award_of[t.pk].contract_signed_at
            if t.pk in award_of and award_of[t.pk].contract_signed_at
            else t.opening_at,
            T.CANCELLED: t.updated_at,
            T.UNSUCCESSFUL: t.opening_at + DAY * 8,
        }
        for n, status in enumerate(path):
            audits.append(
                AuditEvent(
                    actor_id=t.contracts_engineer_id,
                    verb="created" if n == 0 else str(status),
                    content_type=ct_tender,
                    object_id=str(t.pk),
                    from_status=path[n - 1] if n else "",
                    to_status=status,
                    created_at=min(moments[status], ctx.now),
                )
            )
        if t.status == T.DRAFT:
            continue
        events = [("tender", t.published_at)]
        events += [("tenderUpdate", c.published_at) for c in clar_of.get(t.pk, [])]
        if t.pk in add_of:
            events.append(("tenderAmendment", add_of[t.pk].created_at))
        if t.status == T.CANCELLED:
            events.append(("tenderCancellation", t.cancelled_at))
        if t.pk in award_of:
            events.append(("award", award_of[t.pk].awarded_at))
            if award_of[t.pk].contract_signed_at:
                events.append(("contract", award_of[t.pk].contract_signed_at))
        rows = ocds.ReleaseRows(
            tender=t,
            documents=built["docs"].get(t.pk, []),
            items=built["items"].get(t.pk, []),
            addenda=built["addenda"].get(t.pk, []),
            clarifications=clar_of.get(t.pk, []),
            award=award_of.get(t.pk),
            tenderers=built["tenderers"].get(t.pk, []),
        )
        previous = None
        for n, (tag, when) in enumerate(sorted(events, key=lambda e: e[1])):
            # Ids of their own kind: they cannot collide with reference_next("OCDS") ones.
            release_id = f"BENCH-{t.reference}-{n + 1:03d}"
            releases.append(
                OcdsRelease(
                    tender_id=t.pk,
                    release_id=release_id,
                    tags=[tag],
                    date=when,
                    data=ocds.release_build(
                        rows, tag=tag, release_id=release_id, date=when, previous_id=previous
                    ),
                )
            )
            previous = release_id
    bulk(AuditEvent, audits, ctx.counts)
    releases.sort(key=lambda r: r.date)
    bulk(OcdsRelease, releases, ctx.counts)


def endpoints(ctx: SeedContext) -> list[Endpoint]:
    showcase, reference = ctx.data["tender_showcase"], ctx.data["tender_showcase_reference"]
    awarded = ctx.data["tender_awarded_reference"]
    committee = ctx.data["tender_committee"]
    return [
        Endpoint("tenders: public list", "/ar/tenders/public/", None, PUBLIC),
        Endpoint("tenders: public results", "/ar/tenders/public/results/", None, PUBLIC),
        Endpoint("tenders: public tender page", f"/ar/tenders/public/{reference}/", None, PUBLIC),
        Endpoint("tenders: public OCDS package", f"/tenders/{awarded}/ocds.json", None, PUBLIC),
        Endpoint("tenders: supplier list", "/ar/tenders/", "supplier"),
        Endpoint("tenders: supplier tender page", f"/ar/tenders/{showcase}/", "supplier"),
        Endpoint("tenders: supplier bids", "/ar/tenders/bids/", "supplier"),
        Endpoint("tenders: engineer dashboard", "/ar/staff/tenders/", "contracts"),
        Endpoint("tenders: engineer tender page", f"/ar/tenders/{showcase}/", "contracts"),
        Endpoint(
            "tenders: engineer clarification inbox",
            "/ar/staff/tenders/clarifications/",
            "contracts",
        ),
        Endpoint(
            "tenders: committee evaluation sheet",
            f"/ar/staff/tenders/{committee}/evaluation/",
            "committee",
        ),
        Endpoint("tenders: API list (supplier)", "/api/v1/tenders/", "supplier", api=True),
        Endpoint(
            "tenders: API detail (supplier)", f"/api/v1/tenders/{showcase}/", "supplier", api=True
        ),
        Endpoint("tenders: API my bids (supplier)", "/api/v1/tenders/bids/", "supplier", api=True),
        Endpoint("tenders: API list (engineer)", "/api/v1/tenders/", "contracts", api=True),
        Endpoint(
            "tenders: API OCDS package", f"/api/v1/tenders/{awarded}/ocds/", None, PUBLIC, api=True
        ),
        Endpoint("tenders: OCDS change feed", "/api/v1/ocds/releases/", None, PUBLIC, api=True),
    ]


register(BenchApp("tenders", seed, endpoints, after=("accounts",)))
