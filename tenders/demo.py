"""Demo data for tenders, appended to seed_demo's steps: the committee's opening keys (known
passphrases, listed in the README), three more supplier organizations, and three tenders taken
through the real services — one open for bids with a pre-bid session, one opened and evaluated
(its recommendation waiting for the second approval), one awarded (in its standstill, with an
objection to answer).

Bids are accepted only before the submission deadline by the real clock, and the opening only
after it; so the two tenders that get opened are published with deadlines a few seconds ahead,
their bids submitted, and the seeder waits for those seconds to pass (nothing is back-dated and
no status is written directly)."""

import datetime
import time
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import ClassificationCategory, Organization, User
from accounts.roles import Role
from accounts.services import organization_create
from tenders.models import Bid, MemberKey, Tender
from tenders.services import award, bids, clarifications, committee, evaluation, lifecycle, opening

DUBAI = datetime.timezone(datetime.timedelta(hours=4))

# The committee's opening passphrases (the README lists them with the logins).
COMMITTEE = [
    ("committee1@demo.pwd.ae", "أحمد المرزوقي", "Opening-key-committee-1"),
    ("committee2@demo.pwd.ae", "فاطمة الزرعوني", "Opening-key-committee-2"),
    ("committee3@demo.pwd.ae", "سالم الكتبي", "Opening-key-committee-3"),
]
ENGINEER = "contracts@demo.pwd.ae"

# Suppliers besides seed_demo's consultant and contractor (contractor@demo.pwd.ae, grade 2:
# buildings, roads, infrastructure).
SUPPLIERS = [
    (
        "supplier1@demo.pwd.ae",
        "راشد الكعبي",
        dict(
            name_ar="شركة الإمارات الحديثة للمقاولات",
            name_en="Emirates Modern Contracting Co.",
            kind=Organization.Kind.CONTRACTOR,
            trade_licence_number="SHJ-CT-310442",
            classification_grade="3",
            categories=["roads", "infrastructure", "maintenance"],
        ),
    ),
    (
        "supplier2@demo.pwd.ae",
        "ناصر البلوشي",
        dict(
            name_ar="مؤسسة البناء المتكامل للمقاولات",
            name_en="Integrated Building Contracting Est.",
            kind=Organization.Kind.CONTRACTOR,
            trade_licence_number="SHJ-CT-120975",
            classification_grade="1",
            categories=["buildings", "maintenance", "electromechanical"],
        ),
    ),
    (
        "supplier3@demo.pwd.ae",
        "ليلى الظاهري",
        dict(
            name_ar="شركة النخبة للتوريدات الهندسية",
            name_en="Elite Engineering Supplies LLC",
            kind=Organization.Kind.SUPPLIER,
            trade_licence_number="SHJ-SP-508113",
            classification_grade="",
            categories=["supplies", "electromechanical"],
        ),
    ),
]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# The two tenders that get opened stay open for bids only as long as the seeder needs to
# publish them and submit their five bids: SAFETY times what publishing and bidding took on the
# first tender, and never less than MIN_WINDOW. The seeder then waits for the deadline.
SAFETY = 4
MIN_WINDOW = datetime.timedelta(seconds=2)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _user(email: str, name: str, role: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name)
    user.groups.add(Group.objects.get(name=role))
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _people(stdout) -> tuple[User, list[User], dict[str, User]]:
    engineer = User.objects.get(email=ENGINEER)
    members = []
    for email, name, passphrase in COMMITTEE:
        member = _user(email, name, Role.TENDER_COMMITTEE)
        if not MemberKey.objects.filter(user=member).exists():
            committee.member_key_set(actor=member, passphrase=passphrase)
        members.append(member)
    expiry = timezone.localdate() + datetime.timedelta(days=365)
    suppliers = {
        "contractor": User.objects.get(email="contractor@demo.pwd.ae"),
        "consultant": User.objects.get(email="customer@demo.pwd.ae"),
    }
    for email, name, organization in SUPPLIERS:
        user = _user(email, name, Role.CUSTOMER)
        if user.organization_id is None:
            spec = dict(organization)
            codes = spec.pop("categories")
            spec["categories"] = list(ClassificationCategory.objects.filter(code__in=codes))
            spec["trade_licence_expiry"] = expiry
            organization_create(actor=user, data=spec)
            user.refresh_from_db()
        suppliers[email.split("@")[0]] = user
    for email, _name, passphrase in COMMITTEE:
        stdout.write(f"  {email:28} opening passphrase: {passphrase}")
    for email, _name, _organization in SUPPLIERS:
        stdout.write(f"  {email:28} {DEMO_PASSWORD}   supplier")
    return engineer, members, suppliers


