"""Done-when 6 for the signed-in lists: the supplier's tenders and bids, the staff dashboard and
clarification inbox, and the API's lists run the same number of queries with 1 and with 50
tenders and bids (STYLE 13)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tenders.services import clarifications
from tests.tenders import factories as f
from tests.tenders.journey import RATES, submit


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def _published_with_activity(people) -> None:
    """One more published tender with the supplier's bid and a question waiting."""
    tender = f.tender_at("published", people=people)
    submit(tender, people.supplier, RATES["supplier"])
    clarifications.clarification_ask(actor=people.other_supplier, tender=tender, question="When?")


def _count(fetch) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
        assert response.status_code == 200, response.status_code
    return len(queries)


def _lists(client, people) -> dict[str, int]:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    counts = {}
    pages = {
        "supplier": ["/en/tenders/", "/en/tenders/bids/"],
        "engineer": ["/en/staff/tenders/", "/en/staff/tenders/clarifications/", "/en/staff/"],
    }
    for persona, urls in pages.items():
        user = getattr(people, persona)
        client.force_login(user)
        for url in urls:
            client.get(url)  # warm the session and the per-process caches
            counts[f"{persona} {url}"] = _count(lambda url=url: client.get(url))
    apis = {
        "supplier": ["/api/v1/tenders/", "/api/v1/tenders/bids/"],
        "engineer": ["/api/v1/tenders/"],
    }
    for persona, urls in apis.items():
        api.force_authenticate(getattr(people, persona))
        for url in urls:
            api.get(url)
            counts[f"{persona} {url}"] = _count(lambda url=url: api.get(url))
    return counts


def test_the_lists_run_the_same_queries_with_1_and_50_rows(client, people, monkeypatch):
    # One page holds them all, so the 50 rows are all rendered.
    from portal.pagination import Pagination
    from tenders.views import staff, supplier

    monkeypatch.setattr(supplier, "PAGE_SIZE", 50)
    monkeypatch.setattr(staff, "PAGE_SIZE", 50)
    monkeypatch.setattr(Pagination, "page_size", 50)
    _published_with_activity(people)
    one = _lists(client, people)
    for _ in range(49):
        _published_with_activity(people)
    fifty = _lists(client, people)
    assert one == fifty
