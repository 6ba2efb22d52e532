"""Public tender pages (no login): open tenders, results, a tender's page, and its OCDS release
package. What the public may see is decided in tenders.ocds only."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from portal.pagination import CappedPaginator
from portal.public_cache import public_page
from tenders import ocds
from tenders.models import Tender

PAGE_SIZE = 20

# The models each page shows: a change to any of them renders the cached page again.
_LIST_MODELS = ("tenders.tender", "tenders.tenderdocument")
_RESULT_MODELS = ("tenders.tender", "tenders.award", "accounts.organization")
_DETAIL_MODELS = (
    "tenders.tender",
    "tenders.tenderdocument",
    "tenders.boqitem",
    "tenders.addendum",
    "tenders.clarification",
    "tenders.award",
    # Not tenders.bid: bids are shown (counted) only once awarded, and none changes after the
    # deadline; the award's own save renders the page again.
    "accounts.organization",
)


@public_page(*_LIST_MODELS)
def tender_list(request: HttpRequest) -> HttpResponse:
    """Tenders open for enquiries and bids, soonest deadline first."""
    page = CappedPaginator(ocds.tenders_public_open(), PAGE_SIZE).get_page(request.GET.get("page"))
    ocds.documents_counted(page.object_list)
    return render(request, "tenders/public_list.html", {"page": page, "query": ""})


@public_page(*_RESULT_MODELS)
def tender_results(request: HttpRequest) -> HttpResponse:
    """Awarded and contracted tenders: the supplier, the amount and the date."""
    page = CappedPaginator(ocds.tenders_public_results(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "tenders/public_results.html", {"page": page, "query": ""})


@public_page(*_DETAIL_MODELS)
def tender_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A published tender as the public sees it: what OCDS publishes, in the page's language."""
    tender = ocds.tender_public_get(reference=reference)
    if tender is None:
        raise Http404
    documents = _latest_first(tender.documents.all())
    return render(
        request,
        "tenders/public_detail.html",
        {
            "tender": tender,
            "documents": documents,
            "items": tender.boq_items.all(),
            "addenda": tender.addenda.all(),
            "clarifications": list(ocds.clarifications_published(tender=tender)),
            "award": ocds.tender_public_award(tender),
            "tenderer_count": ocds.tender_public_tenderer_count(tender),
            "is_open": tender.status in ocds.OPEN_STATUSES,
            "S": Tender.Status,
        },
    )


def _latest_first(documents) -> list:
    """The documents with their earlier versions marked (the list is by kind, newest first)."""
    seen: set[str] = set()
    rows = []
    for document in documents:
        document.is_current = document.kind not in seen
        seen.add(document.kind)
        rows.append(document)
    return rows


@public_page("tenders.ocdsrelease", "tenders.tender")
def tender_package(request: HttpRequest, reference: str) -> HttpResponse:
    """The tender's OCDS release package (every release recorded for it), as JSON."""
    tender = ocds.tenders_public().filter(reference=reference).first()
    if tender is None:
        raise Http404
    package = ocds.tender_package(tender=tender, uri=request.build_absolute_uri())
    return JsonResponse(package, json_dumps_params={"ensure_ascii": False})
