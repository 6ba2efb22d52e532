"""Open Contracting Data Standard 1.1: what the public may know of a tender, as OCDS releases
and release packages, and the reads of the public pages and feeds (no login).

What is public is decided here only:
- a tender once it is published (never a draft);
- the estimated value never (tenders.models.Tender.estimated_value is staff-only), so
  `tender.value` is left out of every release;
- bidders and prices only once the tender is awarded or contracted: the award (supplier,
  amount), the tenderers and the contract. Before that no release names a bidder or carries a
  price, whatever tag the release has (`disclosed_award`);
- published clarifications without who asked (the question, the answer, the date).

The builders are pure: they read attributes of the rows they are given (models, or plain
objects in tests) and return dicts ready for JSON. `release_rows` loads those rows for a tender
in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

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

OCDS_VERSION = "1.1"
CURRENCY = "AED"
LANGUAGE = "en"  # the release's own text; the Arabic is in the `_ar` fields (OCDS multilingual)
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
# Releases are a few kB each: 10 a page keeps a page near 50 kB for the pollers (issue 11).
FEED_PAGE_SIZE = 10

# The closed releaseTag codes the portal publishes, one per event.
TAGS = (
    "tender",  # publication
    "tenderAmendment",  # an addendum
    "tenderUpdate",  # a clarification or pre-bid minutes published; unsuccessful
    "tenderCancellation",
    "award",
    "contract",
)

S = Tender.Status

# The tender's status, in the closed tenderStatus codelist. The evaluation stages are still
# "active" (the tender process is taking place) until the award completes it.
TENDER_STATUS = {
    S.PUBLISHED: "active",
    S.TENDERING: "active",
    S.CLOSED: "active",
    S.OPENED: "active",
    S.TECHNICAL_EVALUATION: "active",
    S.FINANCIAL_EVALUATION: "active",
    S.AWARDED: "complete",
    S.CONTRACTED: "complete",
    S.CANCELLED: "cancelled",
    S.UNSUCCESSFUL: "unsuccessful",
}
# Closed `method` codelist: a limited tender invites named organizations ("limited": the
# procuring entity contacts suppliers of its choice).
METHOD = {Tender.Method.OPEN: "open", Tender.Method.LIMITED: "limited"}
METHOD_DETAILS = {
    Tender.Method.OPEN: "Open tender",
    Tender.Method.LIMITED: "Limited tender, by invitation to named organizations",
}
# Closed procurementCategory codelist.
CATEGORY = {
    Tender.Category.WORKS: "works",
    Tender.Category.CONSULTANCY: "services",
    Tender.Category.SUPPLY: "goods",
}
# Open awardCriteria and documentType codelists (codes that exist in them).
AWARD_CRITERIA = {
    Tender.FinancialMethod.LOWEST_PRICE: "priceOnly",
    Tender.FinancialMethod.COMBINED: "ratedCriteria",
}
DOCUMENT_TYPE = {
    TenderDocument.Kind.BOQ: "billOfQuantity",
    TenderDocument.Kind.DRAWINGS: "illustration",
    TenderDocument.Kind.SPECIFICATIONS: "technicalSpecifications",
    TenderDocument.Kind.OTHER: "biddingDocuments",
}

# Which tenders the public sees, and in which list.
PUBLIC_STATUSES = frozenset(TENDER_STATUS)
OPEN_STATUSES = Tender.BIDDING
RESULT_STATUSES = frozenset({S.AWARDED, S.CONTRACTED})

BUYER_ID = "buyer"
# A tender's reference in URLs (portal.references: TND-YYYY-NNNN, more digits past 9999).
REFERENCE_PATTERN = r"TND-[0-9]{4}-[0-9]{4,}"


# --- small conversions ----------------------------------------------------------------------------


def ocid(tender) -> str:
    """The contracting process id: the registered prefix and the tender's reference."""
    return f"{settings.OCDS_OCID_PREFIX}-{tender.reference}"


