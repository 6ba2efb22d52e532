"""Issue 13, Transparency: OCDS 1.1 releases, the release package of a tender, the public change
feed, and the public pages (Done-when 4 and 6).

The package of a tender that went all the way is validated offline by libcoveocds against the
1.1.5 schema (tests/tenders/ocds/standard-1__1__5), zipped at test time with that folder as
its first entry, as libcoveocds's `standard_zip` wants it."""

import datetime
import json
import os
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from libcoveocds.api import ocds_json_output
from libcoveocds.config import LibCoveOCDSConfig

from accounts.roles import Role
from portal.models import PrivateFile
from tenders import ocds
from tenders.models import (
    Addendum,
    Award,
    Bid,
    BoqItem,
    Clarification,
    OcdsRelease,
    Tender,
    TenderDocument,
)
from tenders.services.releases import release_record
from tests.factories import OrganizationFactory, UserFactory

S = Tender.Status
STANDARD = Path(__file__).parent / "ocds" / "standard-1__1__5"
ESTIMATE = Decimal("4321987.65")
PRICES = (Decimal("3950000.25"), Decimal("4100500.75"), Decimal("3999999.99"))


# --- libcoveocds, offline -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def standard_zip(tmp_path_factory) -> str:
    """A zip of the shared standard-1__1__5 folder whose first entry is that folder."""
    path = tmp_path_factory.mktemp("ocds") / "standard-1__1__5.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(STANDARD, arcname="standard-1__1__5/")
        for root, dirs, files in os.walk(STANDARD):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                archive.write(full, arcname=f"standard-1__1__5/{os.path.relpath(full, STANDARD)}")
    return f"file://{path}"


def validate(package: dict, standard_zip: str, tmp_path) -> dict:
    config = LibCoveOCDSConfig({"standard_zip": standard_zip, "context": "api"})
    # A round trip through JSON: the package as a client reads it.
    data = json.loads(json.dumps(package))
    return ocds_json_output(str(tmp_path), json_data=data, lib_cove_ocds_config=config)


def assert_valid(package: dict, standard_zip: str, tmp_path) -> None:
    result = validate(package, standard_zip, tmp_path)
    assert result["validation_errors"] == []
    assert result["additional_closed_codelist_values"] == {}
    assert result.get("json_deref_error") is None


# --- building tenders row by row (the services call release_record the same way) -----------------


@pytest.fixture
def engineer(db):
    return UserFactory(role=Role.CONTRACTS_ENGINEER)


def _file(user, name: str) -> PrivateFile:
    return PrivateFile.objects.create(
        file=f"uploads/test/{name}",
        original_name=name,
        content_type_detected="application/pdf",
        size=1024,
        sha256="0" * 64,
        purpose="tender_document",
        uploaded_by=user,
    )


def make_tender(engineer, *, n: int = 1, status=S.DRAFT, **fields) -> Tender:
    now = timezone.now()
    published = status != S.DRAFT
    values = {
        "reference": f"TND-2026-{n:04d}",
        "title_ar": f"صيانة طرق المنطقة {n}",
        "title_en": f"Road maintenance, area {n}",
        "description_ar": "أعمال صيانة الطرق الداخلية",
        "description_en": "Maintenance of the inner roads",
        "category": Tender.Category.WORKS,
        "method": Tender.Method.OPEN,
        "estimated_value": ESTIMATE,
        "enquiries_deadline": now + datetime.timedelta(days=10),
        "submission_deadline": now + datetime.timedelta(days=20),
        "opening_at": now + datetime.timedelta(days=20, hours=2),
        "published_at": now if published else None,
        "status": status,
        "contracts_engineer": engineer,
        "created_by": engineer,
        **fields,
    }
    return Tender.objects.create(**values)


def add_documents(tender, engineer, *, kinds=("boq", "specifications", "drawings")) -> None:
    for kind in kinds:
        TenderDocument.objects.create(
            tender=tender,
            kind=kind,
            title_ar=f"مستند {kind}",
            title_en=f"Document {kind}",
            version=1,
            file=_file(engineer, f"{tender.reference}-{kind}.pdf"),
            created_by=engineer,
        )


