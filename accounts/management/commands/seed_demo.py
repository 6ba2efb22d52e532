"""Demo data for the embedded portal: one login per role and two customer organizations.

Idempotent: running it again changes nothing that is already there. Later capabilities add
their own demo data by extending SEED_STEPS.
"""

import datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import ClassificationCategory, Organization, User
from accounts.roles import Role
from accounts.services import organization_create
from portal.models import Holiday

DEMO_PASSWORD = "Demo-pass-2026"

ORGANIZATIONS = {
    "consultant": dict(
        name_ar="مكتب الريادة للاستشارات الهندسية",
        name_en="Al Riyada Engineering Consultants",
        kind=Organization.Kind.CONSULTANT,
        trade_licence_number="SHJ-CN-100234",
        classification_grade="",
        categories=["consultancy", "buildings"],
    ),
    "contractor": dict(
        name_ar="شركة الخليج للمقاولات العامة",
        name_en="Gulf General Contracting LLC",
        kind=Organization.Kind.CONTRACTOR,
        trade_licence_number="SHJ-CT-200871",
        classification_grade="2",
        categories=["buildings", "roads", "infrastructure"],
    ),
}

# (e-mail, full name, role, organization key or None, is_staff/superuser). The department's
# people and its Emirati customers write their names in Arabic, as a real department's records
# do; the title is Arabic too («م.» for an engineer).
USERS = [
    ("customer@demo.pwd.ae", "سارة المهيري", Role.CUSTOMER, "consultant", False),
    ("contractor@demo.pwd.ae", "عمر النعيمي", Role.CUSTOMER, "contractor", False),
    ("agent@demo.pwd.ae", "مريم الشامسي", Role.HAPPINESS_AGENT, None, False),
    ("reviewer@demo.pwd.ae", "م. خالد السويدي", Role.REVIEWER, None, False),
    ("contracts@demo.pwd.ae", "م. هدى العلي", Role.CONTRACTS_ENGINEER, None, False),
    ("committee1@demo.pwd.ae", "أحمد المرزوقي", Role.TENDER_COMMITTEE, None, False),
    ("committee2@demo.pwd.ae", "فاطمة الزرعوني", Role.TENDER_COMMITTEE, None, False),
    ("finance@demo.pwd.ae", "يوسف الحمادي", Role.FINANCE_OFFICER, None, False),
    ("admin@demo.pwd.ae", "مدير البوابة", None, None, True),
]


def seed_accounts(stdout) -> None:
    """Users first; each customer registers its organization through the real service, which
    also issues the registration receipt (a PDF with a QR verification code)."""
    expiry = timezone.localdate() + datetime.timedelta(days=365)
    for email, name, role, org_key, is_admin in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                full_name=name,
                is_staff=is_admin,
                is_superuser=is_admin,
            )
        if role:
            user.groups.add(Group.objects.get(name=role))
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if org_key and user.organization_id is None:
            spec = dict(ORGANIZATIONS[org_key])
            codes = spec.pop("categories")
            spec["categories"] = list(ClassificationCategory.objects.filter(code__in=codes))
            spec["trade_licence_expiry"] = expiry
            organization_create(actor=user, data=spec)
        stdout.write(f"  {email:28} {DEMO_PASSWORD}   {role or 'administrator'}")


# The UAE's fixed-date public holidays; the Islamic holidays follow the moon sighting and are
# added in admin as they are announced.
FIXED_HOLIDAYS = [
    (1, 1, "رأس السنة الميلادية", "New Year's Day"),
    (12, 1, "يوم الشهيد", "Commemoration Day"),
    (12, 2, "اليوم الوطني", "National Day"),
    (12, 3, "اليوم الوطني", "National Day holiday"),
]


def seed_holidays(stdout) -> None:
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        for month, day, name_ar, name_en in FIXED_HOLIDAYS:
            Holiday.objects.get_or_create(
                date=datetime.date(year, month, day),
                defaults={"name_ar": name_ar, "name_en": name_en},
            )


SEED_STEPS = [seed_holidays, seed_accounts]


class Command(BaseCommand):
    help = "Create demo data: a login for every role and two customer organizations."

    def handle(self, *args, **options) -> None:
        self.stdout.write("Demo logins (e-mail, password, role):")
        with transaction.atomic():
            for step in SEED_STEPS:
                step(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
