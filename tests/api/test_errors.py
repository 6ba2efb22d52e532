"""Issue #9 item 10: every API error is the portal's JSON error body, whatever raised it (the URL
resolver, a crash), while the pages keep their HTML error templates."""

import pytest
from django.test import Client

import portal.api


def _assert_api_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/transactions/abc/",
        "/api/v1/meetings/abc/",
        "/api/v1/no-such-endpoint/",
        "/api/nothing-here/",
    ],
)
def test_an_unrouted_api_path_is_a_json_404(client, customer, path):
    client.force_login(customer)
    _assert_api_error(client.get(path), 404, "not_found")


def test_an_unrouted_api_path_is_a_json_404_without_credentials_too(client, db):
    _assert_api_error(client.get("/api/v1/transactions/abc/"), 404, "not_found")


def test_a_wrong_method_on_the_api_is_a_json_405(client, customer):
    client.force_login(customer)
    _assert_api_error(client.delete("/api/v1/me/"), 405, "method_not_allowed")


def test_a_crash_under_the_api_is_a_json_500(customer, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(portal.api, "file_response", crash)
    client = Client(raise_request_exception=False)
    client.force_login(customer)
    response = client.get("/api/v1/files/6f1c7a8e-2b1d-4c59-9a55-0d4f3c2b1a00/")
    _assert_api_error(response, 500, "server_error")
    assert "boom" not in response.content.decode()


def test_pages_keep_the_html_404(client, db):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content
