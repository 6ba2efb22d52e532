"""The signed-in tenders pages, walked as each persona uses them: the supplier's list, tender
page, questions, bid form (submit, change, withdraw) and receipts; the contracts engineer's
dashboard, draft and clarification inbox; the committee's passphrase, opening ceremony and
evaluation sheet; the award and the contract; the staff home panel and the home page link."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.utils import timezone

from portal.models import AuditEvent
from tenders.models import Bid, Clarification, MemberKey, Objection, Tender
from tenders.services import bids as bid_services
from tenders.services import clarifications
from tests.tenders import factories as f
from tests.tenders.journey import RATES, submit, tender_in, total_of

S = Tender.Status


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def page(client, user, url: str, **kwargs):
    client.force_login(user)
    response = client.get(url, **kwargs)
    return response, response.content.decode()


def bid_post(tender: Tender, rates: dict, **overrides) -> dict:
    """The bid form's fields for a valid bid at these rates."""
    total = total_of(rates)
    data = {
        "total": str(total),
        "bond_bank": "Sharjah Islamic Bank",
        "bond_number": "BG-2026-0042",
        "bond_amount": str((total * tender.bid_bond_percent / 100).quantize(Decimal("0.01"))),
        "bond_expiry": (
            timezone.localdate(tender.submission_deadline)
            + timedelta(days=tender.bid_validity_days + 1)
        ).isoformat(),
        "bond_scan": f.pdf("bond.pdf"),
        "technical_files": [f.pdf("method.pdf"), f.pdf("programme.pdf")],
    }
    for item in tender.boq_items.all():
        data[f"rate_{item.pk}"] = str(rates[item.code])
    data.update(overrides)
    return data


# --- the supplier --------------------------------------------------------------------------------


def test_a_supplier_lists_only_the_tenders_it_is_eligible_for(client, people, time_machine):
    open_one = tender_in("tendering", people=people, clock=None, with_bids=False)
    draft = f.tender_at("draft", people=people)
    response, html = page(client, people.supplier, "/en/tenders/")
    assert response.status_code == 200
    assert open_one.reference in html and draft.reference not in html
    assert 'data-label="Bids until"' in html  # the mobile card's labels
    _response, html = page(client, people.ineligible_supplier, "/en/tenders/")
    assert open_one.reference not in html
    assert "No tender is open to your organization" in html


def test_the_tender_page_shows_documents_criteria_and_boq_but_never_the_estimate(client, people):
    tender = f.tender_at("tendering", people=people)
    response, html = page(client, people.supplier, f"/en/tenders/{tender.pk}/")
    assert response.status_code == 200
    assert "Specifications" in html and "version 1" in html
    assert "Excavation" in html and "A.1" in html
    assert "Method" in html and "60%" in html
    assert "1,500,000.00" not in html and "estimated-value" not in html
    assert 'data-action="bid"' in html and 'data-action="ask"' not in html  # enquiries over
    # Staff see the estimate and the bid count.
    _response, html = page(client, people.engineer, f"/en/tenders/{tender.pk}/")
    assert "1,500,000.00 AED" in html and 'data-testid="bid-count">0<' in html


def test_a_question_is_answered_and_published_without_who_asked(client, people):
    tender = f.tender_at("published", people=people)
    client.force_login(people.supplier)
    response = client.post(
        f"/en/tenders/{tender.pk}/ask/", {"ask-question": "Is the site survey included?"}
    )
    assert response.status_code == 302
    question = Clarification.objects.get(tender=tender)
    assert question.asked_by == people.supplier and question.published_at is None
    # Not published yet: the other supplier does not see it.
    _response, html = page(client, people.other_supplier, f"/en/tenders/{tender.pk}/")
    assert "site survey" not in html
    # The engineer sees it in the inbox and on the tender page, and answers.
    _response, html = page(client, people.engineer, "/en/staff/tenders/clarifications/")
    assert "site survey" in html and tender.reference in html
    _response, html = page(client, people.engineer, f"/en/tenders/{tender.pk}/")
    assert 'data-testid="inbox"' in html
    response = client.post(
        f"/en/tenders/{tender.pk}/clarifications/{question.pk}/answer/",
        {f"answer-{question.pk}-answer": "Yes, in item A.1."},
    )
    assert response.status_code == 302
    _response, html = page(client, people.other_supplier, f"/en/tenders/{tender.pk}/")
    assert "site survey" in html and "Yes, in item A.1." in html
    organization = people.supplier.organization
    assert organization.name_en not in html and people.supplier.full_name not in html


