"""The department's starting catalogue: its teams and eight public-works services, each with
checklist version 1. Loaded by seed_demo; an administrator maintains it in Django admin."""

from decimal import Decimal

from django.db import transaction as db_transaction

from accounts.models import Team
from transactions.models import ChecklistItem, FormField, Service, ServiceVersion

TEAMS = [
    ("building-permits", "فريق رخص البناء", "Building permits team"),
    ("roads-infrastructure", "فريق الطرق والبنية التحتية", "Roads and infrastructure team"),
    ("registration", "فريق التسجيل والتصنيف", "Registration and classification team"),
]

PDF, DRAWING, IMAGE = ["pdf"], ["pdf", "dwg", "dxf"], ["pdf", "jpeg", "png"]

# code, team, category, fee, SLA days, (name ar, en), (description ar, en), checklist, fields
SERVICES = [
    (
        "new-building-permit",
        "building-permits",
        Service.Category.BUILDING,
        "2500.00",
        10,
        ("رخصة بناء جديدة", "New building permit"),
        (
            "إصدار رخصة لإنشاء مبنى جديد على قطعة أرض بعد تدقيق المخططات المعمارية والإنشائية.",
            "A permit to construct a new building on a plot, after the architectural and "
            "structural drawings are reviewed.",
        ),
        [
            ("site-plan", "مخطط الموقع (الأفلييشن)", "Site (affection) plan", True, PDF),
            ("architectural", "المخططات المعمارية", "Architectural drawings", True, DRAWING),
            ("structural", "المخططات الإنشائية", "Structural drawings", True, DRAWING),
            ("soil-report", "تقرير فحص التربة", "Soil investigation report", True, PDF),
            (
                "consultant-letter",
                "خطاب تعيين الاستشاري",
                "Consultant appointment letter",
                True,
                PDF,
            ),
            ("owner-id", "هوية المالك", "Owner's ID", False, IMAGE),
        ],
        [
            ("plot-number", "رقم القطعة", "Plot number", FormField.Kind.TEXT, True),
            ("plot-area", "مساحة الأرض (م²)", "Plot area (m²)", FormField.Kind.DECIMAL, True),
            ("built-up-area", "المساحة المبنية (م²)", "Built-up area (m²)", "decimal", True),
            ("floors", "عدد الطوابق", "Number of floors", FormField.Kind.INTEGER, True),
            ("project-value", "قيمة المشروع (درهم)", "Project value (AED)", "decimal", False),
        ],
    ),
    (
        "building-modification",
        "building-permits",
        Service.Category.BUILDING,
        "1200.00",
        7,
        ("تعديل أو إضافة على مبنى قائم", "Building modification or extension"),
        (
            "الموافقة على تعديل مبنى قائم أو إضافة مساحات إليه.",
            "Approval to modify an existing building or add floor area to it.",
        ),
        [
            ("existing-permit", "نسخة الرخصة القائمة", "Copy of the existing permit", True, PDF),
            ("modified-drawings", "مخططات التعديل", "Modification drawings", True, DRAWING),
            (
                "structural-safety",
                "تقرير السلامة الإنشائية",
                "Structural safety report",
                True,
                PDF,
            ),
        ],
        [
            ("permit-number", "رقم الرخصة القائمة", "Existing permit number", "text", True),
            ("plot-number", "رقم القطعة", "Plot number", "text", True),
            ("added-area", "المساحة المضافة (م²)", "Added area (m²)", "decimal", False),
        ],
    ),
    (
        "demolition-permit",
        "building-permits",
        Service.Category.BUILDING,
        "800.00",
        5,
        ("رخصة هدم", "Demolition permit"),
        (
            "تصريح بهدم مبنى قائم بعد فصل الخدمات وضمان سلامة الموقع.",
            "A permit to demolish an existing building once utilities are disconnected and "
            "the site is made safe.",
        ),
        [
            ("method-statement", "طريقة تنفيذ الهدم", "Demolition method statement", True, PDF),
            (
                "utility-letters",
                "خطابات فصل الخدمات",
                "Utility disconnection letters",
                True,
                PDF,
            ),
            ("safety-plan", "خطة السلامة في الموقع", "Site safety plan", True, PDF),
        ],
        [
            ("plot-number", "رقم القطعة", "Plot number", "text", True),
            ("building-age", "عمر المبنى (سنوات)", "Age of the building (years)", "integer", False),
        ],
    ),
    (
        "completion-certificate",
        "building-permits",
        Service.Category.BUILDING,
        "1500.00",
        7,
        ("شهادة إنجاز مبنى", "Building completion certificate"),
        (
            "شهادة تثبت أن المبنى أنجز وفق الرخصة الصادرة وأنه صالح للإشغال.",
            "Certifies that a building was completed according to its permit and may be occupied.",
        ),
        [
            ("building-permit", "نسخة رخصة البناء", "Copy of the building permit", True, PDF),
            ("as-built", "مخططات التنفيذ الفعلي", "As-built drawings", True, DRAWING),
            (
                "civil-defence",
                "موافقة الدفاع المدني",
                "Civil defence approval",
                True,
                PDF,
            ),
            (
                "completion-report",
                "تقرير الإنجاز من الاستشاري",
                "Consultant's completion report",
                True,
                PDF,
            ),
        ],
        [
            ("permit-number", "رقم رخصة البناء", "Building permit number", "text", True),
            ("completion-date", "تاريخ الإنجاز", "Completion date", FormField.Kind.DATE, True),
        ],
    ),
    (
        "road-excavation-permit",
        "roads-infrastructure",
        Service.Category.ROADS,
        "500.00",
        5,
        ("تصريح حفر في حرم الطريق", "Road excavation (right-of-way) permit"),
        (
            "تصريح بأعمال الحفر داخل حرم الطريق لتمديد الخدمات، مع خطة لإدارة الحركة المرورية.",
            "A permit to dig within a road's right of way to lay utilities, with a traffic "
            "management plan.",
        ),
        [
            ("excavation-drawings", "مخططات الحفر", "Excavation drawings", True, DRAWING),
            ("traffic-plan", "خطة إدارة الحركة المرورية", "Traffic management plan", True, PDF),
            ("insurance", "وثيقة تأمين المقاول", "Contractor's insurance policy", True, PDF),
        ],
        [
            ("road-name", "اسم الطريق", "Road name", "text", True),
            ("length", "طول الحفر (م)", "Excavation length (m)", "decimal", True),
            ("start-date", "تاريخ بدء الأعمال", "Start of works", "date", True),
            ("duration", "مدة الأعمال (أيام)", "Duration of works (days)", "integer", True),
        ],
    ),
    (
        "infrastructure-noc",
        "roads-infrastructure",
        Service.Category.INFRASTRUCTURE,
        "0.00",
        5,
        ("شهادة عدم ممانعة للبنية التحتية", "Infrastructure no-objection certificate"),
        (
            "شهادة بعدم ممانعة الدائرة لمشروع يمس شبكات الطرق أو الصرف، دون رسوم.",
            "The department's no-objection to a project that affects road or drainage "
            "networks, free of charge.",
        ),
        [
            ("location-plan", "مخطط الموقع", "Location plan", True, PDF),
            ("utility-drawings", "مخططات الخدمات", "Utility drawings", True, DRAWING),
        ],
        [
            ("plot-number", "رقم القطعة", "Plot number", "text", True),
            ("purpose", "الغرض من الطلب", "Purpose of the request", "text", True),
        ],
    ),
    (
        "consultant-registration",
        "registration",
        Service.Category.REGISTRATION,
        "3000.00",
        10,
        ("تسجيل مكتب استشاري", "Consultant office registration"),
        (
            "تسجيل مكتب استشارات هندسية لدى الدائرة ليتمكن من تقديم المعاملات والمشاركة في "
            "المناقصات.",
            "Registers an engineering consultant office with the department so it can submit "
            "transactions and take part in tenders.",
        ),
        [
            ("trade-licence", "الرخصة التجارية", "Trade licence", True, PDF),
            ("engineers-certificates", "شهادات المهندسين", "Engineers' certificates", True, PDF),
            ("engineers-cvs", "السير الذاتية للمهندسين", "Engineers' CVs", True, PDF),
            ("office-lease", "عقد إيجار المكتب", "Office lease", False, PDF),
        ],
        [
            ("licence-number", "رقم الرخصة التجارية", "Trade licence number", "text", True),
            ("engineers", "عدد المهندسين", "Number of engineers", "integer", True),
        ],
    ),
    (
        "contractor-classification-renewal",
        "registration",
        Service.Category.REGISTRATION,
        "2000.00",
        10,
        ("تجديد تصنيف مقاول", "Contractor classification renewal"),
        (
            "تجديد شهادة تصنيف المقاول وفئته بعد مراجعة ملاءته المالية وخبراته.",
            "Renews a contractor's classification certificate and grade after reviewing its "
            "finances and experience.",
        ),
        [
            (
                "classification-certificate",
                "شهادة التصنيف الحالية",
                "Current classification certificate",
                True,
                PDF,
            ),
            (
                "financial-statements",
                "القوائم المالية المدققة",
                "Audited financial statements",
                True,
                PDF,
            ),
            ("equipment-list", "قائمة المعدات", "List of equipment", True, PDF),
            ("projects-list", "قائمة المشاريع المنجزة", "Completed projects", True, PDF),
        ],
        [
            ("licence-number", "رقم الرخصة التجارية", "Trade licence number", "text", True),
            ("current-grade", "الفئة الحالية", "Current grade", "text", True),
        ],
    ),
]


