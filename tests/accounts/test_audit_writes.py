"""Writes that used to leave no audit row: profile changes on the page, sign-up, token issue and
revoke (the revoke is in test_api_tokens.py)."""

from allauth.account.models import EmailAddress
from django.core.cache import cache
from knox.models import AuthToken

from accounts.models import User
from accounts.roles import Role
from portal.models import AuditEvent
from tests.factories import PASSWORD


def test_profile_change_on_the_page_is_audited(client, customer):
    client.force_login(customer)
    response = client.post(
        "/ar/profile/",
        {"full_name": "Sara Ali", "mobile": "+971501234567", "preferred_language": "en"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="profile_updated")
    assert event.actor == customer
    assert event.data == {"fields": ["full_name", "mobile", "preferred_language"]}
    customer.refresh_from_db()
    assert (customer.full_name, customer.preferred_language) == ("Sara Ali", "en")


def test_saving_an_unchanged_profile_writes_nothing(client, customer):
    client.force_login(customer)
    client.post(
        "/ar/profile/",
        {"full_name": customer.full_name, "mobile": "", "preferred_language": "ar"},
    )
    assert not AuditEvent.objects.filter(verb="profile_updated").exists()


def test_sign_up_is_audited(client, db):
    response = client.post(
        "/ar/accounts/signup/",
        {
            "email": "new@example.ae",
            "password1": "Sign-up-pass-2026",
            "password2": "Sign-up-pass-2026",
            "full_name": "New Person",
            "mobile": "",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.ae")
    assert list(user.groups.values_list("name", flat=True)) == [Role.CUSTOMER]
    event = AuditEvent.objects.get(verb="signed_up")
    assert (event.actor, event.object_id) == (user, str(user.pk))


def test_token_issue_is_audited(client, customer):
    cache.clear()
    assert EmailAddress.objects.filter(user=customer, verified=True).exists()
    response = client.post("/api/v1/auth/token/", {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 200
    stored = AuthToken.objects.get(user=customer)
    event = AuditEvent.objects.get(verb="api_token_issued")
    assert event.actor == customer
    assert event.data["token"] == stored.digest[:16]
    assert response.json()["token"] not in str(event.data)