def add_items(tender, count: int = 3) -> None:
    for i in range(count):
        BoqItem.objects.create(
            tender=tender,
            code=f"1.{i + 1}",
            description_ar=f"بند {i + 1}",
            description_en=f"Item {i + 1}",
            unit="m2",
            quantity=Decimal("125.500") + i,
            position=i,
        )


def publish(tender) -> None:
    tender.status = S.PUBLISHED
    tender.published_at = timezone.now()
    tender.save()
    release_record(tender=tender, tag="tender")


def move(tender, status, **fields) -> None:
    for name, value in {"status": status, **fields}.items():
        setattr(tender, name, value)
    tender.save()


def bid(tender, organization, *, price=None, status=Bid.Status.SUBMITTED) -> Bid:
    submitter = UserFactory(role=Role.CUSTOMER, organization=organization)
    return Bid.objects.create(
        tender=tender,
        organization=organization,
        submitted_by=submitter,
        status=status,
        submitted_at=timezone.now(),
        sealed_offer=b"\x00" * 64,
        receipt_hash="a" * 64,
        total_price=price,
    )


def all_the_way(engineer):
    """publish → clarification (+ pre-bid minutes) → addendum → bids → opening → award →
    contract, recording each release as the services do. Returns the tender, the bidders and
    the releases recorded before the award."""
    tender = make_tender(engineer)
    add_documents(tender, engineer)
    add_items(tender)
    publish(tender)

    question = Clarification.objects.create(
        tender=tender,
        asked_by=UserFactory(role=Role.CUSTOMER),
        question="Is the asphalt layer 50 mm?",
        answer="Yes, 50 mm after compaction.",
        answered_by=engineer,
        answered_at=timezone.now(),
        published_at=timezone.now(),
    )
    release_record(tender=tender, tag="tenderUpdate")
    Clarification.objects.create(
        tender=tender,
        source=Clarification.Source.PREBID_MINUTES,
        answer="Minutes of the pre-bid session: site visit on Monday.",
        answered_by=engineer,
        published_at=timezone.now(),
    )
    release_record(tender=tender, tag="tenderUpdate")

    old_deadline = tender.submission_deadline
    addendum = Addendum.objects.create(
        tender=tender,
        number=1,
        description_ar="تعديل جدول الكميات",
        description_en="The bill of quantities changes",
        old_submission_deadline=old_deadline,
        new_submission_deadline=old_deadline + datetime.timedelta(days=5),
        extended=True,
        created_by=engineer,
    )
    TenderDocument.objects.create(
        tender=tender,
        kind="boq",
        title_ar="جدول الكميات المعدل",
        title_en="Revised bill of quantities",
        version=2,
        file=_file(engineer, "boq-v2.pdf"),
        addendum=addendum,
        created_by=engineer,
    )
    move(
        tender,
        S.PUBLISHED,
        submission_deadline=addendum.new_submission_deadline,
        opening_at=addendum.new_submission_deadline + datetime.timedelta(hours=2),
    )
    release_record(tender=tender, tag="tenderAmendment")

    bidders = [OrganizationFactory(name_en=f"Bidder {i} LLC") for i in range(3)]
    bids = [bid(tender, org) for org in bidders[:2]]
    bid(tender, bidders[2], status=Bid.Status.WITHDRAWN)
    move(tender, S.TENDERING)
    move(tender, S.CLOSED, closed_at=timezone.now())
    # After the opening the prices are in clear in the database: still not public.
    for row, price in zip(bids, PRICES, strict=False):
        row.total_price = price
        row.save()
    move(tender, S.OPENED, opened_at=timezone.now())
    move(tender, S.TECHNICAL_EVALUATION)
    move(tender, S.FINANCIAL_EVALUATION)
    before_award = list(OcdsRelease.objects.filter(tender=tender).order_by("pk"))

    now = timezone.now()
    award = Award.objects.create(
        tender=tender,
        bid=bids[0],
        amount=PRICES[0],
        awarded_at=now,
        standstill_ends_at=now + datetime.timedelta(days=10),
    )
    move(tender, S.AWARDED)
    release_record(tender=tender, tag="award")
    award.contract_reference = "CNT-2026-000001"
    award.contract_signed_on = timezone.localdate()
    award.contract_signed_at = timezone.now()
    award.contract_value = PRICES[0]
    award.save()
    move(tender, S.CONTRACTED)
    release_record(tender=tender, tag="contract")
    return SimpleNamespace(
        tender=tender, bidders=bidders, before_award=before_award, question=question
    )


