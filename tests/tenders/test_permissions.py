"""Every tenders page and operation × persona (Done-when 5): a supplier sees only the tenders it
is eligible for and never another supplier's bid; nobody sees amounts or bidders before the
opening (a contracts engineer sees the count only); pages and the API hide the same things from
the same people (STYLE 17)."""

import json

import pytest
from rest_framework.test import APIClient

from tenders.models import Bid, Tender
from tests.tenders import factories as f
from tests.tenders.journey import RATES, submit, tender_in

S = Tender.Status
PERSONAS = [
    "anonymous",
    "supplier",
    "other_supplier",
    "ineligible_supplier",
    "engineer",
    "member",
    "outsider_member",
    "admin",
]
STAFF = {"engineer", "member", "outsider_member", "admin"}


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def persons(people, admin_user):
    return {
        "anonymous": None,
        "supplier": people.supplier,
        "other_supplier": people.other_supplier,
        "ineligible_supplier": people.ineligible_supplier,
        "engineer": people.engineer,
        "member": people.committee[0],
        "outsider_member": f.committee_user(email="outsider@example.ae", passphrase=None),
        "admin": admin_user,
    }


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


# (URL template, {persona: expected status}); "*" is every persona not named. 302 for the
# anonymous visitor is the sign-in page; 404 hides a tender from who may not see it.
def _pages(tendering: Tender, draft: Tender) -> list[tuple[str, dict]]:
    t, d = tendering.pk, draft.pk
    return [
        (
            "/en/tenders/",
            {"anonymous": 302, **dict.fromkeys(STAFF, 302), "*": 200},
        ),
        (
            "/en/tenders/bids/",
            {"anonymous": 302, **dict.fromkeys(STAFF, 404), "*": 200},
        ),
        (
            f"/en/tenders/{t}/",
            {"anonymous": 302, "ineligible_supplier": 404, "*": 200},
        ),
        (
            f"/en/tenders/{d}/",
            {"anonymous": 302, **dict.fromkeys(STAFF, 200), "*": 404},
        ),
        (
            f"/en/tenders/{t}/bid/",
            {
                "anonymous": 302,
                "ineligible_supplier": 404,
                **dict.fromkeys(STAFF, 302),  # back to the tender page: staff never bid
                "*": 200,
            },
        ),
        (
            "/en/staff/tenders/",
            {"anonymous": 302, **dict.fromkeys(STAFF, 200), "*": 403},
        ),
        (
            "/en/staff/tenders/new/",
            {"anonymous": 302, "engineer": 200, "admin": 200, "*": 403},
        ),
        (
            f"/en/staff/tenders/{d}/edit/",
            {"anonymous": 302, "engineer": 200, "admin": 200, "*": 403},
        ),
        (
            f"/en/staff/tenders/{t}/edit/",  # not a draft any more: back to the tender page
            {"anonymous": 302, "engineer": 302, "admin": 302, "*": 403},
        ),
        (
            "/en/staff/tenders/clarifications/",
            {"anonymous": 302, "engineer": 200, "admin": 200, "*": 403},
        ),
        (
            "/en/staff/tenders/passphrase/",
            {"anonymous": 302, "member": 200, "outsider_member": 200, "admin": 200, "*": 403},
        ),
        (
            f"/en/staff/tenders/{t}/opening/",
            {"anonymous": 302, **dict.fromkeys(STAFF, 200), "*": 403},
        ),
        (
            f"/en/staff/tenders/{t}/evaluation/",  # before the opening: back to the tender page
            {"anonymous": 302, **dict.fromkeys(STAFF, 302), "*": 403},
        ),
    ]


def test_every_page_for_every_persona(client, people, persons):
    tendering = f.tender_at("tendering", people=people)
    submit(tendering, people.supplier, RATES["supplier"])
    submit(tendering, people.other_supplier, RATES["other_supplier"])
    draft = f.tender_at("draft", people=people)
    problems = []
    for url, expected in _pages(tendering, draft):
        for persona in PERSONAS:
            want = expected.get(persona, expected["*"])
            got = _as(client, persons[persona]).get(url).status_code
            if got != want:
                problems.append((url, persona, want, got))
    assert not problems, problems


