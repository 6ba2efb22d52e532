"""Drill 14: the database connection is dropped in the middle of a request's multi-row write (a
withdrawal: the transaction's status, its audit event, then the customer's notification). The
page answers with the plain 500 page (no traceback), the API with its JSON error, and nothing
the request had written is left behind.

On PostgreSQL the request's own server process is terminated from another connection
(pg_terminate_backend), as when the database restarts or a proxy cuts the line; on SQLite the
request's connection is closed under it."""

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import AuditEvent, Notification
from tests.transactions.factories import transaction_at
from transactions.models import Transaction

S = Transaction.Status


def _drop_the_connection() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [pid] = cursor.fetchone()
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            other.close()
    else:
        connection.connection.close()


def _rows() -> tuple:
    return (
        list(Transaction.objects.order_by("pk").values_list("pk", "status")),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.fixture
def drop_mid_write(monkeypatch):
    """Arm it just before the request: the withdrawal will have written the status and the
    audit event when the connection goes, before the notification is written."""
    from transactions.services import applications

    real = applications._notify_customer
    drops = []

    def drop_then_notify(*args, **kwargs):
        drops.append(connection.vendor)
        _drop_the_connection()
        return real(*args, **kwargs)

    def arm() -> list:
        monkeypatch.setattr(applications, "_notify_customer", drop_then_notify)
        return drops

    return arm


def _after_the_drop() -> tuple:
    # The test client does not run Django's end-of-request connection check: do it here.
    connection.close()
    return _rows()


@pytest.mark.django_db(transaction=True)
def test_the_page_answers_with_the_error_page_and_nothing_is_half_written(
    people, service, drop_mid_write
):
    t = transaction_at(S.INCOMPLETE_RETURNED, service=service, people=people)
    before = _rows()
    client = Client(raise_request_exception=False)
    client.force_login(people.customer)

    dropped = drop_mid_write()
    response = client.post(
        reverse("transactions:action", args=[t.pk, "withdraw"]),
        {"withdraw-reason": "Changed my mind"},
    )

    assert dropped == [connection.vendor]
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "حدث خطأ غير متوقع" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert _after_the_drop() == before
    print(f"\n[drill 14 page] vendor={connection.vendor} status=500 rows_changed=0")


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_with_a_json_error_and_nothing_is_half_written(
    people, service, drop_mid_write
):
    t = transaction_at(S.INCOMPLETE_RETURNED, service=service, people=people)
    before = _rows()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_authenticate(people.customer)

    dropped = drop_mid_write()
    response = client.post(f"/api/v1/transactions/{t.pk}/withdraw/", {"reason": "Changed"})

    assert dropped == [connection.vendor]
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side; please try again later.",
        }
    }
    assert _after_the_drop() == before
    print(f"\n[drill 14 api] vendor={connection.vendor} status=500 rows_changed=0")