def iso(moment) -> str | None:
    """An aware date-time as RFC 3339 in UTC; a date as the start of that day in Dubai."""
    if moment is None:
        return None
    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime.combine(moment, datetime.time(), timezone.get_default_timezone())
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def number(value: Decimal) -> int | float:
    """A Decimal as a JSON number. Amounts and quantities have at most 14 digits (Decimal 14,2
    and 14,3): a float prints back exactly those digits (up to 15 always round-trip), so the
    JSON text is the Decimal's."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def money(amount: Decimal) -> dict:
    return {"amount": number(amount), "currency": CURRENCY}


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def public_tender_url(tender) -> str:
    # The release is in English: its links are the English pages.
    with translation.override(LANGUAGE):
        return site_url(reverse("tenders_public:detail", args=[tender.reference]))


def publication_policy_url() -> str:
    with translation.override(LANGUAGE):
        return site_url(reverse("tenders_public:list")) + "#publication-policy"


def _drop_empty(data: dict) -> dict:
    """OCDS leaves out what is unknown rather than writing null or an empty list."""
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _texts(name: str, en: str, ar: str) -> dict:
    return {name: en, f"{name}_ar": ar}


# --- what a release is built from -----------------------------------------------------------------


def disclosed_award(tender, award):
    """The award, when the public may know it (the tender is awarded or contracted); None
    before. The one place that decides when bidders and prices become public."""
    if award is None or tender.status not in RESULT_STATUSES:
        return None
    return award


@dataclass
class ReleaseRows:
    """A tender's rows a release is built from (models, or plain objects in tests).
    `tenderers` are the organizations with a live bid; the builder uses them (and `award`)
    only once the award is disclosed."""

    tender: Any
    documents: list = field(default_factory=list)
    items: list = field(default_factory=list)
    addenda: list = field(default_factory=list)
    clarifications: list = field(default_factory=list)
    award: Any = None
    tenderers: list = field(default_factory=list)


def release_rows(tender: Tender) -> ReleaseRows:
    """Load what a release of `tender` shows: documents, BoQ, addenda, published
    clarifications, and — only once the award is disclosed — the award and the bidders.
    Seven queries at most, whatever the number of rows."""
    award = None
    tenderers: list = []
    if tender.status in RESULT_STATUSES:
        award = Award.objects.select_related("bid__organization").filter(tender=tender).first()
        if disclosed_award(tender, award) is not None:
            tenderers = [
                bid.organization
                for bid in Bid.objects.filter(tender=tender, status=Bid.Status.SUBMITTED)
                .select_related("organization")
                .order_by("submitted_at", "pk")
            ]
    return ReleaseRows(
        tender=tender,
        documents=list(
            TenderDocument.objects.filter(tender=tender)
            .select_related("file")
            .order_by("kind", "version", "pk")
        ),
        items=list(BoqItem.objects.filter(tender=tender).order_by("position", "pk")),
        addenda=list(Addendum.objects.filter(tender=tender).order_by("number")),
        clarifications=list(clarifications_published(tender=tender)),
        award=award,
        tenderers=tenderers,
    )


def clarifications_published(*, tender) -> QuerySet[Clarification]:
    # `asked_by` is never read here: who asked is not public.
    return (
        Clarification.objects.filter(tender=tender, published_at__isnull=False)
        .only("pk", "tender_id", "source", "question", "answer", "published_at")
        .order_by("published_at", "pk")
    )


# --- the builders ---------------------------------------------------------------------------------


def _buyer() -> dict:
    return {
        "id": BUYER_ID,
        "name": settings.DEPARTMENT_NAME_EN,
        "name_ar": settings.DEPARTMENT_NAME_AR,
    }


def _party_id(organization) -> str:
    return f"org-{organization.pk}"


def _organization_reference(organization) -> dict:
    return {"id": _party_id(organization), "name": organization.name_en}


def _parties(rows: ReleaseRows, award) -> list[dict]:
    parties = [{**_buyer(), "roles": ["buyer", "procuringEntity"]}]
    if award is None:
        return parties
    winner = award.bid.organization
    organizations = {o.pk: o for o in rows.tenderers}
    organizations.setdefault(winner.pk, winner)
    for organization in organizations.values():
        roles = ["tenderer"] if organization.pk in {o.pk for o in rows.tenderers} else []
        if organization.pk == winner.pk:
            roles.append("supplier")
        parties.append(
            _drop_empty(
                {
                    "id": _party_id(organization),
                    "name": organization.name_en,
                    "name_ar": organization.name_ar,
                    "roles": roles,
                }
            )
        )
    return parties


def _document(document, tender) -> dict:
    return _drop_empty(
        {
            "id": f"doc-{document.pk}",
            "documentType": DOCUMENT_TYPE.get(document.kind, "biddingDocuments"),
            "title": f"{document.title_en} (v{document.version})",
            "title_ar": f"{document.title_ar} (v{document.version})",
            # The files are for the suppliers the tender is open to (Tender.user_can_view_files):
            # the public link is the tender's page, which lists them and where they sign in.
            "url": f"{public_tender_url(tender)}#document-{document.pk}",
            "datePublished": iso(document.created_at),
            "format": getattr(document.file, "content_type_detected", None),
        }
    )


def _clarification(clarification, tender) -> dict:
    minutes = clarification.source == Clarification.Source.PREBID_MINUTES
    if minutes:
        title, description = "Pre-bid session minutes", clarification.answer
    else:
        title = "Clarification"
        description = f"Question: {clarification.question}\nAnswer: {clarification.answer}"
    return {
        "id": f"clarification-{clarification.pk}",
        "documentType": "clarifications",
        "title": title,
        "description": description,
        "url": f"{public_tender_url(tender)}#clarification-{clarification.pk}",
        "datePublished": iso(clarification.published_at),
        "format": "text/html",
    }


def _amendment(addendum, *, release_id: str | None, amends: str | None) -> dict:
    rationale = addendum.description_en
    if addendum.new_submission_deadline:
        rationale += (
            f"\nSubmission deadline moved from {iso(addendum.old_submission_deadline)}"
            f" to {iso(addendum.new_submission_deadline)}."
        )
    return _drop_empty(
        {
            "id": f"addendum-{addendum.number}",
            "date": iso(addendum.created_at),
            "rationale": rationale,
            "rationale_ar": addendum.description_ar,
            "releaseID": release_id,
            "amendsReleaseID": amends,
        }
    )


def _tender_section(rows: ReleaseRows, *, tag: str, release_id: str, previous_id: str | None):
    tender = rows.tender
    award = disclosed_award(tender, rows.award)
    documents = [_document(d, tender) for d in rows.documents]
    documents += [_clarification(c, tender) for c in rows.clarifications]
    if tender.status == S.CANCELLED:
        documents.append(
            _drop_empty(
                {
                    "id": "cancellation",
                    "documentType": "cancellationDetails",
                    "title": "Reason for cancelling",
                    "description": tender.cancel_reason,
                    "url": public_tender_url(tender),
                    "datePublished": iso(getattr(tender, "cancelled_at", None)),
                }
            )
        )
    amendments = []
    for index, addendum in enumerate(rows.addenda):
        latest = tag == "tenderAmendment" and index == len(rows.addenda) - 1
        amendments.append(
            _amendment(
                addendum,
                release_id=release_id if latest else None,
                amends=previous_id if latest else None,
            )
        )
    section = {
        "id": tender.reference,
        **_texts("title", tender.title_en, tender.title_ar),
        **_texts("description", tender.description_en, tender.description_ar),
        "status": TENDER_STATUS[tender.status],
        "procuringEntity": {"id": BUYER_ID, "name": settings.DEPARTMENT_NAME_EN},
        "items": [
            {
                "id": item.code,
                **_texts("description", item.description_en, item.description_ar),
                "quantity": number(item.quantity),
                "unit": {"name": item.unit},
            }
            for item in rows.items
        ],
        # No `value`: the estimate is never published (module docstring).
        "procurementMethod": METHOD[tender.method],
        "procurementMethodDetails": METHOD_DETAILS[tender.method],
        "mainProcurementCategory": CATEGORY[tender.category],
        "awardCriteria": AWARD_CRITERIA[tender.financial_method],
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": _drop_empty(
            {"startDate": iso(tender.published_at), "endDate": iso(tender.submission_deadline)}
        ),
        "enquiryPeriod": _drop_empty(
            {"startDate": iso(tender.published_at), "endDate": iso(tender.enquiries_deadline)}
        ),
        "hasEnquiries": any(c.source == Clarification.Source.QUESTION for c in rows.clarifications),
        "awardPeriod": _drop_empty(
            {
                "startDate": iso(tender.opening_at),
                "endDate": iso(award.awarded_at) if award else None,
            }
        ),
        "documents": documents,
        "amendments": amendments,
    }
    if award is not None:
        section["tenderers"] = [_organization_reference(o) for o in rows.tenderers]
        section["numberOfTenderers"] = len(rows.tenderers)
    return _drop_empty(section)


def _award_id(tender) -> str:
    return f"{tender.reference}-award"


def _awards(tender, award) -> list[dict]:
    contracted = bool(award.contract_reference)
    return [
        {
            "id": _award_id(tender),
            "title": tender.title_en,
            "title_ar": tender.title_ar,
            # "pending" during the standstill (not yet in force), "active" once contracted.
            "status": "active" if contracted else "pending",
            "date": iso(award.awarded_at),
            "value": money(award.amount),
            "suppliers": [_organization_reference(award.bid.organization)],
        }
    ]


def _contracts(tender, award) -> list[dict]:
    if not award.contract_reference:
        return []
    signed = getattr(award, "contract_signed_on", None) or award.contract_signed_at
    value = award.contract_value if award.contract_value is not None else award.amount
    return [
        _drop_empty(
            {
                "id": award.contract_reference,
                "awardID": _award_id(tender),
                "title": tender.title_en,
                "title_ar": tender.title_ar,
                "status": "active",
                "value": money(value),
                "dateSigned": iso(signed),
            }
        )
    ]


def release_build(
    rows: ReleaseRows,
    *,
    tag: str,
    release_id: str,
    date: datetime.datetime,
    previous_id: str | None = None,
) -> dict:
    """The whole release of the tender as its rows are now, for the event `tag`.
    `previous_id` is the tender's latest earlier release (the one an amendment amends)."""
    if tag not in TAGS:
        raise ValueError(f"not a release tag the portal publishes: {tag!r}")
    tender = rows.tender
    if tender.status not in PUBLIC_STATUSES:
        raise ValueError(f"{tender.reference} is not public ({tender.status})")
    award = disclosed_award(tender, rows.award)
    release = {
        "ocid": ocid(tender),
        "id": release_id,
        "date": iso(date),
        "tag": [tag],
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": _parties(rows, award),
        "buyer": {"id": BUYER_ID, "name": settings.DEPARTMENT_NAME_EN},
        "tender": _tender_section(rows, tag=tag, release_id=release_id, previous_id=previous_id),
    }
    if award is not None:
        release["awards"] = _awards(tender, award)
        contracts = _contracts(tender, award)
        if contracts:
            release["contracts"] = contracts
    return release


