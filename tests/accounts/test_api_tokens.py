"""API tokens (django-rest-knox): staff need TOTP, tokens are hashed, expire, are revoked by
their owner and by an MFA or password change, and one limiter counts the web form and the API."""

import datetime

import pytest
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from portal.models import AuditEvent
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_limits():
    # allauth's rate limits and the DRF throttle live in the cache.
    cache.clear()
    yield
    cache.clear()


def _activate_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    counter = counters[len(counters) // 2]  # the current period, the middle of the tolerance
    return format_hotp_value(hotp_value(secret, counter))


def _token(client, email, password=PASSWORD, **data):
    return client.post("/api/v1/auth/token/", {"email": email, "password": password, **data})


def _me(client, secret):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}")


# --- item 3: staff and TOTP -------------------------------------------------------------------
def test_staff_with_totp_gets_no_token_for_the_password_alone(client, reviewer):
    _activate_totp(reviewer)
    response = _token(client, reviewer.email)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "otp_required"
    assert not AuthToken.objects.exists()


def test_staff_with_a_wrong_code_gets_no_token(client, reviewer):
    _activate_totp(reviewer)
    response = _token(client, reviewer.email, otp="000000")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "otp_invalid"
    assert not AuthToken.objects.exists()


def test_staff_with_the_code_gets_a_token_that_opens_the_api(client, reviewer, settings):
    settings.STAFF_MFA_REQUIRED = True
    secret = _activate_totp(reviewer)
    response = _token(client, reviewer.email, otp=_code(secret))
    assert response.status_code == 200
    assert _me(client, response.json()["token"]).status_code == 200


def test_a_code_is_good_for_one_token_only(client, reviewer):
    secret = _activate_totp(reviewer)
    code = _code(secret)
    assert _token(client, reviewer.email, otp=code).status_code == 200
    assert _token(client, reviewer.email, otp=code).json()["error"]["code"] == "otp_invalid"


def test_staff_without_totp_get_no_token_at_all(client, reviewer, settings):
    settings.STAFF_MFA_REQUIRED = False
    response = _token(client, reviewer.email)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_a_customer_who_set_up_totp_needs_the_code_too(client, customer):
    _activate_totp(customer)
    assert _token(client, customer.email).json()["error"]["code"] == "otp_required"


# --- item 3: hashed, expiring, revocable ------------------------------------------------------
def test_only_a_hash_of_the_token_is_stored(client, customer):
    secret = _token(client, customer.email).json()["token"]
    stored = AuthToken.objects.get(user=customer)
    assert secret not in (stored.digest, stored.token_key)
    assert len(stored.digest) == 128


def test_the_token_expires(client, customer, settings):
    body = _token(client, customer.email).json()
    stored = AuthToken.objects.get(user=customer)
    expected = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert abs(stored.expiry - expected) < datetime.timedelta(minutes=1)
    assert body["expiry"]
    AuthToken.objects.filter(pk=stored.pk).update(expiry=timezone.now() - datetime.timedelta(1))
    assert _me(client, body["token"]).status_code == 401


@pytest.mark.parametrize(
    "signal",
    [
        mfa_signals.authenticator_added,
        mfa_signals.authenticator_removed,
        mfa_signals.authenticator_reset,
    ],
)
def test_setting_up_or_resetting_mfa_revokes_the_tokens(client, customer, signal):
    secret = _token(client, customer.email).json()["token"]
    authenticator = Authenticator.objects.create(
        user=customer, type=Authenticator.Type.TOTP, data={}
    )
    signal.send(sender=Authenticator, request=None, user=customer, authenticator=authenticator)
    assert _me(client, secret).status_code == 401
    event = AuditEvent.objects.get(verb="api_tokens_revoked")
    assert event.data["reason"] == "mfa_changed"


