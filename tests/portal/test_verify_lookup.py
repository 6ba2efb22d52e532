"""The home page's "verify a document" card is a form (issue 12, item 10: it had no input): a
code leads to the code's page, an empty one stays with a message in the page's language."""

import pytest
from django.urls import reverse

from portal.models import IssuedDocument
from tests.factories import CustomerFactory


@pytest.fixture
def document(db):
    return IssuedDocument.objects.create(
        kind="receipt",
        reference="RCP-2026-000001",
        title_ar="إيصال",
        title_en="Receipt",
        template="portal/pdf/none.html",
        owner=CustomerFactory(),
    )


def test_home_page_card_has_a_code_input_that_submits_to_the_lookup(client, db):
    html = client.get("/ar/").content.decode()
    form = html.split('data-testid="verify-form"')[0].rsplit("<form", 1)[1]
    assert f'action="{reverse("verify_lookup")}"' in form and 'method="get"' in form
    assert 'name="code"' in html.split('data-testid="verify-form"')[1].split("</form>")[0]


def test_a_code_goes_to_its_verification_page(client, document):
    response = client.get(reverse("verify_lookup"), {"code": f" {document.verification_code} "})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{document.verification_code}/"


def test_an_empty_code_stays_with_a_translated_message(client, db):
    response = client.get(reverse("verify_lookup"), {"code": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter the verification code printed under the document" in html
    assert 'aria-describedby="verify-code-error"' in html and 'id="verify-code-error"' in html


def test_a_code_no_document_can_carry_is_unknown_not_an_error(client, db):
    response = client.get(reverse("verify_lookup"), {"code": "a/b?c"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This verification code is unknown." in response.content.decode()


def test_the_unknown_code_page_offers_the_form_again(client, db):
    html = client.get("/verify/no-such-code/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="verify-form"' in html and 'value="no-such-code"' in html