def _draft(
    engineer: User,
    members: list[User],
    *,
    title_ar: str,
    title_en: str,
    description_ar: str,
    description_en: str,
    category: str,
    kinds: list[str],
    codes: list[str],
    boq: list[tuple[str, str, str, str, str]],
    dates: tuple[datetime.datetime, datetime.datetime, datetime.datetime],
    estimated_value: Decimal,
    **options,
) -> Tender:
    """A complete draft: criteria summing to 100, a bill of quantities, the documents and a
    committee whose members all have opening keys."""
    enquiries, submission, opening_at = dates
    tender = lifecycle.tender_create(
        actor=engineer,
        title_ar=title_ar,
        title_en=title_en,
        description_ar=description_ar,
        description_en=description_en,
        category=category,
        eligible_kinds=kinds,
        categories=list(ClassificationCategory.objects.filter(code__in=codes)),
        estimated_value=estimated_value,
        bid_bond_percent=Decimal("2.00"),
        bid_validity_days=90,
        technical_pass_mark=Decimal("70.00"),
        enquiries_deadline=enquiries,
        submission_deadline=submission,
        opening_at=opening_at,
        **options,
    )
    for name_ar, name_en, weight in [
        ("الخبرة في مشاريع مماثلة", "Experience in similar projects", "40"),
        ("المنهجية وخطة العمل", "Methodology and work plan", "35"),
        ("الفريق الفني", "Technical team", "25"),
    ]:
        lifecycle.criterion_add(
            actor=engineer, tender=tender, name_ar=name_ar, name_en=name_en, weight=Decimal(weight)
        )
    for code, description_ar, description_en, unit, quantity in boq:
        lifecycle.boq_item_add(
            actor=engineer,
            tender=tender,
            code=code,
            description_ar=description_ar,
            description_en=description_en,
            unit=unit,
            quantity=Decimal(quantity),
        )
    for kind, title_ar_doc, title_en_doc in [
        ("boq", "جدول الكميات", "Bill of quantities"),
        ("specifications", "المواصفات الفنية", "Technical specifications"),
        ("drawings", "المخططات", "Drawings"),
    ]:
        lifecycle.tender_document_add(
            actor=engineer,
            tender=tender,
            kind=kind,
            title_ar=title_ar_doc,
            title_en=title_en_doc,
            upload=_pdf(f"{tender.reference}-{kind}.pdf"),
        )
    for member in members:
        committee.committee_member_add(actor=engineer, tender=tender, user=member)
    return tender


def _bid(tender: Tender, supplier: User, rates: dict[str, str]) -> Bid:
    """A complete bid at these unit rates, with the bond the tender asks for."""
    prices = {code: Decimal(rate) for code, rate in rates.items()}
    quantities = dict(tender.boq_items.values_list("code", "quantity"))
    total = bids.fils(sum((quantities[c] * p for c, p in prices.items()), Decimal("0")))
    bond = bids.BidBond(
        bank="مصرف الشارقة الإسلامي",
        number=f"BG-{tender.reference}-{supplier.organization_id}",
        amount=bids.bond_amount_required(tender, total),
        expiry=bids.bond_expiry_required(tender),
    )
    return bids.bid_submit(
        actor=supplier,
        tender=tender,
        offer=total,
        boq_prices=prices,
        bond=bond,
        files=[
            ("technical", _pdf("technical-proposal.pdf")),
            ("bond_scan", _pdf("bid-bond.pdf")),
        ],
    )


