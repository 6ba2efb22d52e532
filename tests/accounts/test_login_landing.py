"""Where a sign-in lands: customers on their transactions, staff on their workspace, unless a
page asked for the sign-in."""

import pytest

from accounts.roles import Role
from tests.factories import PASSWORD, CustomerFactory, UserFactory


@pytest.mark.parametrize(
    "make, lands_on",
    [
        (lambda: CustomerFactory(email="c@example.ae"), "/ar/transactions/"),
        (lambda: UserFactory(email="r@example.ae", role=Role.REVIEWER), "/ar/staff/"),
    ],
)
def test_sign_in_lands_on_the_users_work(client, db, settings, make, lands_on):
    settings.STAFF_MFA_REQUIRED = False
    user = make()
    response = client.post("/ar/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert (response.status_code, response.url) == (302, lands_on)


def test_a_page_that_asked_for_the_sign_in_wins(client, db):
    user = CustomerFactory(email="c@example.ae")
    response = client.post(
        "/ar/accounts/login/?next=/ar/meetings/",
        {"login": user.email, "password": PASSWORD, "next": "/ar/meetings/"},
    )
    assert (response.status_code, response.url) == (302, "/ar/meetings/")
