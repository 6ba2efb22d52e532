"""Issue #12 item 15: the OpenAPI schema and the docs page are for developers, so they are in
English whatever the browser or the language cookie prefers, and in Arabic with `?lang=ar`. The
API's own error messages keep following Accept-Language (Arabic, the portal's default, without
one)."""

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

# A title drf-spectacular takes from a model field's translated verbose_name.
TITLE = {"en": "Comment", "ar": "التعليق"}


def _titles(schema: dict) -> set[str]:
    return {
        field["title"]
        for component in schema["components"]["schemas"].values()
        for field in component.get("properties", {}).values()
        if "title" in field
    }


def _schema(client: Client, query: str = "") -> dict:
    response = client.get(f"/api/schema/?format=json{query}")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ACCEPT_LANGUAGE": "ar"},
        {"HTTP_ACCEPT_LANGUAGE": "ar-AE,ar;q=0.9"},
    ],
    ids=["no-header", "accept-ar", "accept-ar-AE"],
)
@pytest.mark.django_db
def test_the_schema_is_english_by_default(headers):
    client = Client(**headers)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"  # the portal's pages were in Arabic

    titles = _titles(_schema(client))

    assert TITLE["en"] in titles
    assert TITLE["ar"] not in titles


@pytest.mark.django_db
def test_the_schema_is_arabic_with_lang_ar():
    titles = _titles(_schema(Client(HTTP_ACCEPT_LANGUAGE="en"), "&lang=ar"))

    assert TITLE["ar"] in titles
    assert TITLE["en"] not in titles


@pytest.mark.django_db
def test_an_unknown_lang_gives_english():
    titles = _titles(_schema(Client(HTTP_ACCEPT_LANGUAGE="ar"), "&lang=xx"))

    assert TITLE["en"] in titles


@pytest.mark.parametrize(("query", "language"), [("", "en"), ("?lang=ar", "ar")])
@pytest.mark.django_db
def test_the_docs_page_is_english_unless_asked(query, language):
    response = Client(HTTP_ACCEPT_LANGUAGE="ar").get(f"/api/docs/{query}")

    assert response.status_code == 200
    assert response["Content-Language"] == language
    # The page loads the schema in the same language.
    assert (f"lang={language}" in response.content.decode()) == (language == "ar")


@pytest.mark.parametrize(
    ("header", "language"), [({}, "ar"), ({"HTTP_ACCEPT_LANGUAGE": "en"}, "en")]
)
@pytest.mark.django_db
def test_api_errors_follow_accept_language(header, language):
    response = APIClient(**header).get("/api/v1/transactions/")

    assert response.status_code == 401
    assert response["Content-Language"] == language
    message = response.json()["error"]["message"]
    if language == "ar":
        assert any("\u0600" <= ch <= "\u06ff" for ch in message), message
    else:
        assert message.isascii(), message