def _open_and_evaluate(tender: Tender, members: list[User], marks: dict[int, int]) -> Tender:
    """Two members open the bids with their passphrases; the committee declares no conflict,
    finds every bid compliant and scores each criterion (`marks`: organization id → mark);
    the technical evaluation ends and the bids are ranked."""
    opening.tender_open_confirm(actor=members[0], tender=tender, passphrase=COMMITTEE[0][2])
    tender = opening.tender_open_confirm(
        actor=members[1], tender=tender, passphrase=COMMITTEE[1][2]
    )
    for member in members:
        evaluation.conflict_declare(actor=member, tender=tender, no_conflict=True)
    live = list(tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk"))
    for bid in live:
        evaluation.technical_compliance_set(actor=members[0], bid=bid, compliant=True)
        for member in members[:2]:
            for criterion in tender.criteria.all():
                evaluation.technical_score_set(
                    actor=member,
                    bid=bid,
                    criterion=criterion,
                    score=Decimal(marks[bid.organization_id]),
                )
    return evaluation.tender_technical_complete(actor=members[0], tender=tender)


def seed_tenders(stdout) -> None:
    engineer, members, suppliers = _people(stdout)
    if Tender.objects.filter(created_by=engineer).exists():
        return
    now = timezone.now()
    contractor = suppliers["contractor"]
    modern, integrated, elite = (
        suppliers["supplier1"],
        suppliers["supplier2"],
        suppliers["supplier3"],
    )

    # 1. Open for bids: enquiries for ten days, bids for 25, a question answered and published
    # (without naming who asked) and a bid already in; meetings/demo.py adds its pre-bid session
    # (meetings may import tenders, not the reverse).
    start = timezone.localtime(now).replace(hour=12, minute=0, second=0, microsecond=0)
    roads = _draft(
        engineer,
        members,
        title_ar="صيانة وإعادة تأهيل طرق المنطقة الصناعية 6",
        title_en="Maintenance and rehabilitation of Industrial Area 6 roads",
        description_ar=(
            "كشط وإعادة رصف الطبقة الإسفلتية السطحية، وتجديد العلامات الأرضية، وإصلاح "
            "مناهل تصريف مياه الأمطار في شوارع المنطقة الصناعية 6."
        ),
        description_en=(
            "Milling and resurfacing of the asphalt wearing course, new road markings and "
            "repairs to the storm-water gullies in the streets of Industrial Area 6."
        ),
        category=Tender.Category.WORKS,
        kinds=[Organization.Kind.CONTRACTOR],
        codes=["roads", "infrastructure"],
        boq=[
            ("1.1", "كشط الطبقة الإسفلتية بسماكة 5 سم", "Milling 50 mm asphalt", "m2", "18000"),
            ("1.2", "رصف طبقة سطحية بسماكة 5 سم", "50 mm wearing course", "m2", "18000"),
            ("2.1", "علامات أرضية حرارية", "Thermoplastic road markings", "m", "6500"),
            ("3.1", "إصلاح مناهل تصريف الأمطار", "Storm-water gully repairs", "no.", "42"),
        ],
        dates=(
            start + datetime.timedelta(days=10),
            start + datetime.timedelta(days=25),
            start + datetime.timedelta(days=25, hours=2),
        ),
        estimated_value=Decimal("2450000.00"),
        min_grade="3",
    )
    started = time.monotonic()
    roads = lifecycle.tender_publish(actor=engineer, tender=roads)
    publishing = datetime.timedelta(seconds=time.monotonic() - started)
    question = clarifications.clarification_ask(
        actor=modern,
        tender=roads,
        question="هل يشمل البند 1.2 طبقة لاصقة (Tack coat) أم تُسعّر منفصلة؟",
    )
    clarifications.clarification_answer_publish(
        actor=engineer,
        clarification=question,
        answer="يشمل سعر البند 1.2 الطبقة اللاصقة، ولا تُسعّر منفصلة.",
    )
    started = time.monotonic()
    _bid(roads, contractor, {"1.1": "9.50", "1.2": "48.00", "2.1": "14.00", "3.1": "3200"})
    bidding = datetime.timedelta(seconds=time.monotonic() - started)

    # 2 and 3. Published with deadlines a few seconds ahead; bids go in; then the deadline
    # passes by the real clock before the opening.
    later = (
        start + datetime.timedelta(days=5),
        start + datetime.timedelta(days=20),
        start + datetime.timedelta(days=20),
    )
    maintenance = _draft(
        engineer,
        members,
        title_ar="صيانة مباني المدارس الحكومية - المنطقة الوسطى",
        title_en="Maintenance of government school buildings - Central Region",
        description_ar=(
            "أعمال الصيانة الدورية والطارئة لمباني ثماني مدارس حكومية لمدة سنتين، شاملة "
            "الأعمال المدنية والكهروميكانيكية."
        ),
        description_en=(
            "Planned and reactive maintenance of eight government school buildings for two "
            "years, civil and electromechanical works included."
        ),
        category=Tender.Category.WORKS,
        kinds=[Organization.Kind.CONTRACTOR],
        codes=["buildings", "maintenance"],
        boq=[
            ("A.1", "صيانة دورية للمباني", "Planned building maintenance", "month", "24"),
            ("A.2", "صيانة أنظمة التكييف", "Air-conditioning maintenance", "month", "24"),
            ("B.1", "أعمال طارئة (مبلغ احتياطي)", "Reactive works (provisional)", "LS", "1"),
        ],
        dates=later,
        estimated_value=Decimal("3800000.00"),
    )
    lighting = _draft(
        engineer,
        members,
        title_ar="توريد وتركيب إنارة شوارع موفرة للطاقة (LED)",
        title_en="Supply and installation of energy-saving LED street lighting",
        description_ar="توريد 1,200 وحدة إنارة LED وتركيبها بدل وحدات الصوديوم القائمة.",
        description_en="Supply of 1,200 LED luminaires installed in place of the sodium lamps.",
        category=Tender.Category.SUPPLY,
        kinds=[Organization.Kind.SUPPLIER, Organization.Kind.CONTRACTOR],
        codes=["supplies", "electromechanical"],
        boq=[
            ("1", "وحدة إنارة LED بقدرة 150 واط", "150 W LED luminaire", "no.", "1200"),
            ("2", "فك وتركيب على الأعمدة القائمة", "Removal and fixing", "no.", "1200"),
        ],
        dates=later,
        estimated_value=Decimal("1650000.00"),
    )
    # The dates are set last, so that the window is not spent on preparing the drafts.
    enquiries_open = max(MIN_WINDOW / 2, SAFETY * 2 * publishing)
    window = max(MIN_WINDOW, enquiries_open + SAFETY * 5 * bidding)
    now = timezone.now()
    deadline = now + window
    for tender in (maintenance, lighting):
        lifecycle.tender_update(
            actor=engineer,
            tender=tender,
            enquiries_deadline=now + enquiries_open,
            submission_deadline=deadline,
            opening_at=deadline,
        )
    maintenance = lifecycle.tender_publish(actor=engineer, tender=maintenance)
    lighting = lifecycle.tender_publish(actor=engineer, tender=lighting)
    _bid(maintenance, contractor, {"A.1": "52000", "A.2": "31000", "B.1": "400000"})
    _bid(maintenance, integrated, {"A.1": "49500", "A.2": "34000", "B.1": "400000"})
    _bid(maintenance, modern, {"A.1": "47000", "A.2": "29000", "B.1": "400000"})
    _bid(lighting, elite, {"1": "960", "2": "210"})
    _bid(lighting, integrated, {"1": "1010", "2": "185"})
    wait = (deadline - timezone.now()).total_seconds()
    if wait < 0:
        raise RuntimeError("the demo bids took longer than the bidding window; raise SAFETY")
    time.sleep(wait + 0.1)
    lifecycle.tenders_advance()

    # 2. Opened and evaluated: the committee recommends the first-ranked bid and one member
    # has approved; the second approval is the demo's to give.
    maintenance.refresh_from_db()
    marks = {
        contractor.organization_id: 86,
        integrated.organization_id: 91,
        modern.organization_id: 64,  # below the pass mark: out
    }
    maintenance = _open_and_evaluate(maintenance, members, marks)
    evaluation.recommendation_make(actor=members[0], tender=maintenance)
    evaluation.recommendation_approve(actor=members[0], tender=maintenance)

    # 3. Awarded: recommended, approved by two members, awarded by the engineer; the award and
    # regret letters are issued, the standstill runs, and the other bidder has objected.
    lighting.refresh_from_db()
    marks = {elite.organization_id: 88, integrated.organization_id: 80}
    lighting = _open_and_evaluate(lighting, members, marks)
    evaluation.recommendation_make(actor=members[0], tender=lighting)
    evaluation.recommendation_approve(actor=members[0], tender=lighting)
    evaluation.recommendation_approve(actor=members[1], tender=lighting)
    award.award_make(actor=engineer, tender=lighting)
    award.objection_lodge(
        actor=integrated,
        tender=lighting,
        text="نطلب مراجعة التقييم الفني لبند الضمان: قدّمنا ضماناً لمدة خمس سنوات.",
    )
    stdout.write(
        f"  tenders: {roads.reference} open for bids (pre-bid session), "
        f"{maintenance.reference} evaluated, {lighting.reference} awarded (standstill)"
    )
