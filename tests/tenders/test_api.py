"""The tenders API: the supplier's operations (eligible tenders, documents, clarifications, the
bid and its receipts, objections) and the staff's (drafts, publish, answers, addenda, bid counts,
the opening, the evaluation, the award, the contract), with the JSON errors of portal.api."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from tenders.models import Bid, Clarification, Tender
from tenders.services import bids as bid_services
from tests.tenders import factories as f
from tests.tenders.journey import RATES, submit, tender_in, total_of

S = Tender.Status
API = "/api/v1"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def bid_multipart(tender: Tender, rates: dict, **overrides) -> dict:
    total = total_of(rates)
    data = {
        "total": str(total),
        "boq_prices": json.dumps({code: str(rate) for code, rate in rates.items()}),
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
    data.update(overrides)
    return data


# --- reading -------------------------------------------------------------------------------------


def test_suppliers_list_their_eligible_tenders_without_staff_fields(people):
    tender = f.tender_at("tendering", people=people)
    draft = f.tender_at("draft", people=people)
    rows = api(people.supplier).get(f"{API}/tenders/").json()["results"]
    assert [row["reference"] for row in rows] == [tender.reference]
    assert rows[0]["estimated_value"] is None and rows[0]["bid_count"] is None
    assert api(people.ineligible_supplier).get(f"{API}/tenders/").json()["results"] == []
    staff_rows = api(people.engineer).get(f"{API}/tenders/").json()["results"]
    assert {row["reference"] for row in staff_rows} == {tender.reference, draft.reference}
    by_ref = {row["reference"]: row for row in staff_rows}
    assert by_ref[tender.reference]["estimated_value"] == "1500000.00"
    assert by_ref[tender.reference]["bid_count"] == 0


def test_a_bad_filter_is_a_400(people):
    response = api(people.engineer).get(f"{API}/tenders/?status=nonsense")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_the_detail_hides_what_the_page_hides(people):
    tender = f.tender_at("tendering", people=people)
    submit(tender, people.supplier, RATES["supplier"])
    mine = api(people.supplier).get(f"{API}/tenders/{tender.pk}/").json()
    assert mine["estimated_value"] is None and mine["bid_count"] is None
    assert mine["bids"] is None and mine["committee"] is None
    assert mine["my_bid"]["status"] == "submitted" and mine["my_bid"]["total_price"] is None
    assert mine["my_bid"]["documents"][0]["kind"] == "bid_receipt"
    assert "change-bid" in mine["allowed_actions"]
    other = api(people.other_supplier).get(f"{API}/tenders/{tender.pk}/").json()
    assert other["my_bid"] is None  # never another supplier's bid
    staff = api(people.engineer).get(f"{API}/tenders/{tender.pk}/").json()
    assert staff["bid_count"] == 1 and staff["bids"] is None  # a count only, before opening
    assert "280000" not in json.dumps(staff)
    assert api(people.ineligible_supplier).get(f"{API}/tenders/{tender.pk}/").status_code == 404


def test_documents_and_addenda(people):
    tender = f.tender_at("tendering", people=people)
    documents = api(people.supplier).get(f"{API}/tenders/{tender.pk}/documents/").json()
    assert documents[0]["kind"] == "specifications" and documents[0]["version"] == 1
    download = APIClient()
    download.force_authenticate(people.supplier)
    assert download.get(documents[0]["download"]).status_code == 200
    response = api(people.engineer).post(
        f"{API}/tenders/{tender.pk}/addenda/issue/",
        {"description_ar": "تعديل", "description_en": "A change"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    addenda = api(people.supplier).get(f"{API}/tenders/{tender.pk}/addenda/").json()
    assert addenda[0]["number"] == 1


# --- clarifications ------------------------------------------------------------------------------


def test_a_question_is_asked_answered_and_published_anonymously(people):
    tender = f.tender_at("published", people=people)
    response = api(people.supplier).post(
        f"{API}/tenders/{tender.pk}/clarifications/ask/",
        {"question": "Is the site survey included?"},
        format="json",
    )
    assert response.status_code == 201
    question = Clarification.objects.get(tender=tender)
    assert response.json()["asked_by_organization"] is None
    # Staff see it waiting, with who asked.
    staff = api(people.engineer).get(f"{API}/tenders/{tender.pk}/clarifications/").json()
    assert staff[0]["published_at"] is None
    assert staff[0]["asked_by_organization"] == people.supplier.organization.name
    # Not published: the other supplier sees nothing yet.
    assert api(people.other_supplier).get(f"{API}/tenders/{tender.pk}/clarifications/").json() == []
    response = api(people.engineer).post(
        f"{API}/tenders/{tender.pk}/clarifications/{question.pk}/answer/",
        {"answer": "Yes."},
        format="json",
    )
    assert response.status_code == 201
    rows = api(people.other_supplier).get(f"{API}/tenders/{tender.pk}/clarifications/").json()
    assert rows[0]["answer"] == "Yes." and rows[0]["asked_by_organization"] is None
    assert people.supplier.organization.name_en not in json.dumps(rows)
    # A supplier cannot answer: 403.
    response = api(people.supplier).post(
        f"{API}/tenders/{tender.pk}/clarifications/{question.pk}/answer/",
        {"answer": "Me!"},
        format="json",
    )
    assert response.status_code in (403, 409)


# --- bids ----------------------------------------------------------------------------------------


def test_a_bid_is_submitted_changed_withdrawn_with_receipts(people, monkeypatch, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    seen = []
    real = bid_services.bid_submit

    def spy(**kwargs):
        seen.extend(upload for _kind, upload in kwargs["files"])
        return real(**kwargs)

    monkeypatch.setattr(bid_services, "bid_submit", spy)
    tender = f.tender_at("tendering", people=people)
    client = api(people.supplier)
    response = client.post(
        f"{API}/tenders/{tender.pk}/bid/submit/",
        bid_multipart(tender, RATES["supplier"]),
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 1 and len(body["receipt_hash"]) == 64
    assert body["total_price"] is None and body["documents"][0]["kind"] == "bid_receipt"
    assert {item["kind"] for item in body["files"]} == {"technical", "bond_scan"}
    assert all(isinstance(upload, InMemoryUploadedFile) for upload in seen) and len(seen) == 3
    # A second submission is refused (409): change it instead.
    response = client.post(
        f"{API}/tenders/{tender.pk}/bid/submit/",
        bid_multipart(tender, RATES["supplier"]),
        format="multipart",
    )
    assert response.status_code == 409
    response = client.post(
        f"{API}/tenders/{tender.pk}/bid/change/",
        bid_multipart(tender, RATES["other_supplier"]),
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["version"] == 2
    assert client.get(f"{API}/tenders/{tender.pk}/bid/").json()["version"] == 2
    mine = client.get(f"{API}/tenders/bids/").json()["results"]
    assert mine[0]["tender_reference"] == tender.reference and len(mine[0]["documents"]) == 2
    response = client.post(f"{API}/tenders/{tender.pk}/bid/withdraw/")
    assert response.status_code == 200 and response.json()["my_bid"]["status"] == "withdrawn"
    # The other supplier has no bid to read.
    assert api(people.other_supplier).get(f"{API}/tenders/{tender.pk}/bid/").status_code == 404


def test_a_bad_bid_is_a_400_with_the_services_reasons(people):
    tender = f.tender_at("tendering", people=people)
    response = api(people.supplier).post(
        f"{API}/tenders/{tender.pk}/bid/submit/",
        bid_multipart(tender, RATES["supplier"], bond_amount="10.00"),
        format="multipart",
    )
    assert response.status_code == 400
    assert "bond" in json.dumps(response.json()["error"]["fields"])
    assert not Bid.objects.filter(tender=tender).exists()


def test_a_bid_after_the_deadline_is_a_409(people, time_machine):
    tender = f.tender_at("tendering", people=people)
    time_machine.move_to(tender.submission_deadline + timedelta(seconds=1), tick=False)
    response = api(people.supplier).post(
        f"{API}/tenders/{tender.pk}/bid/submit/",
        bid_multipart(tender, RATES["supplier"]),
        format="multipart",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"]
    assert not Bid.objects.filter(tender=tender).exists()


def test_bids_are_sealed_to_staff_until_the_opening(people, time_machine):
    tender = tender_in("closed", people=people, clock=time_machine)
    response = api(people.engineer).get(f"{API}/tenders/{tender.pk}/bids/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "sealed"
    assert api(people.supplier).get(f"{API}/tenders/{tender.pk}/bids/").status_code == 403
    # The opening through the API: two members.
    member_a, member_b = people.committee
    response = api(member_a).post(
        f"{API}/tenders/{tender.pk}/opening/confirm/",
        {"passphrase": f.PASSPHRASES[0]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
    response = api(member_a).post(
        f"{API}/tenders/{tender.pk}/opening/confirm/",
        {"passphrase": f.PASSPHRASES[0]},
        format="json",
    )
    assert response.status_code == 409  # the same member twice
    response = api(member_b).post(
        f"{API}/tenders/{tender.pk}/opening/confirm/",
        {"passphrase": f.PASSPHRASES[1]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "opened"
    rows = api(people.engineer).get(f"{API}/tenders/{tender.pk}/bids/").json()
    assert sorted(row["total_price"] for row in rows) == ["280000.00", "300000.00"]
    assert all(row["hash_verified"] for row in rows)


# --- the engineer's draft ------------------------------------------------------------------------


def test_a_draft_is_built_and_published_through_the_api(people):
    client = api(people.engineer)
    now = timezone.now()
    response = client.post(
        f"{API}/tenders/",
        {
            "title_ar": "صيانة المباني",
            "title_en": "Building maintenance",
            "description_ar": "صيانة",
            "description_en": "Maintenance",
            "category": "works",
            "eligible_kinds": ["contractor"],
            "min_grade": "3",
            "categories": [people.category.code],
            "estimated_value": "500000.00",
            "bid_bond_percent": "2.00",
            "bid_validity_days": 90,
            "technical_pass_mark": "70.00",
            "financial_method": "lowest_price",
            "enquiries_deadline": (now + timedelta(days=2)).isoformat(),
            "submission_deadline": (now + timedelta(days=9)).isoformat(),
            "opening_at": (now + timedelta(days=9, hours=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["reference"].startswith("TND-")
    base = f"{API}/tenders/{pk}/"
    assert client.patch(base, {"title_en": "Maintenance works"}, format="json").status_code == 200
    response = client.post(
        f"{base}criteria/",
        {"name_ar": "الخبرة", "name_en": "Experience", "weight": "100"},
        format="json",
    )
    assert response.status_code == 201
    response = client.post(
        f"{base}boq-items/",
        {
            "code": "B.1",
            "description_ar": "دهان",
            "description_en": "Painting",
            "unit": "m2",
            "quantity": "500",
        },
        format="json",
    )
    assert response.status_code == 201
    response = client.post(
        f"{base}documents/add/",
        {
            "kind": "specifications",
            "title_ar": "المواصفات",
            "title_en": "Specifications",
            "file": f.pdf(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    for member in people.committee:
        response = client.post(f"{base}committee/", {"user": member.pk}, format="json")
        assert response.status_code == 201
    response = client.post(f"{base}publish/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    # A supplier cannot create drafts.
    assert api(people.supplier).post(f"{API}/tenders/", {}, format="json").status_code == 403


def test_publishing_an_unready_draft_is_a_409(people):
    tender = f.tender_at("draft", people=people)
    response = api(people.engineer).post(f"{API}/tenders/{tender.pk}/publish/")
    assert response.status_code == 409


# --- evaluation to contract ----------------------------------------------------------------------


def test_the_evaluation_award_and_contract_through_the_api(people, time_machine):
    tender = tender_in("opened", people=people, clock=time_machine)
    member_a, member_b = people.committee
    base = f"{API}/tenders/{tender.pk}/"
    for member in people.committee:
        response = api(member).post(
            f"{base}evaluation/declare/", {"no_conflict": True}, format="json"
        )
        assert response.status_code == 200
    live = list(tender.bids.filter(status=Bid.Status.SUBMITTED))
    for bid in live:
        response = api(member_a).post(
            f"{base}bids/{bid.pk}/compliance/", {"compliant": True}, format="json"
        )
        assert response.status_code == 200
        sheet = {"scores": [{"criterion": c.pk, "score": "90"} for c in tender.criteria.all()]}
        for member in people.committee:
            response = api(member).post(f"{base}bids/{bid.pk}/scores/", sheet, format="json")
            assert response.status_code == 200, response.json()
    # A sheet with a refused score stores none of it.
    bad = {
        "scores": [
            {"criterion": tender.criteria.first().pk, "score": "50"},
            {"criterion": 999999, "score": "50"},
        ]
    }
    assert (
        api(member_a).post(f"{base}bids/{live[0].pk}/scores/", bad, format="json").status_code
        == 404
    )
    assert not live[0].technical_scores.filter(score=50).exists()
    response = api(member_a).post(f"{base}evaluation/complete-technical/")
    assert response.status_code == 200 and response.json()["status"] == "financial_evaluation"
    assert api(member_a).post(f"{base}recommendation/", {}, format="json").status_code == 200
    for member in people.committee:
        assert api(member).post(f"{base}recommendation/approve/").status_code == 200
    response = api(people.engineer).post(f"{base}award/")
    assert response.status_code == 200 and response.json()["status"] == "awarded"
    assert response.json()["award"]["amount"] == "280000.00"
    # The loser objects; the committee answers.
    response = api(people.other_supplier).post(
        f"{base}objections/lodge/", {"text": "Misread."}, format="json"
    )
    assert response.status_code == 201
    objection = response.json()["id"]
    assert len(api(people.supplier).get(f"{base}objections/").json()) == 0
    response = api(member_a).post(
        f"{base}objections/{objection}/answer/", {"answer": "Read as submitted."}, format="json"
    )
    assert response.status_code == 201
    loser = api(people.other_supplier).get(f"{base}").json()
    assert loser["my_bid"]["rank"] == 2 and loser["award"]["amount"] == "280000.00"
    # The contract, after the standstill.
    early = api(people.engineer).post(
        f"{base}contract/",
        {"signed_on": timezone.localdate().isoformat(), "value": "280000.00"},
        format="json",
    )
    assert early.status_code == 409
    tender.refresh_from_db()
    time_machine.move_to(tender.award.standstill_ends_at + timedelta(hours=1), tick=True)
    response = api(people.engineer).post(
        f"{base}contract/",
        {"signed_on": timezone.localdate().isoformat(), "value": "280000.00"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "contracted"
    assert response.json()["award"]["contract_reference"].startswith("CNT-")


def test_the_schema_documents_the_tender_operations(client, db):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "409" in paths[f"{API}/tenders/{{id}}/bid/submit/"]["post"]["responses"]
    assert (
        "multipart/form-data"
        in paths[f"{API}/tenders/{{id}}/bid/submit/"]["post"]["requestBody"]["content"]
    )
    assert {"400", "401", "403", "404"} <= set(paths[f"{API}/tenders/"]["get"]["responses"])
    assert "TenderStatusEnum" in schema["components"]["schemas"]


pytestmark = pytest.mark.usefixtures("db")
