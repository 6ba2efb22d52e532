"""The REST API: tokens, the signed-in person, errors in one JSON shape, the schema and docs."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ClassificationCategory
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The token endpoint is throttled per IP in the cache; earlier tests must not use it up.
    cache.clear()


def _token_for(client, email: str, password: str = PASSWORD, **headers):
    return client.post("/api/v1/auth/token/", {"email": email, "password": password}, **headers)


def test_token_authenticates_me_with_roles_and_organization(client, customer):
    response = _token_for(client, "Customer@Example.ae")
    assert response.status_code == 200
    token = response.json()["token"]

    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "customer@example.ae"
    assert body["roles"] == ["customer"]
    assert body["organization"]["name_en"] == customer.organization.name_en
    assert body["organization_role"] == "manager"


def test_wrong_password_is_401_invalid_credentials(client, customer):
    # English only: locale/ar is still being translated, so the Arabic message is not checked.
    response = _token_for(client, customer.email, "Wrong-pass-2026", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "The e-mail address or password is wrong.",
        }
    }


def test_unverified_email_is_401_email_unverified(client, customer):
    EmailAddress.objects.filter(user=customer).update(verified=False)
    response = _token_for(client, customer.email)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "email_unverified"


def test_missing_fields_are_400_invalid_with_fields(client, db):
    response = client.post("/api/v1/auth/token/", {})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"email", "password"}


def test_me_without_credentials_is_401(client, db):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_patch_me_changes_the_full_name(client, customer):
    client.force_login(customer)
    response = client.patch(
        "/api/v1/me/", {"full_name": "Sara Al Muhairi"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "Sara Al Muhairi"
    customer.refresh_from_db()
    assert customer.full_name == "Sara Al Muhairi"
    assert customer.preferred_language == "ar"


def test_patch_me_rejects_an_unknown_language(client, customer):
    client.force_login(customer)
    response = client.patch(
        "/api/v1/me/", {"preferred_language": "fr"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"preferred_language"}
    customer.refresh_from_db()
    assert customer.preferred_language == "ar"


def test_schema_is_openapi_3(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "/api/v1/me/" in schema["paths"]


def test_docs_load_swagger_from_this_site(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        if asset.startswith("/api/docs/?"):
            continue  # the page's own start-up script, served by the split view (no inline JS)
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset


def _queries(client, path: str, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **headers).status_code == 200
    return len(queries)


def test_me_query_count_does_not_grow_with_categories(client, customer):
    client.force_login(customer)
    organization = customer.organization
    organization.categories.set(ClassificationCategory.objects.all()[:1])
    one = _queries(client, "/api/v1/me/")
    organization.categories.set(ClassificationCategory.objects.all())
    assert _queries(client, "/api/v1/me/") == one