def test_setting_up_totp_on_the_page_revokes_the_tokens(
    client, customer, django_capture_on_commit_callbacks
):
    # The real page, end to end: allauth sends authenticator_added when TOTP is activated.
    token_secret = _token(client, customer.email).json()["token"]
    signed_in = client.post("/ar/accounts/login/", {"login": customer.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    # allauth asks for the password again before TOTP set-up.
    assert client.post("/ar/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    page = client.get("/ar/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    totp_secret = client.session["mfa.totp.secret"]
    # allauth sends authenticator_added once the activation has committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ar/accounts/2fa/totp/activate/", {"code": _code(totp_secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=customer, type="totp").exists()
    assert _me(client, token_secret).status_code == 401


def test_changing_the_password_revokes_the_tokens(client, customer):
    secret = _token(client, customer.email).json()["token"]
    client.post("/ar/accounts/login/", {"login": customer.email, "password": PASSWORD})
    response = client.post(
        "/ar/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "New-pass-2026-x", "password2": "New-pass-2026-x"},
    )
    assert response.status_code == 302
    assert _me(client, secret).status_code == 401


def test_the_profile_page_lists_and_revokes_own_tokens(client, customer):
    _token(client, customer.email)
    stored = AuthToken.objects.get(user=customer)
    client.force_login(customer)
    page = client.get("/ar/profile/")
    assert stored.digest in page.content.decode()
    response = client.post(f"/ar/profile/tokens/{stored.digest}/revoke/")
    assert response.status_code == 302
    assert not AuthToken.objects.filter(pk=stored.pk).exists()
    event = AuditEvent.objects.get(verb="api_token_revoked")
    assert event.actor == customer
    assert event.data["token"] == stored.digest[:16]


def test_no_one_revokes_another_persons_token(client, customer, other_customer):
    _token(client, customer.email)
    stored = AuthToken.objects.get(user=customer)
    client.force_login(other_customer)
    assert client.post(f"/ar/profile/tokens/{stored.digest}/revoke/").status_code == 404
    assert client.get(f"/ar/profile/tokens/{stored.digest}/revoke/").status_code == 405
    assert AuthToken.objects.filter(pk=stored.pk).exists()


# --- item 5: one limiter for both doors -------------------------------------------------------
def test_after_five_web_failures_the_api_refuses_the_right_password(client, customer):
    for _ in range(5):
        client.post("/ar/accounts/login/", {"login": customer.email, "password": "Wrong-1234!"})
    response = _token(client, customer.email)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_login_attempts"
    assert not AuthToken.objects.exists()


def test_after_five_api_failures_the_web_form_is_locked(client, customer):
    for _ in range(5):
        assert _token(client, customer.email, "Wrong-1234!").status_code == 401
    client.post("/ar/accounts/login/", {"login": customer.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_wrong_totp_codes_count_as_failures(client, reviewer):
    _activate_totp(reviewer)
    for _ in range(5):
        assert _token(client, reviewer.email, otp="000000").status_code == 401
    assert _token(client, reviewer.email, otp="000000").status_code == 429


def test_failures_are_counted_per_address_across_accounts(client, db):
    statuses = [
        _token(client, f"nobody{n}@example.ae", "Wrong-1234!").status_code for n in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_the_throttle_applies_to_requests_with_a_valid_token(client, customer):
    _token_row, secret = AuthToken.objects.create(user=customer)
    headers = {"HTTP_AUTHORIZATION": f"Token {secret}"}
    statuses = [client.post("/api/v1/auth/token/", {}, **headers).status_code for _ in range(21)]
    assert statuses == [400] * 20 + [429]


def test_a_forged_forwarded_for_does_not_reset_the_throttle(client, db):
    statuses = [
        client.post("/api/v1/auth/token/", {}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(21)
    ]
    assert statuses == [400] * 20 + [429]


def test_a_token_is_looked_up_once_per_request(client, reviewer):
    # The staff MFA check (middleware) and DRF (view) both authenticate the token (issue 11).
    secret = _activate_totp(reviewer)
    token = _token(client, reviewer.email, otp=_code(secret)).json()["token"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    lookups = [q for q in queries.captured_queries if "knox_authtoken" in q["sql"]]
    assert len(lookups) == 1


def test_a_refused_token_is_refused_by_the_view_too(client, db):
    response = client.get("/api/v1/transactions/", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401