# POST operations of the tender page: (action, persona allowed) on a tendering tender with bids;
# every other persona is refused and nothing changes.
def test_operations_are_refused_to_every_other_persona(client, people, persons):
    tender = f.tender_at("published", people=people)
    before = _snapshot(tender)
    data = {
        "ask": {"ask-question": "When?"},
        "cancel": {"cancel-reason": "No."},
        "addendum": {"addendum-description_ar": "x", "addendum-description_en": "x"},
        "publish": {},
        "award": {},
        "withdraw-bid": {},
        "object": {"object-text": "No."},
    }
    allowed = {"ask": {"supplier", "other_supplier"}, "cancel": {"engineer", "admin"}}
    allowed["addendum"] = {"engineer", "admin"}
    for action, body in data.items():
        for persona in PERSONAS:
            if persona in allowed.get(action, set()):
                continue
            response = _as(client, persons[persona]).post(
                f"/en/tenders/{tender.pk}/{action}/", body, HTTP_REFERER="/en/"
            )
            # Sign-in (anonymous), 404 (may not see it), 403 (role), or a refusal message
            # back on the page the request came from (a DomainError: wrong status).
            assert response.status_code in (302, 403, 404), (action, persona)
            if response.status_code == 302 and persona != "anonymous":
                assert not response.url.endswith(f"/tenders/{tender.pk}/"), (action, persona)
            assert _snapshot(tender) == before, (action, persona)


def _snapshot(tender: Tender) -> tuple:
    tender.refresh_from_db()
    return (
        tender.status,
        tender.clarifications.count(),
        tender.addenda.count(),
        Bid.objects.filter(tender=tender).count(),
        tender.objections.count(),
    )


def _api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


SECRETS = ("280,000.00", "280000", "300,000.00", "300000", "Sharjah Islamic Bank", "BG-2026-0042")


def test_nobody_sees_amounts_or_bidders_before_the_opening(client, people, persons, time_machine):
    tender = tender_in("closed", people=people, clock=time_machine)
    bidders = [people.supplier.organization.name_en, people.other_supplier.organization.name_en]
    for persona in STAFF:
        user = persons[persona]
        pages = [
            _as(client, user).get(url).content.decode()
            for url in (
                f"/en/tenders/{tender.pk}/",
                "/en/staff/tenders/",
                f"/en/staff/tenders/{tender.pk}/opening/",
            )
        ]
        api = [
            json.dumps(_api(user).get(url).json())
            for url in (f"/api/v1/tenders/{tender.pk}/", "/api/v1/tenders/")
        ]
        for text in pages + api:
            for secret in (*SECRETS, *bidders):
                assert secret not in text, (persona, secret)
        assert 'data-testid="bid-count">2<' in pages[0], persona
        assert json.loads(api[0])["bid_count"] == 2


