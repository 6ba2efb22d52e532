"""Public pages are kept whole for anonymous visitors (issue 11), never shown to someone signed
in, rendered again when what they show changes, and never share a CSRF token."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import IssuedDocument
from tests.factories import CustomerFactory


@pytest.fixture
def document(db):
    return IssuedDocument.objects.create(
        kind="receipt",
        reference="RCP-2026-000042",
        title_ar="إيصال",
        title_en="Receipt",
        template="portal/pdf/none.html",
        owner=CustomerFactory(),
    )


def _without_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _queries(client, path, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    assert response.status_code == 200
    return response, len(queries.captured_queries)


def test_the_second_anonymous_visit_is_answered_from_the_cache(document):
    path = f"/verify/{document.verification_code}/"
    first, before = _queries(Client(), path)
    second, after = _queries(Client(), path)
    assert before >= 1 and after == 0
    # The same page, but for the language switch's token (each visitor's own: see below).
    assert _without_token(second) == _without_token(first)
    assert "RCP-2026-000042" in second.content.decode()


def test_each_language_has_its_own_copy(db):
    arabic, _ = _queries(Client(), "/ar/services/")
    english, queries = _queries(Client(), "/en/services/")
    assert queries > 0  # not the Arabic copy
    assert 'lang="ar"' in arabic.content.decode() and 'lang="en"' in english.content.decode()


def test_a_change_to_what_the_page_shows_renders_it_again(service):
    _queries(Client(), "/en/services/")
    service.name_en = "Renamed road permit"
    service.save()
    response, queries = _queries(Client(), "/en/services/")
    assert queries > 0
    assert "Renamed road permit" in response.content.decode()


def test_someone_signed_in_never_gets_the_anonymous_copy(customer):
    _queries(Client(), "/en/")
    client = Client()
    client.force_login(customer)
    html = client.get("/en/").content.decode()
    assert "Go to my account" in html
    assert 'data-testid="sign-out"' in html


def test_a_query_string_or_a_waiting_message_is_rendered_afresh(document):
    path = f"/verify/{document.verification_code}/"
    _queries(Client(), path)
    _, queries = _queries(Client(), path + "?from=qr")
    assert queries >= 1
    client = Client()
    client.cookies["messages"] = "anything"
    _, queries = _queries(client, path)
    assert queries >= 1


def test_every_visitor_gets_a_token_of_their_own_that_works(db):
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        html = client.get("/en/services/").content.decode()
        [token] = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        tokens.append(token)
        assert "__portal_csrf_token__" not in html
        # The language switch posts with the visitor's own cookie and the page's token.
        response = client.post(
            "/i18n/setlang/",
            {"csrfmiddlewaretoken": token, "language": "ar", "next": "/ar/services/"},
        )
        assert response.status_code == 302, response.status_code
    assert tokens[0] != tokens[1]


def test_the_parameters_a_page_names_are_part_of_its_address(db):
    # The OCDS change feed is cached per cursor; any other parameter is rendered afresh.
    feed = "/api/v1/ocds/releases/"
    first, _ = _queries(Client(), feed + "?cursor=0")
    again, queries = _queries(Client(), feed + "?cursor=0")
    assert queries == 0 and again.json() == first.json()
    _, queries = _queries(Client(), feed + "?cursor=5")
    assert queries > 0
    _, queries = _queries(Client(), feed + "?cursor=0&format=json")
    assert queries > 0
