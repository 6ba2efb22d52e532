"""The API counts a long list only up to a cap (issue 11: counting everything a reviewer may
see took longer than the page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from portal import pagination
from tests.factories import UserFactory
from tests.transactions.factories import draft


@pytest.fixture
def cap(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    return 3


def test_the_count_stops_at_the_cap(db, cap):
    for _ in range(5):
        UserFactory()
    paginator = pagination.CappedPaginator(User.objects.order_by("pk"), 2)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == cap
    [count] = queries.captured_queries
    assert "LIMIT 3" in count["sql"].upper()
    assert "ORDER BY" not in count["sql"].upper()
    assert paginator.num_pages == 2
    assert len(paginator.page(2).object_list) == 1
    # A short list is counted exactly.
    assert pagination.CappedPaginator(User.objects.order_by("pk")[:2], 2).count == 2


def test_the_api_reports_the_capped_count(people, service, cap):
    for _ in range(5):
        draft(customer=people.customer, service=service, complete=False)
    client = APIClient()
    client.force_authenticate(people.customer)
    body = client.get("/api/v1/transactions/").json()
    assert body["count"] == cap
    assert len(body["results"]) == cap


def test_the_schema_documents_the_cap():
    schema = pagination.Pagination().get_paginated_response_schema({"type": "array"})
    assert schema["properties"]["count"]["maximum"] == pagination.COUNT_CAP


def test_a_page_reads_its_ids_first_then_those_rows_in_order(people, service):
    made = [draft(customer=people.customer, service=service, complete=False) for _ in range(5)]
    from transactions.selectors import customer_transactions

    paginator = pagination.CappedPaginator(customer_transactions(user=people.customer), 2)
    paginator.count  # noqa: B018 - counted apart from the page
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(2)
    ids_query, rows_query = (q["sql"].upper() for q in queries.captured_queries)
    # The ids: the filter and the order alone, no join to what is shown with the rows.
    assert "JOIN" not in ids_query and "LIMIT 2" in ids_query and "OFFSET 2" in ids_query
    assert "JOIN" in rows_query and " IN (" in rows_query
    newest_first = sorted(made, key=lambda t: (t.updated_at, t.pk), reverse=True)
    assert [t.pk for t in page] == [t.pk for t in newest_first[2:4]]
    assert page.object_list[0].service.name_en  # selected with the row: no query
