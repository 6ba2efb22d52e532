"""Registering and changing an organization; changing one's own profile."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.models import ClassificationCategory, Organization, User
from accounts.roles import Role
from tests.factories import UserFactory


def _shows(response, message: str, language: str = "ar") -> bool:
    """Whether the page shows the message as translated into the language of the page.

    Until locale/ar is compiled the Arabic catalogue falls back to English, which this accepts.
    """
    with translation.override(language):
        return escape(translation.gettext(message)) in response.content.decode()


def _in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def newcomer(db):
    """A customer who has not registered an organization yet."""
    return UserFactory(role=Role.CUSTOMER, full_name="خالد الكعبي")


def _organization_form(**overrides) -> dict:
    return {
        "name_ar": "مقاولات النخيل",
        "name_en": "Al Nakheel Contracting",
        "kind": Organization.Kind.CONTRACTOR,
        "trade_licence_number": "SHJ-CT-555001",
        "trade_licence_expiry": _in_days(100),
        "classification_grade": Organization.Grade.THIRD,
        "categories": [ClassificationCategory.objects.get(code="roads").pk],
        **overrides,
    }


def test_customer_registers_an_organization_and_manages_it(client, newcomer):
    client.force_login(newcomer)
    response = client.post("/ar/organization/", _organization_form())
    assert response.status_code == 302
    assert response.url == "/ar/organization/"
    newcomer.refresh_from_db()
    organization = newcomer.organization
    assert organization.name_en == "Al Nakheel Contracting"
    assert organization.classification_grade == "3"
    assert [c.code for c in organization.categories.all()] == ["roads"]
    assert newcomer.organization_role == User.OrganizationRole.MANAGER
    page = client.get("/ar/organization/").content.decode()
    assert "alert-success" in page
    assert "مقاولات النخيل" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"kind": Organization.Kind.CONSULTANT, "trade_licence_number": ""},
            "A trade licence number is required for this kind.",
        ),
        (
            {"kind": Organization.Kind.SUPPLIER, "trade_licence_expiry": ""},
            "The trade licence expiry date is required for this kind.",
        ),
        (
            {"trade_licence_expiry": _in_days(-1)},
            "The trade licence has expired; renew it before registering.",
        ),
        (
            {"classification_grade": ""},
            "Contractors must state their classification grade.",
        ),
    ],
    ids=["no-licence-number", "no-licence-expiry", "expired-licence", "contractor-no-grade"],
)
def test_incomplete_organization_is_rejected(client, newcomer, overrides, message):
    client.force_login(newcomer)
    response = client.post("/ar/organization/", _organization_form(**overrides))
    assert response.status_code == 200
    assert _shows(response, message)
    assert not Organization.objects.exists()
    newcomer.refresh_from_db()
    assert newcomer.organization is None


def test_an_individual_needs_no_trade_licence(client, newcomer):
    client.force_login(newcomer)
    form = _organization_form(
        kind=Organization.Kind.INDIVIDUAL,
        trade_licence_number="",
        trade_licence_expiry="",
        classification_grade="",
    )
    assert client.post("/ar/organization/", form).status_code == 302
    assert Organization.objects.get().kind == Organization.Kind.INDIVIDUAL


def test_member_cannot_change_the_organization(client, customer):
    organization = customer.organization
    member = UserFactory(
        role=Role.CUSTOMER,
        organization=organization,
        organization_role=User.OrganizationRole.MEMBER,
    )
    client.force_login(member)
    response = client.post(
        "/ar/organization/", _organization_form(name_en="Taken Over", kind=organization.kind)
    )
    assert _shows(response, "Only the organization's manager can change its details.")
    organization.refresh_from_db()
    assert organization.name_en != "Taken Over"
    assert organization.trade_licence_number != "SHJ-CT-555001"


def test_manager_changes_the_organization(client, customer):
    client.force_login(customer)
    form = _organization_form(name_en="Renamed Office", kind=Organization.Kind.CONSULTANT)
    assert client.post("/ar/organization/", form).status_code == 302
    customer.organization.refresh_from_db()
    assert customer.organization.name_en == "Renamed Office"


def test_profile_update_saves_name_mobile_and_language(client, customer):
    client.force_login(customer)
    response = client.post(
        "/en/profile/",
        {"full_name": "Sara Al Muhairi", "mobile": "+971501234567", "preferred_language": "ar"},
    )
    # The page follows the newly chosen language at once.
    assert response.status_code == 302
    assert response.url == "/ar/profile/"
    customer.refresh_from_db()
    assert (customer.full_name, customer.mobile, customer.preferred_language) == (
        "Sara Al Muhairi",
        "+971501234567",
        "ar",
    )


def test_profile_update_rejects_a_bad_mobile(client, customer):
    client.force_login(customer)
    response = client.post(
        "/en/profile/",
        {"full_name": "Sara Al Muhairi", "mobile": "abc", "preferred_language": "en"},
    )
    assert response.status_code == 200
    assert _shows(
        response, "Enter a mobile number of 9 to 15 digits, for example +971501234567.", "en"
    )
    customer.refresh_from_db()
    assert customer.mobile == ""
    assert customer.full_name == "سارة المهيري"


def test_organization_page_query_count_does_not_grow_with_members(client, customer):
    client.force_login(customer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/ar/organization/").status_code == 200
        return len(captured)

    one = queries()
    for _ in range(20):
        UserFactory(organization=customer.organization)
    assert queries() == one
