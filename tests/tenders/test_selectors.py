"""Eligibility (kind, grade, category, invitation), what each person sees, and the factories
that every tenders test builds on."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.models import ClassificationCategory, Organization
from tenders import selectors
from tenders.models import Bid, Tender
from tests.tenders import factories as f

pytestmark = pytest.mark.django_db

STATES = [
    "draft",
    "ready",
    "published",
    "tendering",
    "closed",
    "opened",
    "technical_evaluation",
    "financial_evaluation",
    "unsuccessful",
    "awarded",
    "contracted",
    "cancelled",
]


@pytest.mark.parametrize("status", STATES)
def test_factories_build_every_state(people, status):
    tender = f.tender_at(status, people=people)
    assert tender.status == ("draft" if status == "ready" else status)


# --- eligibility ---------------------------------------------------------------------------------
def _both_ways(organization, tender) -> bool:
    """The Python rule and the SQL rule must agree; returns their answer."""
    in_python = selectors.tender_eligible(organization, tender)
    in_sql = selectors.tenders_eligible_for(organization).filter(pk=tender.pk).exists()
    by_organizations = (
        selectors.organizations_eligible_for(tender).filter(pk=organization.pk).exists()
    )
    assert in_python == in_sql == by_organizations
    return in_python


@pytest.fixture
def tender(people):
    return f.tender_at("published", people=people)  # contractors, grade 3 or better, category


def _organization(*, kind="contractor", grade="2", categories=()):
    organization = f.OrganizationFactory(kind=kind, classification_grade=grade)
    organization.categories.set(categories)
    return organization


def test_kind(tender, category):
    assert _both_ways(_organization(categories=[category]), tender)
    assert not _both_ways(_organization(kind="consultant", categories=[category]), tender)


@pytest.mark.parametrize(
    "grade, eligible", [("1", True), ("2", True), ("3", True), ("4", False), ("", False)]
)
def test_grade_one_is_highest(tender, category, grade, eligible):
    assert _both_ways(_organization(grade=grade, categories=[category]), tender) is eligible


def test_category(tender, category):
    other = ClassificationCategory.objects.create(code="roads-x", name_ar="طرق", name_en="Roads")
    assert not _both_ways(_organization(categories=[other]), tender)
    assert not _both_ways(_organization(categories=[]), tender)
    assert _both_ways(_organization(categories=[other, category]), tender)


def test_empty_rules_mean_anyone(people):
    tender = f.tender_at("published", people=people, eligible_kinds=[], min_grade="", categories=[])
    assert _both_ways(_organization(kind="individual", grade=""), tender)


def test_limited_tenders_need_an_invitation(people, category):
    invited = _organization(categories=[category])
    tender = f.tender_at("ready", people=people, method="limited", invited=[invited])
    assert _both_ways(invited, tender)
    assert not _both_ways(people.supplier.organization, tender)


def test_no_organization_is_never_eligible(tender):
    assert not selectors.tender_eligible(None, tender)
    assert not selectors.tenders_eligible_for(None).exists()


# --- visibility ----------------------------------------------------------------------------------
def test_suppliers_see_published_tenders_they_are_eligible_for(people):
    draft = f.tender_at("draft", people=people)
    published = f.tender_at("published", people=people)
    cancelled = f.tender_at("cancelled", people=people)
    assert set(selectors.tenders_visible_to(people.supplier)) == {published, cancelled}
    assert not selectors.tenders_visible_to(people.ineligible_supplier).exists()
    with pytest.raises(Http404):
        selectors.tender_get_for_user(user=people.supplier, pk=draft.pk)
    with pytest.raises(Http404):
        selectors.tender_get_for_user(user=people.ineligible_supplier, pk=published.pk)
    assert selectors.tender_get_for_user(user=people.supplier, pk=published.pk) == published
    assert published.user_can_view_files(people.supplier)
    assert not draft.user_can_view_files(people.supplier)
    assert not published.user_can_view_files(people.ineligible_supplier)


def test_staff_see_everything_and_anonymous_nothing(people, member_a, admin_user):
    tenders = {f.tender_at(s, people=people) for s in ("draft", "published")}
    for user in (people.engineer, member_a, admin_user):
        assert set(selectors.tenders_visible_to(user)) == tenders
    assert not selectors.tenders_visible_to(AnonymousUser()).exists()
    with pytest.raises(Http404):
        selectors.tender_get_for_user(user=AnonymousUser(), pk=next(iter(tenders)).pk)


def test_a_customer_without_an_organization_sees_nothing(people, customer):
    customer.organization = None
    customer.save()
    f.tender_at("published", people=people, eligible_kinds=[], min_grade="", categories=[])
    assert not selectors.tenders_visible_to(customer).exists()


def test_a_bid_is_seen_by_its_organization_then_by_the_committee_after_the_opening(people):
    tender = f.tender_at("tendering", people=people, bidders=[people.supplier])
    bid = Bid.objects.get(tender=tender)
    colleague = f.CustomerFactory(organization=people.supplier.organization)
    assert selectors.bid_visible_to_user(user=people.supplier, bid=bid)
    assert selectors.bid_visible_to_user(user=colleague, bid=bid)
    for user in (people.other_supplier, people.engineer, people.committee[0]):
        assert not selectors.bid_visible_to_user(user=user, bid=bid)
    opened = f.tender_at("opened", people=people, bidders=[people.supplier])
    bid = Bid.objects.get(tender=opened)
    assert selectors.bid_visible_to_user(user=people.engineer, bid=bid)
    assert selectors.bid_visible_to_user(user=people.committee[0], bid=bid)
    assert not selectors.bid_visible_to_user(user=people.other_supplier, bid=bid)


# --- allowed_actions (the core's actions; the pages helper's drift test covers them all) --------
@pytest.mark.parametrize(
    "status, for_engineer, for_supplier",
    [
        ("draft", {"edit", "cancel"}, set()),
        ("ready", {"edit", "publish", "cancel"}, set()),
        ("published", {"answer", "addendum", "cancel"}, {"ask", "bid"}),
        ("tendering", {"answer", "addendum", "cancel"}, {"bid"}),
        ("closed", {"cancel"}, set()),
        ("contracted", set(), set()),
        ("cancelled", set(), set()),
    ],
)
def test_allowed_actions_offers_what_the_core_services_accept(
    people, status, for_engineer, for_supplier
):
    tender = f.tender_at(status, people=people)
    core = {"edit", "publish", "cancel", "ask", "answer", "addendum", "bid"}
    assert selectors.allowed_actions(user=people.engineer, tender=tender) & core == for_engineer
    assert selectors.allowed_actions(user=people.supplier, tender=tender) & core == for_supplier
    assert selectors.allowed_actions(user=people.ineligible_supplier, tender=tender) == set()
    assert selectors.allowed_actions(user=AnonymousUser(), tender=tender) == set()


def test_every_status_has_a_factory():
    assert {s for s in STATES if s != "ready"} == set(Tender.Status.values)
    assert Organization.Grade.FIRST == "1"


# --- the admin -----------------------------------------------------------------------------------
def test_the_admin_shows_nothing_sealed(people, admin_user, client):
    """Lists and detail pages of every tenders model: no sealed value, ciphertext file name or
    key appears, before the opening (when prices exist only sealed)."""
    from django.contrib import admin as django_admin
    from django.urls import reverse

    from tenders.models import BidFile, CommitteeMember, MemberKey

    tender = f.tender_at("tendering", people=people)
    bid = f.bid_submit_for(tender=tender, user=people.supplier, rate=Decimal("123.47"))
    secrets = [
        bytes(bid.sealed_offer),
        bytes(tender.sealed_private_key),
        *(bytes(m.sealed_share) for m in CommitteeMember.objects.filter(tender=tender)),
        *(bytes(k.protected_private_key) for k in MemberKey.objects.all()),
        *(bytes(b.sealed_key) for b in BidFile.objects.all()),
    ]
    file_names = [b.ciphertext.name for b in BidFile.objects.all()]
    total = sum(item.quantity * Decimal("123.47") for item in tender.boq_items.all())
    client.force_login(admin_user)
    pages = []
    for model in django_admin.site._registry:
        if model._meta.app_label != "tenders":
            continue
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        row = model.objects.first()
        if row is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content
        for secret in secrets:
            assert secret not in body and secret.hex().encode() not in body, url
        for name in file_names:
            assert name.encode() not in body, url
        for field in (
            "sealed_offer",
            "sealed_private_key",
            "sealed_share",
            "sealed_key",
            "ciphertext",
            "held_share",
            "protected_private_key",
            "salt",
        ):
            assert f"field-{field}".encode() not in body, (url, field)
            assert f"column-{field}".encode() not in body, (url, field)
        for price in ("123.47", "123,47", f"{total:.2f}", f"{total:,.2f}"):  # sealed prices
            assert str(price).encode() not in body, url
    # The check above looks for the admin's own field markup: it is there for shown fields.
    shown = client.get(reverse("admin:tenders_bid_change", args=[bid.pk])).content
    assert b"field-receipt_hash" in shown