def test_an_empty_question_shows_the_error_summary(client, people):
    tender = f.tender_at("published", people=people)
    client.force_login(people.supplier)
    response = client.post(f"/en/tenders/{tender.pk}/ask/", {"ask-question": ""})
    assert response.status_code == 400
    assert 'data-testid="error-summary"' in response.content.decode()
    assert not Clarification.objects.filter(tender=tender).exists()


def test_a_supplier_bids_changes_and_withdraws_from_the_pages(client, people):
    tender = f.tender_at("tendering", people=people)
    client.force_login(people.supplier)
    response = client.get(f"/en/tenders/{tender.pk}/bid/")
    assert response.status_code == 200
    assert "<bdi>A.1</bdi> — rate per <bdi>m3</bdi> (AED)" in response.content.decode()
    response = client.post(f"/en/tenders/{tender.pk}/bid/", bid_post(tender, RATES["supplier"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    bid = Bid.objects.get(tender=tender)
    assert bid.version == 1 and bid.files.count() == 3
    _response, html = page(client, people.supplier, f"/en/tenders/{tender.pk}/")
    assert bid.receipt_hash in html and 'data-action="change-bid"' in html
    assert "280,000.00" not in html  # sealed: the page never shows what it cannot read
    # Change: a whole new bid, version 2.
    response = client.post(
        f"/en/tenders/{tender.pk}/bid/", bid_post(tender, RATES["other_supplier"])
    )
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.version == 2
    # Withdraw.
    response = client.post(f"/en/tenders/{tender.pk}/withdraw-bid/")
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.status == Bid.Status.WITHDRAWN
    # A new bid after the withdrawal: the page shows the live one.
    response = client.post(f"/en/tenders/{tender.pk}/bid/", bid_post(tender, RATES["supplier"]))
    assert response.status_code == 302
    live = Bid.objects.get(tender=tender, status=Bid.Status.SUBMITTED)
    _response, html = page(client, people.supplier, f"/en/tenders/{tender.pk}/")
    assert live.receipt_hash in html and 'data-testid="my-bid-status">Submitted<' in html


def test_a_refused_bid_shows_the_services_reason_and_stores_nothing(client, people):
    tender = f.tender_at("tendering", people=people)
    client.force_login(people.supplier)
    data = bid_post(tender, RATES["supplier"], bond_amount="10.00")
    response = client.post(f"/en/tenders/{tender.pk}/bid/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-summary"' in html and "at least 2%" in html
    assert not Bid.objects.filter(tender=tender).exists()


def test_bid_files_are_read_into_memory_only(client, people, settings, monkeypatch):
    """Whatever their size, a bid's uploads never reach a temporary file on disk in clear."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django's default chain would spill to disk
    tender = f.tender_at("tendering", people=people)
    seen = []
    real = bid_services.bid_submit

    def spy(**kwargs):
        seen.extend(upload for _kind, upload in kwargs["files"])
        return real(**kwargs)

    monkeypatch.setattr(bid_services, "bid_submit", spy)
    client.force_login(people.supplier)
    response = client.post(f"/en/tenders/{tender.pk}/bid/", bid_post(tender, RATES["supplier"]))
    assert response.status_code == 302
    assert len(seen) == 3
    assert all(isinstance(upload, InMemoryUploadedFile) for upload in seen)


def test_my_bids_lists_the_receipts(client, people):
    tender = f.tender_at("tendering", people=people)
    submit(tender, people.supplier, RATES["supplier"])
    response, html = page(client, people.supplier, "/en/tenders/bids/")
    assert response.status_code == 200
    assert tender.reference in html and "Bid receipt" in html
    # The other organization's page lists none of it.
    _response, html = page(client, people.other_supplier, "/en/tenders/bids/")
    assert tender.reference not in html


def test_the_results_show_the_rank_the_winner_and_the_letters(client, people, time_machine):
    tender = tender_in("awarded", people=people, clock=time_machine)
    _response, html = page(client, people.other_supplier, f"/en/tenders/{tender.pk}/")
    assert 'data-testid="result"' in html and "280,000.00 AED" in html
    assert 'data-testid="my-rank">2<' in html
    assert "Letter of regret" in html or "regret" in html.lower()
    # An objection during the standstill.
    client.force_login(people.other_supplier)
    response = client.post(
        f"/en/tenders/{tender.pk}/object/", {"object-text": "Our price was not read right."}
    )
    assert response.status_code == 302
    objection = Objection.objects.get(tender=tender)
    # The committee answers it from the tender page.
    _response, html = page(client, people.committee[0], f"/en/tenders/{tender.pk}/")
    assert "Our price was not read right." in html and 'data-action="answer-objection"' in html
    response = client.post(
        f"/en/tenders/{tender.pk}/objections/{objection.pk}/answer/",
        {f"objection-{objection.pk}-answer": "It was read as submitted."},
    )
    assert response.status_code == 302
    _response, html = page(client, people.other_supplier, f"/en/tenders/{tender.pk}/")
    assert "It was read as submitted." in html


# --- the contracts engineer ----------------------------------------------------------------------


def test_the_dashboard_counts_bids_and_shows_no_amount_before_the_opening(client, people):
    tender = f.tender_at("tendering", people=people)
    submit(tender, people.supplier, RATES["supplier"])
    submit(tender, people.other_supplier, RATES["other_supplier"])
    response, html = page(client, people.engineer, "/en/staff/tenders/")
    assert response.status_code == 200
    assert 'data-testid="row-bids">2<' in html
    _response, detail = page(client, people.engineer, f"/en/tenders/{tender.pk}/")
    for secret in ("280,000.00", "300,000.00", "280000", "Sharjah Islamic Bank"):
        assert secret not in html and secret not in detail
    for organization in (people.supplier.organization, people.other_supplier.organization):
        assert organization.name_en not in detail
    assert "2 bids received" in detail


def test_the_engineer_builds_a_draft_and_publishes_it(client, people):
    client.force_login(people.engineer)
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    response = client.post(
        "/en/staff/tenders/new/",
        {
            "title_ar": "صيانة المباني",
            "title_en": "Building maintenance",
            "description_ar": "صيانة",
            "description_en": "Maintenance",
            "category": "works",
            "method": "open",
            "eligible_kinds": ["contractor"],
            "min_grade": "3",
            "categories": [people.category.pk],
            "estimated_value": "500000",
            "bid_bond_percent": "2",
            "bid_validity_days": "90",
            "technical_pass_mark": "70",
            "financial_method": "lowest_price",
            "technical_weight": "",
            "enquiries_deadline": (now + timedelta(days=2)).strftime(fmt),
            "submission_deadline": (now + timedelta(days=9)).strftime(fmt),
            "opening_at": (now + timedelta(days=9, hours=1)).strftime(fmt),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tender = Tender.objects.get(title_en="Building maintenance")
    base = f"/en/staff/tenders/{tender.pk}/edit/"
    assert response.url.endswith(base)
    posts = [
        (
            "criterion",
            {
                "criterion-name_ar": "الخبرة",
                "criterion-name_en": "Experience",
                "criterion-weight": "100",
            },
        ),
        (
            "boq",
            {
                "boq-code": "B.1",
                "boq-description_ar": "دهان",
                "boq-description_en": "Painting",
                "boq-unit": "m2",
                "boq-quantity": "500",
            },
        ),
        (
            "document",
            {
                "document-kind": "specifications",
                "document-title_ar": "المواصفات",
                "document-title_en": "Specifications",
                "document-file": f.pdf(),
            },
        ),
        ("committee", {"committee-user": people.committee[0].pk}),
        ("committee", {"committee-user": people.committee[1].pk}),
    ]
    for part, data in posts:
        response = client.post(f"{base}{part}/", data)
        assert response.status_code == 302, (part, response.content.decode()[:2000])
    _response, html = page(client, people.engineer, base)
    assert "Weights so far: 100 of 100." in html and 'data-action="publish"' in html
    response = client.post(f"/en/tenders/{tender.pk}/publish/")
    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.status == S.PUBLISHED and tender.public_key


def test_a_draft_that_is_not_ready_is_refused_with_what_is_missing(client, people):
    tender = f.tender_at("draft", people=people)
    client.force_login(people.engineer)
    response = client.post(
        f"/en/tenders/{tender.pk}/publish/", HTTP_REFERER=f"/en/tenders/{tender.pk}/", follow=True
    )
    tender.refresh_from_db()
    assert tender.status == S.DRAFT
    assert b"aegov-alert" in response.content


def test_an_addendum_from_the_tender_page(client, people):
    tender = f.tender_at("tendering", people=people)
    submit(tender, people.supplier, RATES["supplier"])
    client.force_login(people.engineer)
    response = client.post(
        f"/en/tenders/{tender.pk}/addendum/",
        {
            "addendum-description_ar": "تعديل المواصفات",
            "addendum-description_en": "Specifications changed",
            "addendum-document_kind": "specifications",
            "addendum-document_title_ar": "المواصفات",
            "addendum-document_title_en": "Specifications",
            "addendum-document_file": f.pdf("v2.pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    _response, html = page(client, people.supplier, f"/en/tenders/{tender.pk}/")
    assert "Addendum 1" in html and "version 2" in html and "Earlier versions" in html
    assert 'data-testid="reconfirm-needed"' in html and 'data-action="reconfirm-bid"' in html
    response = client.post(f"/en/tenders/{tender.pk}/reconfirm-bid/")
    assert response.status_code == 302
    assert Bid.objects.get(tender=tender).reconfirmed_at is not None


def test_the_engineer_cancels_with_a_reason(client, people):
    tender = f.tender_at("published", people=people)
    client.force_login(people.engineer)
    response = client.post(f"/en/tenders/{tender.pk}/cancel/", {"cancel-reason": "Scope moved."})
    assert response.status_code == 302
    _response, html = page(client, people.supplier, f"/en/tenders/{tender.pk}/")
    assert 'data-testid="cancelled"' in html and "Scope moved." in html


# --- the committee -------------------------------------------------------------------------------


def test_a_member_sets_the_opening_passphrase(client, member_without_key):
    client.force_login(member_without_key)
    response = client.get("/en/staff/tenders/passphrase/")
    assert "You have not set a passphrase yet" in response.content.decode()
    response = client.post(
        "/en/staff/tenders/passphrase/",
        {"passphrase": "short", "passphrase2": "short"},
    )
    assert response.status_code == 400
    phrase = "a long enough opening passphrase"
    response = client.post(
        "/en/staff/tenders/passphrase/", {"passphrase": phrase, "passphrase2": phrase}
    )
    assert response.status_code == 302
    assert MemberKey.objects.filter(user=member_without_key).exists()
    # The passphrase itself is nowhere in the audit log.
    assert not any(phrase in str(e.data) for e in AuditEvent.objects.all())


def test_the_opening_ceremony_needs_two_members(client, people, time_machine):
    tender = tender_in("closed", people=people, clock=time_machine)
    member_a, member_b = people.committee
    client.force_login(member_a)
    response = client.get(f"/en/staff/tenders/{tender.pk}/opening/")
    assert response.status_code == 200 and 'data-action="open"' in response.content.decode()
    response = client.post(
        f"/en/staff/tenders/{tender.pk}/opening/", {"passphrase": "not the passphrase"}
    )
    assert response.status_code in (302, 400)
    response = client.post(
        f"/en/staff/tenders/{tender.pk}/opening/", {"passphrase": f.PASSPHRASES[0]}
    )
    assert response.status_code == 302
    _response, html = page(client, member_a, f"/en/staff/tenders/{tender.pk}/opening/")
    assert 'data-testid="waiting"' in html and 'data-action="open"' not in html
    tender.refresh_from_db()
    assert tender.status == S.CLOSED
    client.force_login(member_b)
    response = client.post(
        f"/en/staff/tenders/{tender.pk}/opening/", {"passphrase": f.PASSPHRASES[1]}
    )
    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.status == S.OPENED
    _response, html = page(client, people.engineer, f"/en/tenders/{tender.pk}/")
    assert "280,000.00 AED" in html and people.supplier.organization.name_en in html


def test_the_evaluation_sheet_takes_the_committee_to_the_award(client, people, time_machine):
    tender = tender_in("opened", people=people, clock=time_machine)
    member_a, member_b = people.committee
    base = f"/en/staff/tenders/{tender.pk}/evaluation/"
    for member in people.committee:
        client.force_login(member)
        response = client.post(f"{base}declare/", {"declare-no_conflict": "yes"})
        assert response.status_code == 302
    live = list(tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk"))
    criteria = list(tender.criteria.all())
    client.force_login(member_a)
    for bid in live:
        response = client.post(
            f"/en/staff/tenders/{tender.pk}/bids/{bid.pk}/compliance/",
            {f"compliance-{bid.pk}-compliant": "yes"},
        )
        assert response.status_code == 302
    for member in people.committee:
        client.force_login(member)
        for bid in live:
            response = client.post(
                f"/en/staff/tenders/{tender.pk}/bids/{bid.pk}/scores/",
                {f"scores-{bid.pk}-score_{c.pk}": "85" for c in criteria},
            )
            assert response.status_code == 302
    _response, html = page(client, member_a, base)
    assert 'data-action="complete-technical"' in html
    assert client.post(f"{base}complete-technical/").status_code == 302
    _response, html = page(client, member_a, base)
    assert 'data-testid="ranking"' in html
    winner = tender.bids.get(rank=1)
    response = client.post(f"{base}recommend/", {"recommend-bid": winner.pk})
    assert response.status_code == 302
    for member in people.committee:
        client.force_login(member)
        assert client.post(f"{base}approve/").status_code == 302
    _response, html = page(client, people.engineer, f"/en/tenders/{tender.pk}/")
    assert 'data-action="award"' in html
    assert client.post(f"/en/tenders/{tender.pk}/award/").status_code == 302
    tender.refresh_from_db()
    assert tender.status == S.AWARDED


def test_the_contract_is_recorded_after_the_standstill(client, people, time_machine):
    tender = tender_in("awarded", people=people, clock=time_machine)
    time_machine.move_to(tender.award.standstill_ends_at + timedelta(hours=1), tick=True)
    _response, html = page(client, people.engineer, f"/en/tenders/{tender.pk}/")
    assert 'data-action="sign-contract"' in html
    response = client.post(
        f"/en/tenders/{tender.pk}/sign-contract/",
        {
            "sign-contract-signed_on": timezone.localdate().isoformat(),
            "sign-contract-value": "280000.00",
        },
    )
    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.status == S.CONTRACTED
    _response, html = page(client, people.supplier, f"/en/tenders/{tender.pk}/")
    assert "CNT-" in html


# --- the staff home and the home page ------------------------------------------------------------


def test_the_staff_home_shows_what_waits(client, people, time_machine):
    tender = f.tender_at("published", people=people)
    clarifications.clarification_ask(actor=people.supplier, tender=tender, question="When?")
    _response, html = page(client, people.engineer, "/en/staff/")
    assert 'data-testid="tenders-panel"' in html and "1 question waiting" in html
    closed = tender_in("closed", people=people, clock=time_machine)
    _response, html = page(client, people.committee[0], "/en/staff/")
    assert closed.reference in html


def test_the_home_page_links_to_the_open_tenders(client, db):
    html = client.get("/en/").content.decode()
    assert 'data-testid="home-tenders-link"' in html and "/en/tenders/public/" in html


def test_arabic_pages_mark_user_text(client, people):
    tender = f.tender_at("tendering", people=people)
    _response, html = page(client, people.supplier, f"/ar/tenders/{tender.pk}/")
    assert 'lang="en">Construction of the services building' not in html  # Arabic title shown
    assert "إنشاء مبنى الخدمات" in html


def test_a_member_who_forgot_the_passphrase_is_replaced_from_the_tender_page(client, people):
    third = f.committee_user(email="member.third@example.ae", passphrase="third member's phrase")
    newcomer = f.committee_user(email="member.new@example.ae", passphrase="newcomer's passphrase")
    tender = f.tender_at("tendering", people=replace(people, committee=[*people.committee, third]))
    member_a, member_b = people.committee
    _response, html = page(client, people.engineer, f"/en/tenders/{tender.pk}/")
    assert 'data-action="replace-member"' in html
    response = client.post(
        f"/en/tenders/{tender.pk}/replace-member/",
        {
            "replace-member-old_user": third.pk,
            "replace-member-new_user": newcomer.pk,
            "replace-member-approver_1": member_a.pk,
            "replace-member-passphrase_1": f.PASSPHRASES[0],
            "replace-member-approver_2": member_b.pk,
            "replace-member-passphrase_2": f.PASSPHRASES[1],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    members = set(tender.committee.values_list("user_id", flat=True))
    assert members == {member_a.pk, member_b.pk, newcomer.pk}


def test_a_limited_draft_names_its_invited_organizations_by_licence(client, people):
    tender = f.tender_at("draft", people=people)
    client.force_login(people.engineer)
    form = client.get(f"/en/staff/tenders/{tender.pk}/edit/").context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if hasattr(value, "tzinfo"):  # the form shows it in Dubai time, without a zone
            value = value.strftime("%Y-%m-%dT%H:%M")
        data[name] = "" if value is None else value
    data.update(method="limited", invited="SHJ-NOPE-1\n")
    response = client.post(f"/en/staff/tenders/{tender.pk}/edit/", data)
    assert response.status_code == 400
    assert (
        "No organization has these trade licence numbers: SHJ-NOPE-1." in response.content.decode()
    )
    data["invited"] = people.supplier.organization.trade_licence_number
    response = client.post(f"/en/staff/tenders/{tender.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(tender.invited.all()) == [people.supplier.organization]