# --- Done-when 4: the package of a tender that went all the way validates -------------------------


def test_the_package_of_a_tender_that_went_all_the_way_validates(
    client, engineer, standard_zip, tmp_path
):
    story = all_the_way(engineer)
    tender = story.tender

    response = client.get(f"/tenders/{tender.reference}/ocds.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    package = response.json()
    assert_valid(package, standard_zip, tmp_path)

    tags = [release["tag"] for release in package["releases"]]
    assert tags == [
        ["tender"],
        ["tenderUpdate"],
        ["tenderUpdate"],
        ["tenderAmendment"],
        ["award"],
        ["contract"],
    ]
    assert package["version"] == "1.1"
    assert package["uri"] == f"http://testserver/tenders/{tender.reference}/ocds.json"
    assert {"publisher", "license", "publicationPolicy", "publishedDate"} <= set(package)
    ids = [release["id"] for release in package["releases"]]
    assert len(set(ids)) == len(ids)
    assert {r["ocid"] for r in package["releases"]} == {
        f"{settings.OCDS_OCID_PREFIX}-{tender.reference}"
    }

    last = package["releases"][-1]
    assert last["initiationType"] == "tender"
    assert last["language"] == "en"
    assert last["tender"]["status"] == "complete"
    assert last["tender"]["procurementMethod"] == "open"
    assert last["tender"]["mainProcurementCategory"] == "works"
    assert last["tender"]["numberOfTenderers"] == 2  # the withdrawn bid is not a tender
    winner = story.bidders[0]
    assert last["awards"][0]["suppliers"] == [{"id": f"org-{winner.pk}", "name": winner.name_en}]
    assert last["awards"][0]["value"] == {"amount": float(PRICES[0]), "currency": "AED"}
    assert last["awards"][0]["status"] == "active"
    contract = last["contracts"][0]
    assert contract["id"] == "CNT-2026-000001"
    assert contract["awardID"] == last["awards"][0]["id"]
    assert contract["status"] == "active"
    parties = {p["id"]: p for p in last["parties"]}
    assert parties["buyer"]["roles"] == ["buyer", "procuringEntity"]
    assert parties[f"org-{winner.pk}"]["roles"] == ["tenderer", "supplier"]
    assert parties[f"org-{story.bidders[1].pk}"]["roles"] == ["tenderer"]
    assert f"org-{story.bidders[2].pk}" not in parties  # withdrew

    award_release = package["releases"][4]
    assert award_release["awards"][0]["status"] == "pending"  # the standstill runs
    assert "contracts" not in award_release

    amendment = package["releases"][3]["tender"]["amendments"][0]
    assert amendment["releaseID"] == package["releases"][3]["id"]
    assert amendment["amendsReleaseID"] == package["releases"][2]["id"]

    # The API gives the same package.
    api = client.get(f"/api/v1/tenders/{tender.reference}/ocds/")
    assert api.status_code == 200
    assert api.json()["releases"] == package["releases"]


def test_the_services_record_each_release_and_the_package_validates(
    client, people, time_machine, standard_zip, tmp_path
):
    """The same story through the real services (publish, question and answer, pre-bid
    minutes, addendum, two sealed bids, the opening by two members, evaluation, award,
    contract): each records its release, and the package validates."""
    from tenders.services import addenda, award, clarifications, evaluation, lifecycle, opening
    from tests.tenders import factories as f
    from tests.tenders.journey import RATES, TOTALS, submit

    tender = f.tender_make_ready(f.tender_draft(people=people), people=people)
    tender = lifecycle.tender_publish(actor=people.engineer, tender=tender)
    question = clarifications.clarification_ask(
        actor=people.supplier, tender=tender, question="Is the slab 200 mm thick?"
    )
    clarifications.clarification_answer_publish(
        actor=people.engineer, clarification=question, answer="Yes, 200 mm."
    )
    clarifications.clarification_publish_minutes(
        actor=people.engineer, tender=tender, text="Site visit on Monday at 9:00."
    )
    addenda.addendum_issue(
        actor=people.engineer,
        tender=tender,
        description_ar="جدول كميات معدل",
        description_en="A revised bill of quantities",
        documents=[
            {
                "kind": "boq",
                "title_ar": "جدول الكميات المعدل",
                "title_en": "Revised bill of quantities",
                "upload": f.pdf("boq-v2.pdf"),
            }
        ],
    )
    tender.refresh_from_db()
    submit(tender, people.supplier, RATES["supplier"])
    submit(tender, people.other_supplier, RATES["other_supplier"])
    before_award = [r.data for r in OcdsRelease.objects.filter(tender=tender)]

    time_machine.move_to(tender.opening_at + datetime.timedelta(minutes=5), tick=True)
    lifecycle.tenders_advance()
    tender.refresh_from_db()
    member_a, member_b = people.committee
    opening.tender_open_confirm(actor=member_a, tender=tender, passphrase=f.PASSPHRASES[0])
    opening.tender_open_confirm(actor=member_b, tender=tender, passphrase=f.PASSPHRASES[1])
    tender.refresh_from_db()
    for member in people.committee:
        evaluation.conflict_declare(actor=member, tender=tender, no_conflict=True)
    for row in tender.bids.filter(status=Bid.Status.SUBMITTED).order_by("pk"):
        evaluation.technical_compliance_set(actor=member_a, bid=row, compliant=True)
        for member in people.committee:
            for criterion in tender.criteria.all():
                evaluation.technical_score_set(
                    actor=member, bid=row, criterion=criterion, score=Decimal("80")
                )
    evaluation.tender_technical_complete(actor=member_a, tender=tender)
    evaluation.recommendation_make(actor=member_a, tender=tender)
    evaluation.recommendation_approve(actor=member_a, tender=tender)
    evaluation.recommendation_approve(actor=member_b, tender=tender)
    made = award.award_make(actor=people.engineer, tender=tender)
    time_machine.move_to(made.standstill_ends_at + datetime.timedelta(hours=1), tick=True)
    award.contract_sign(
        actor=people.engineer, tender=tender, signed_on=timezone.localdate(), value=made.amount
    )

    package = client.get(f"/tenders/{tender.reference}/ocds.json").json()
    assert_valid(package, standard_zip, tmp_path)
    assert [r["tag"] for r in package["releases"]] == [
        ["tender"],
        ["tenderUpdate"],
        ["tenderUpdate"],
        ["tenderAmendment"],
        ["award"],
        ["contract"],
    ]
    last = package["releases"][-1]
    assert last["awards"][0]["value"]["amount"] == float(TOTALS["supplier"])
    assert last["tender"]["numberOfTenderers"] == 2
    assert last["contracts"][0]["dateSigned"]
    names = [people.supplier.organization.name_en, people.other_supplier.organization.name_en]
    for data in before_award:
        text = json.dumps(data, ensure_ascii=False)
        assert "awards" not in data and "tenderers" not in data["tender"]
        assert not any(name in text for name in names)
        assert str(float(TOTALS["supplier"])) not in text
        assert people.supplier.full_name not in text  # who asked


def test_every_public_status_is_in_the_closed_codelists(engineer, standard_zip, tmp_path):
    releases = []
    for n, status in enumerate(sorted(ocds.PUBLIC_STATUSES), start=1):
        for method, category in (("open", "works"), ("limited", "consultancy")):
            tender = make_tender(
                engineer,
                n=len(releases) + 1,
                status=status,
                method=method,
                category=category,
                cancel_reason="Funds withdrawn" if status == S.CANCELLED else "",
            )
            releases.append(
                ocds.release_build(
                    ocds.release_rows(tender),
                    tag="tenderUpdate",
                    release_id=f"r-{n}-{method}",
                    date=timezone.now(),
                )
            )
    package = ocds.package_build(releases=releases, uri="https://example.ae/ocds.json")
    assert_valid(package, standard_zip, tmp_path)
    categories = {r["tender"]["mainProcurementCategory"] for r in releases}
    assert categories == {"works", "services"}
    assert {r["tender"]["procurementMethod"] for r in releases} == {"open", "limited"}


def test_a_value_outside_a_closed_codelist_is_caught(standard_zip, tmp_path):
    """The check above can fail: libcoveocds reports a made-up status."""
    release = {
        "ocid": "ocds-abc123-TND-2026-0001",
        "id": "1",
        "date": "2026-12-01T00:00:00Z",
        "tag": ["tender"],
        "initiationType": "tender",
        "tender": {"id": "TND-2026-0001", "status": "tendering"},
    }
    package = ocds.package_build(releases=[release], uri="https://example.ae/ocds.json")
    result = validate(package, standard_zip, tmp_path)
    assert "releases/tender/status" in result["additional_closed_codelist_values"]


# --- before the award: no price, no bidder, never the estimate ------------------------------------


def test_no_release_before_the_award_carries_a_price_or_a_bidder(engineer):
    story = all_the_way(engineer)
    assert [r.tags for r in story.before_award] == [
        ["tender"],
        ["tenderUpdate"],
        ["tenderUpdate"],
        ["tenderAmendment"],
    ]
    for release in story.before_award:
        text = json.dumps(release.data, ensure_ascii=False)
        data = release.data
        assert "awards" not in data
        assert "contracts" not in data
        assert "tenderers" not in data["tender"]
        assert "numberOfTenderers" not in data["tender"]
        assert [p["id"] for p in data["parties"]] == ["buyer"]
        assert "value" not in data["tender"]
        for organization in story.bidders:
            assert organization.name_en not in text
            assert organization.name_ar not in text
            assert f"org-{organization.pk}" not in text
        for price in (*PRICES, ESTIMATE):
            assert str(price) not in text
            assert str(float(price)) not in text
        # Who asked is never published.
        assert story.question.asked_by.full_name not in text
        assert story.question.asked_by.email not in text


def test_a_release_recorded_during_the_evaluation_names_no_bidder(engineer):
    """Whatever the tag and whatever the database holds (prices in clear after the opening),
    a release of a tender not yet awarded has no bidder and no price."""
    tender = make_tender(engineer, status=S.FINANCIAL_EVALUATION, opened_at=timezone.now())
    organization = OrganizationFactory()
    row = bid(tender, organization, price=PRICES[1])
    # An award row written before the status moved (a half-done award) is still not public.
    Award.objects.create(
        tender=tender,
        bid=row,
        amount=PRICES[1],
        awarded_at=timezone.now(),
        standstill_ends_at=timezone.now(),
    )
    for tag in ocds.TAGS:
        data = release_record(tender=tender, tag=tag).data
        text = json.dumps(data, ensure_ascii=False)
        assert "awards" not in data
        assert organization.name_en not in text
        assert str(float(PRICES[1])) not in text


def test_the_estimate_is_never_published_even_after_the_award(engineer):
    story = all_the_way(engineer)
    for release in OcdsRelease.objects.filter(tender=story.tender):
        text = json.dumps(release.data)
        assert "value" not in release.data["tender"]
        assert str(ESTIMATE) not in text
        assert str(float(ESTIMATE)) not in text


def test_disclosed_award_is_the_one_gate():
    award = SimpleNamespace(pk=1)
    for status in Tender.Status:
        tender = SimpleNamespace(status=status)
        shown = ocds.disclosed_award(tender, award)
        assert (shown is award) == (status in (S.AWARDED, S.CONTRACTED))
    assert ocds.disclosed_award(SimpleNamespace(status=S.AWARDED), None) is None


def test_release_record_refuses_a_draft_and_an_unknown_tag(engineer):
    draft = make_tender(engineer)
    with pytest.raises(ValueError):
        release_record(tender=draft, tag="tender")
    published = make_tender(engineer, n=2, status=S.PUBLISHED)
    with pytest.raises(ValueError):
        release_record(tender=published, tag="planning")
    assert not OcdsRelease.objects.exists()


def test_mappings_cover_every_choice():
    assert set(ocds.TENDER_STATUS) == set(Tender.Status) - {S.DRAFT}
    assert set(ocds.METHOD) == set(Tender.Method)
    assert set(ocds.CATEGORY) == set(Tender.Category)
    assert set(ocds.AWARD_CRITERIA) == set(Tender.FinancialMethod)
    assert set(ocds.DOCUMENT_TYPE) == set(TenderDocument.Kind)


def test_amounts_are_exact_json_numbers():
    for text in ("0.01", "999999999999.99", "4321987.65", "12.10", "7"):
        value = Decimal(text)
        assert Decimal(json.dumps(ocds.number(value))) == value


# --- the change feed --------------------------------------------------------------------------


def _releases(tender, count: int) -> list[OcdsRelease]:
    now = timezone.now()
    start = OcdsRelease.objects.count()
    return OcdsRelease.objects.bulk_create(
        OcdsRelease(
            tender=tender,
            release_id=f"feed-{start + i}",
            tags=["tenderUpdate"],
            date=now,
            data={"id": f"feed-{start + i}", "ocid": ocds.ocid(tender)},
        )
        for i in range(count)
    )


def _read_feed(client, url: str, *, pages: int | None = None):
    seen, last_url, read = [], url, 0
    while pages is None or read < pages:
        body = client.get(url).json()
        read += 1
        assert len(body["releases"]) <= ocds.FEED_PAGE_SIZE
        seen += [r["id"] for r in body["releases"]]
        last_url, url = url, body["links"]["next"]
        if not body["releases"]:
            break
    return seen, url, last_url


def test_the_feed_returns_each_release_exactly_once_across_pages(client, engineer):
    tender = make_tender(engineer, status=S.PUBLISHED)
    _releases(tender, 250)
    seen, _, _ = _read_feed(client, reverse("api:ocds-release-feed"))
    expected = list(OcdsRelease.objects.order_by("pk").values_list("release_id", flat=True))
    assert seen == expected
    assert len(seen) == 250


def test_a_release_added_between_two_page_reads_comes_once(client, engineer):
    tender = make_tender(engineer, status=S.PUBLISHED)
    _releases(tender, 150)
    first = client.get(reverse("api:ocds-release-feed")).json()
    assert len(first["releases"]) == ocds.FEED_PAGE_SIZE
    # Recorded while the integrator is between two pages.
    added = release_record(tender=tender, tag="tenderUpdate")
    _releases(tender, 3)
    rest, next_url, _ = _read_feed(client, first["links"]["next"])
    seen = [r["id"] for r in first["releases"]] + rest
    assert len(seen) == len(set(seen)) == 154
    assert added.release_id in seen
    # Polling again later gives only what is new.
    later = release_record(tender=tender, tag="tenderUpdate")
    body = client.get(next_url).json()
    assert [r["id"] for r in body["releases"]] == [later.release_id]


def test_release_ids_are_numbered_in_commit_order(engineer):
    tender = make_tender(engineer, status=S.PUBLISHED)
    first = release_record(tender=tender, tag="tenderUpdate")
    second = release_record(tender=tender, tag="tenderUpdate")
    assert second.pk > first.pk
    assert first.release_id.startswith("OCDS-") and first.release_id < second.release_id


def test_a_release_that_commits_late_is_never_skipped(transactional_db, postgresql, engineer):
    """Two services record releases at once: the second waits for the first to commit (the
    counter row's lock), so the feed can never show the second's id while the first, with a
    lower id, is still uncommitted (an integrator resuming after the second would skip it)."""
    tender = make_tender(engineer, status=S.PUBLISHED)
    first_recorded, let_first_commit = threading.Event(), threading.Event()
    recorded: dict[str, OcdsRelease] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                recorded["first"] = release_record(tender=tender, tag="tenderUpdate")
                first_recorded.set()
                let_first_commit.wait(10)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():
                recorded["second"] = release_record(tender=tender, tag="tenderUpdate")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        one = pool.submit(first)
        assert first_recorded.wait(10)
        two = pool.submit(second)
        time.sleep(0.5)
        assert not two.done()  # waiting for the first to commit
        assert ocds.releases_after(cursor=0) == []
        let_first_commit.set()
        one.result(10)
        two.result(10)
    assert recorded["first"].pk < recorded["second"].pk
    assert [r.pk for r in ocds.releases_after(cursor=0)] == [
        recorded["first"].pk,
        recorded["second"].pk,
    ]


@pytest.mark.parametrize("cursor", ["-1", "abc", "1.5", "", str(2**63)])
def test_a_bad_cursor_is_a_json_400(client, cursor):
    response = client.get(reverse("api:ocds-release-feed"), {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "cursor" in response.json()["error"]["fields"]


def test_the_feed_needs_no_login_and_is_a_valid_package(client, engineer, standard_zip, tmp_path):
    story = all_the_way(engineer)
    body = client.get(reverse("api:ocds-release-feed")).json()
    assert len(body["releases"]) == 6
    del body["links"]
    assert_valid(body, standard_zip, tmp_path)
    assert story.tender.reference in body["releases"][0]["ocid"]


@pytest.mark.parametrize("reference", ["draft", "TND-2026-9999", "not-a-reference", "%00"])
def test_no_package_for_a_draft_or_an_unknown_tender(client, engineer, reference):
    draft = make_tender(engineer)
    reference = draft.reference if reference == "draft" else reference
    assert client.get(f"/tenders/{reference}/ocds.json").status_code == 404
    response = client.get(f"/api/v1/tenders/{reference}/ocds/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Done-when 6: fixed query counts ------------------------------------------------------------


def _queries(client, url: str) -> int:
    cache.clear()  # the public page cache would otherwise answer the second read
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(engineer, *, status, count: int, start: int):
    for n in range(start, start + count):
        tender = make_tender(engineer, n=n, status=status)
        add_documents(tender, engineer, kinds=("boq", "drawings"))
        if status in ocds.RESULT_STATUSES:
            organization = OrganizationFactory()
            row = bid(tender, organization, price=PRICES[0])
            Award.objects.create(
                tender=tender,
                bid=row,
                amount=PRICES[0],
                awarded_at=timezone.now(),
                standstill_ends_at=timezone.now(),
            )


@pytest.mark.parametrize(
    ("name", "status"),
    [("tenders_public:list", S.TENDERING), ("tenders_public:results", S.AWARDED)],
)
def test_public_lists_run_the_same_queries_with_1_and_50_tenders(client, engineer, name, status):
    url = reverse(name)
    _grow(engineer, status=status, count=1, start=1)
    one = _queries(client, url)
    _grow(engineer, status=status, count=49, start=2)
    fifty = _queries(client, url)
    assert one == fifty
    assert _queries(client, url + "?page=2") == fifty


def test_the_public_tender_page_runs_the_same_queries_with_1_and_50_rows(client, engineer):
    tender = make_tender(engineer, status=S.AWARDED)
    add_documents(tender, engineer, kinds=("boq",))
    add_items(tender, 1)
    row = bid(tender, OrganizationFactory(), price=PRICES[0])
    Award.objects.create(
        tender=tender,
        bid=row,
        amount=PRICES[0],
        awarded_at=timezone.now(),
        standstill_ends_at=timezone.now(),
    )
    url = reverse("tenders_public:detail", args=[tender.reference])
    one = _queries(client, url)
    add_items_more = [
        BoqItem(
            tender=tender,
            code=f"9.{i}",
            description_ar="بند",
            description_en="Item",
            unit="m",
            quantity=1,
            position=10 + i,
        )
        for i in range(49)
    ]
    BoqItem.objects.bulk_create(add_items_more)
    for i in range(49):
        bid(tender, OrganizationFactory())
        Clarification.objects.create(
            tender=tender, question=f"Q{i}", answer="A", published_at=timezone.now()
        )
    assert _queries(client, url) == one


def test_the_feed_runs_the_same_queries_with_1_and_50_releases(client, engineer):
    tender = make_tender(engineer, status=S.PUBLISHED)
    url = reverse("api:ocds-release-feed")
    _releases(tender, 1)
    one = _queries(client, url)
    _releases(tender, 49)
    assert _queries(client, url) == one


def test_the_package_runs_the_same_queries_with_1_and_50_releases(client, engineer):
    tender = make_tender(engineer, status=S.PUBLISHED)
    url = f"/tenders/{tender.reference}/ocds.json"
    _releases(tender, 1)
    one = _queries(client, url)
    _releases(tender, 49)
    assert _queries(client, url) == one


def test_recording_a_release_runs_the_same_queries_with_1_and_50_rows(engineer):
    tender = make_tender(engineer, status=S.AWARDED)
    add_documents(tender, engineer, kinds=("boq",))
    add_items(tender, 1)
    row = bid(tender, OrganizationFactory(), price=PRICES[0])
    Award.objects.create(
        tender=tender,
        bid=row,
        amount=PRICES[0],
        awarded_at=timezone.now(),
        standstill_ends_at=timezone.now(),
    )
    release_record(tender=tender, tag="award")  # the counter row exists from here on
    with CaptureQueriesContext(connection) as one:
        release_record(tender=tender, tag="award")
    BoqItem.objects.bulk_create(
        BoqItem(
            tender=tender,
            code=f"9.{i}",
            description_ar="بند",
            description_en="Item",
            unit="m",
            quantity=1,
            position=10 + i,
        )
        for i in range(49)
    )
    for i in range(49):
        bid(tender, OrganizationFactory())
        Clarification.objects.create(
            tender=tender, question=f"Q{i}", answer="A", published_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as fifty:
        release_record(tender=tender, tag="award")
    assert len(one) == len(fifty)


# --- the public pages ---------------------------------------------------------------------------


def test_the_open_list_shows_only_open_tenders(client, engineer):
    open_one = make_tender(engineer, n=1, status=S.TENDERING)
    add_documents(open_one, engineer)
    make_tender(engineer, n=2)  # draft
    make_tender(engineer, n=3, status=S.CLOSED)
    make_tender(engineer, n=4, status=S.CANCELLED)
    response = client.get(reverse("tenders_public:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert open_one.reference in page
    for n in (2, 3, 4):
        assert f"TND-2026-{n:04d}" not in page
    assert "4,321,987.65" not in page and "4321987.65" not in page
    assert 'data-testid="documents-count">3<' in page
    assert 'id="publication-policy"' in page


def test_results_show_the_supplier_and_the_amount(client, engineer):
    story = all_the_way(engineer)
    make_tender(engineer, n=2, status=S.FINANCIAL_EVALUATION)
    response = client.get(reverse("tenders_public:results"))
    page = response.content.decode()
    assert story.tender.reference in page
    assert "TND-2026-0002" not in page
    assert "3,950,000.25" in page
    assert story.bidders[0].name_ar in page  # Arabic first
    assert story.bidders[1].name_ar not in page


def test_the_public_tender_page(client, engineer):
    story = all_the_way(engineer)
    url = reverse("tenders_public:detail", args=[story.tender.reference])
    page = client.get(url).content.decode()
    assert story.tender.title_ar in page
    assert "Is the asphalt layer 50 mm?" in page
    assert story.question.asked_by.full_name not in page
    assert "3,950,000.25" in page
    assert "4,321,987.65" not in page
    assert f"/tenders/{story.tender.reference}/ocds.json" in page


def test_the_public_tender_page_before_the_award_names_no_bidder(client, engineer):
    tender = make_tender(engineer, status=S.FINANCIAL_EVALUATION)
    organization = OrganizationFactory()
    bid(tender, organization, price=PRICES[2])
    page = client.get(reverse("tenders_public:detail", args=[tender.reference])).content.decode()
    assert organization.name_ar not in page and organization.name_en not in page
    assert "3,999,999.99" not in page
    assert 'data-testid="award"' not in page


def test_a_draft_has_no_public_page(client, engineer):
    draft = make_tender(engineer)
    assert client.get(reverse("tenders_public:detail", args=[draft.reference])).status_code == 404


def test_the_cached_public_pages_change_with_the_tender(client, engineer):
    """The pages are kept whole for anonymous visitors (portal.public_cache) and rendered
    again when what they show changes: a tender opens, is awarded."""
    tender = make_tender(engineer, status=S.FINANCIAL_EVALUATION)
    detail = reverse("tenders_public:detail", args=[tender.reference])
    assert tender.reference not in client.get(reverse("tenders_public:list")).content.decode()
    assert 'data-testid="award"' not in client.get(detail).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail).status_code == 200
    assert len(queries) == 0  # served from the cache

    opened = make_tender(engineer, n=2, status=S.TENDERING)
    assert opened.reference in client.get(reverse("tenders_public:list")).content.decode()

    organization = OrganizationFactory()
    row = bid(tender, organization, price=PRICES[0])
    Award.objects.create(
        tender=tender,
        bid=row,
        amount=PRICES[0],
        awarded_at=timezone.now(),
        standstill_ends_at=timezone.now() + datetime.timedelta(days=10),
    )
    move(tender, S.AWARDED)
    page = client.get(detail).content.decode()
    assert 'data-testid="award"' in page and organization.name_ar in page
    assert tender.reference in client.get(reverse("tenders_public:results")).content.decode()
