"""The long lists are read in index order, a page at a time, never sorted whole (issue 11: the
reviewer's list sorted everything visible by -updated_at, the queue by its due dates).

PostgreSQL only (CI sets DATABASE_URL): the plans are PostgreSQL's. Sequential scans and sorts
are switched off so that a table of a few test rows is planned as a large one would be."""

from django.db import connection, transaction

from tests.transactions.factories import transaction_at
from transactions import selectors


def _plan(queryset) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # A sort is then chosen only when no index gives the order.
        cursor.execute("SET LOCAL enable_sort = off")
        # Incremental sorts too (on a tiny table the planner may pick a prefix index and sort
        # the rest, which it would not do on a large one).
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        return queryset.explain()


def test_the_reviewers_list_reads_the_newest_first_index(db, postgresql, people, service):
    transaction_at("under_review", service=service, people=people)
    qs = selectors.transactions_visible_to(user=people.reviewer).order_by("-updated_at", "-pk")
    plan = _plan(qs[:25])
    assert "trx_updated" in plan
    assert "Sort" not in plan


def test_the_queue_reads_its_own_order_index(db, postgresql, people, service):
    transaction_at("submitted", service=service, people=people)
    plan = _plan(selectors.staff_queue(user=people.agent)[:20])
    assert "trx_queue_order" in plan
    assert "Sort" not in plan
