"""Who may open the staff workspace and the Django admin."""

import pytest
from django.utils import translation


def _ar(message: str) -> str:
    """The message as an Arabic page shows it: Arabic once locale/ar is compiled."""
    with translation.override("ar"):
        return translation.gettext(message)


STAFF_PERSONAS = ["agent", "reviewer", "contracts_engineer", "committee_member", "finance"]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    # MFA has its own tests (test_mfa.py); here only roles decide.
    settings.STAFF_MFA_REQUIRED = False


def test_customer_is_refused_the_staff_workspace_in_arabic(client, customer):
    client.force_login(customer)
    response = client.get("/ar/staff/")
    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert _ar("You do not have permission to open this page.") in page


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/ar/staff/")
    assert response.status_code == 302
    assert response.url == "/ar/accounts/login/?next=/ar/staff/"


def test_customer_cannot_reach_the_admin_index(client, customer):
    client.force_login(customer)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/"


@pytest.mark.parametrize("persona", [*STAFF_PERSONAS, "admin_user"])
def test_each_staff_persona_opens_the_staff_workspace(client, db, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get("/ar/staff/")
    assert response.status_code == 200
    assert user.full_name in response.content.decode()
