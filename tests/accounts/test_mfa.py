"""Staff roles must set up TOTP before any staff page or API call works (STAFF_MFA_REQUIRED)."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from knox.models import AuthToken


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True


def _activate_totp(user) -> None:
    TOTP.activate(user, generate_totp_secret())


def test_staff_without_totp_is_sent_to_totp_setup(client, reviewer, mfa_required):
    client.force_login(reviewer)
    response = client.get("/ar/staff/")
    assert response.status_code == 302
    assert resolve(response.url).url_name == "mfa_activate_totp"
    assert response.url.startswith("/ar/")


def test_staff_without_totp_gets_json_403_from_the_api(client, reviewer, mfa_required):
    client.force_login(reviewer)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_staff_token_does_not_bypass_mfa(client, reviewer, mfa_required):
    # A token issued before MFA became mandatory must not open the API either.
    _token, secret = AuthToken.objects.create(user=reviewer)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_staff_with_totp_opens_staff_page_and_api(client, reviewer, mfa_required):
    _activate_totp(reviewer)
    client.force_login(reviewer)
    assert client.get("/ar/staff/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_totp_setup_page_itself_stays_open(client, reviewer, mfa_required):
    # Were it blocked too, the redirect above would loop (the client raises RedirectCycleError).
    client.force_login(reviewer)
    response = client.get("/ar/accounts/2fa/totp/activate/", follow=True)
    assert response.status_code == 200


def test_customer_is_never_sent_to_mfa(client, customer, mfa_required):
    client.force_login(customer)
    assert client.get("/ar/profile/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_without_the_setting_staff_need_no_totp(client, reviewer, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(reviewer)
    assert client.get("/ar/staff/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/user/",
        "/admin/accounts/organization/",
        "/admin/accounts/user/1/password/",
    ],
)
def test_a_path_containing_accounts_is_not_exempt(client, admin_user, mfa_required, path):
    # The exemption used to be "the path contains /accounts/", which opened the admin's user,
    # organization and password-change pages to an administrator without TOTP.
    client.force_login(admin_user)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, (method, path)
        assert resolve(response.url).url_name == "mfa_activate_totp"


def test_sign_out_and_password_change_stay_open(client, reviewer, mfa_required):
    client.force_login(reviewer)
    assert client.get("/ar/accounts/password/change/").status_code == 200
    response = client.post("/ar/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_session_signed_in_with_totp_is_not_checked_again(client, reviewer, mfa_required):
    # allauth records the TOTP step in the session; each staff request trusts that record
    # instead of querying the authenticators again (issue 11).
    _activate_totp(reviewer)
    client.force_login(reviewer)
    session = client.session
    session["account_authentication_methods_user"] = str(reviewer.pk)
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": reviewer.email},
        {"method": "mfa", "at": time.time(), "id": 1, "type": "totp"},
    ]
    session.save()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/ar/staff/").status_code == 200
    assert not [q for q in queries.captured_queries if "mfa_authenticator" in q["sql"]]


def test_a_record_for_another_user_proves_nothing(client, reviewer, customer, mfa_required):
    client.force_login(reviewer)
    session = client.session
    session["account_authentication_methods_user"] = str(customer.pk)
    session["account_authentication_methods"] = [{"method": "mfa", "at": 0, "type": "totp"}]
    session.save()
    assert client.get("/ar/staff/").status_code == 302