def test_a_supplier_never_sees_another_suppliers_bid(client, people, persons):
    tender = f.tender_at("tendering", people=people)
    mine = submit(tender, people.supplier, RATES["supplier"])
    theirs = submit(tender, people.other_supplier, RATES["other_supplier"])
    page = _as(client, people.supplier).get(f"/en/tenders/{tender.pk}/").content.decode()
    bids_page = _as(client, people.supplier).get("/en/tenders/bids/").content.decode()
    api = json.dumps(_api(people.supplier).get(f"/api/v1/tenders/{tender.pk}/").json())
    api_bids = json.dumps(_api(people.supplier).get("/api/v1/tenders/bids/").json())
    for text in (page, bids_page, api, api_bids):
        assert mine.receipt_hash in text
        assert theirs.receipt_hash not in text
        assert people.other_supplier.organization.name_en not in text
    # Its receipt is not downloadable by the other supplier either.
    theirs.refresh_from_db()
    if theirs.receipt_id:
        response = _as(client, people.supplier).get(f"/en/documents/{theirs.receipt_id}/download/")
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_and_the_api_hide_the_same_fields(client, people, persons, persona):
    """The estimate and the bid count: both on the page and in the API, or in neither."""
    tender = f.tender_at("tendering", people=people)
    user = persons[persona]
    page = _as(client, user).get(f"/en/tenders/{tender.pk}/")
    response = _api(user).get(f"/api/v1/tenders/{tender.pk}/")
    if user is None:
        assert page.status_code == 302 and response.status_code == 401
        return
    if page.status_code == 404:
        assert response.status_code == 404
        return
    html, data = page.content.decode(), response.json()
    assert ("1,500,000.00" in html) == (data["estimated_value"] == "1500000.00"), persona
    assert ('data-testid="bid-count"' in html) == (data["bid_count"] is not None), persona
    assert ('data-testid="my-bid"' in html) == (persona not in STAFF), persona
    # Who asked a question is never in a supplier's view.
    assert (data["committee"] is not None) == (persona in STAFF)


def test_ineligible_and_uninvited_suppliers_see_nothing(client, people, persons):
    from accounts.models import Organization

    invited = Organization.objects.get(pk=people.other_supplier.organization_id)
    limited = f.tender_at(
        "published", people=people, method=Tender.Method.LIMITED, invited=[invited]
    )
    for persona, visible in (("supplier", False), ("other_supplier", True)):
        user = persons[persona]
        status = _as(client, user).get(f"/en/tenders/{limited.pk}/").status_code
        assert status == (200 if visible else 404), persona
        assert _api(user).get(f"/api/v1/tenders/{limited.pk}/").status_code == status
        listed = [r["id"] for r in _api(user).get("/api/v1/tenders/").json()["results"]]
        assert (limited.pk in listed) == visible


def test_staff_operations_are_refused_to_suppliers_and_visitors(
    client, people, persons, time_machine
):
    """The draft, evaluation and opening operations: 302 to sign in for visitors, 403 for
    suppliers (the pages are staff only), and nothing changes."""
    draft = f.tender_at("draft", people=people)
    opened = tender_in("opened", people=people, clock=time_machine)
    bid = opened.bids.first()
    posts = [
        (f"/en/staff/tenders/{draft.pk}/edit/", {"title_en": "x"}),
        (f"/en/staff/tenders/{draft.pk}/edit/criterion/", {"criterion-weight": "10"}),
        (f"/en/staff/tenders/{draft.pk}/edit/committee/", {"committee-user": people.engineer.pk}),
        ("/en/staff/tenders/new/", {"title_en": "x"}),
        ("/en/staff/tenders/passphrase/", {"passphrase": "x" * 20, "passphrase2": "x" * 20}),
        (f"/en/staff/tenders/{opened.pk}/opening/", {"passphrase": f.PASSPHRASES[0]}),
        (f"/en/staff/tenders/{opened.pk}/evaluation/declare/", {"declare-no_conflict": "yes"}),
        (f"/en/staff/tenders/{opened.pk}/evaluation/complete-technical/", {}),
        (f"/en/staff/tenders/{opened.pk}/bids/{bid.pk}/compliance/", {}),
    ]
    before = (
        Tender.objects.get(pk=draft.pk).title_en,
        draft.criteria.count(),
        opened.conflict_declarations.count(),
        opened.status,
    )
    for persona in ("anonymous", "supplier", "other_supplier", "ineligible_supplier"):
        for url, body in posts:
            response = _as(client, persons[persona]).post(url, body)
            want = 302 if persona == "anonymous" else 403
            assert response.status_code == want, (persona, url, response.status_code)
    opened.refresh_from_db()
    after = (
        Tender.objects.get(pk=draft.pk).title_en,
        draft.criteria.count(),
        opened.conflict_declarations.count(),
        opened.status,
    )
    assert after == before