def package_build(*, releases: list[dict], uri: str, published_date=None) -> dict:
    """An OCDS 1.1 release package around `releases`."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": iso(published_date or timezone.now()),
        "publisher": {"name": settings.DEPARTMENT_NAME_EN},
        "license": LICENSE,
        "publicationPolicy": publication_policy_url(),
        "releases": releases,
    }


# --- public reads (no login) ----------------------------------------------------------------------


def tenders_public() -> QuerySet[Tender]:
    """Every tender the public may see: published, whatever came after (never a draft)."""
    return Tender.objects.filter(status__in=PUBLIC_STATUSES)


def tenders_public_open() -> QuerySet[Tender]:
    """Tenders open for enquiries or bids, soonest deadline first."""
    return Tender.objects.filter(status__in=OPEN_STATUSES).order_by("submission_deadline", "pk")


def documents_counted(tenders: list[Tender]) -> list[Tender]:
    """Set `documents_count` on each tender of a page: its documents, the versions of one kind
    counted once. One query for the page (an annotation on the list would join every open
    tender's documents before the page is cut)."""
    counts = dict(
        TenderDocument.objects.filter(tender__in=[t.pk for t in tenders])
        .values("tender")
        .annotate(n=Count("kind", distinct=True))
        .values_list("tender", "n")
    )
    for tender in tenders:
        tender.documents_count = counts.get(tender.pk, 0)
    return tenders


def tenders_public_results() -> QuerySet[Tender]:
    """Awarded and contracted tenders, latest award first, with the supplier."""
    return (
        Tender.objects.filter(status__in=RESULT_STATUSES, award__isnull=False)
        .select_related("award__bid__organization")
        .order_by("-award__awarded_at", "-pk")
    )


def tender_public_get(*, reference: str) -> Tender | None:
    """A public tender with what its public page shows, or None (a draft or no such tender)."""
    return (
        tenders_public()
        .filter(reference=reference)
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=TenderDocument.objects.select_related("file").order_by(
                    "kind", "-version", "pk"
                ),
            ),
            Prefetch("boq_items", queryset=BoqItem.objects.order_by("position", "pk")),
            Prefetch("addenda", queryset=Addendum.objects.order_by("number")),
        )
        .first()
    )