@db_transaction.atomic
def catalogue_load() -> int:
    """Create the teams and services that are missing (idempotent); returns services created."""
    teams = {}
    for code, name_ar, name_en in TEAMS:
        teams[code], _ = Team.objects.get_or_create(
            code=code, defaults={"name_ar": name_ar, "name_en": name_en}
        )
    created = 0
    for position, spec in enumerate(SERVICES, start=1):
        code, team, category, fee, sla, names, descriptions, checklist, fields = spec
        if Service.objects.filter(code=code).exists():
            continue
        service = Service.objects.create(
            code=code,
            team=teams[team],
            category=category,
            fee=Decimal(fee),
            sla_days=sla,
            name_ar=names[0],
            name_en=names[1],
            description_ar=descriptions[0],
            description_en=descriptions[1],
            position=position,
        )
        version = ServiceVersion.objects.create(service=service, number=1)
        for i, (item_code, name_ar, name_en, mandatory, kinds) in enumerate(checklist):
            ChecklistItem.objects.create(
                version=version,
                code=item_code,
                name_ar=name_ar,
                name_en=name_en,
                mandatory=mandatory,
                kinds=kinds,
                position=i,
            )
        for i, (field_code, label_ar, label_en, kind, required) in enumerate(fields):
            # A required measure or count is at least 1 (an area or a number of floors of 0
            # is a typing mistake); optional ones may be 0.
            numeric = kind in (FormField.Kind.INTEGER, FormField.Kind.DECIMAL)
            FormField.objects.create(
                version=version,
                code=field_code,
                label_ar=label_ar,
                label_en=label_en,
                kind=kind,
                required=required,
                min_value=Decimal("1") if numeric and required else None,
                position=i,
            )
        created += 1
    return created