def tender_public_award(tender: Tender):
    """The award with its supplier when disclosed (module docstring), else None."""
    if tender.status not in RESULT_STATUSES:
        return None
    award = Award.objects.select_related("bid__organization").filter(tender=tender).first()
    return disclosed_award(tender, award)


def tender_public_tenderer_count(tender: Tender) -> int | None:
    """How many bidders there were, once the award is disclosed; None before."""
    if tender.status not in RESULT_STATUSES:
        return None
    return Bid.objects.filter(tender=tender, status=Bid.Status.SUBMITTED).count()


def releases_of(*, tender: Tender) -> QuerySet[OcdsRelease]:
    return OcdsRelease.objects.filter(tender=tender).order_by("pk")


def releases_after(*, cursor: int, limit: int = FEED_PAGE_SIZE) -> list[OcdsRelease]:
    """The change feed's page: the releases recorded after `cursor` (an OcdsRelease id), oldest
    first. Ids come in commit order (tenders.services.releases), so a reader that resumes from
    the last id it saw gets each release exactly once."""
    return list(OcdsRelease.objects.filter(pk__gt=cursor).only("pk", "data").order_by("pk")[:limit])


def tender_package(*, tender: Tender, uri: str) -> dict:
    """The release package of one tender: every release recorded for it, oldest first."""
    return package_build(
        releases=[r.data for r in releases_of(tender=tender).only("pk", "data")], uri=uri
    )
