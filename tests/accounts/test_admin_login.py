"""The admin signs in only through the portal's sign-in (allauth, with its second step)."""

from urllib.parse import parse_qs, urlsplit

from django.urls import resolve

from tests.factories import PASSWORD


def test_admin_login_form_authenticates_no_one(client, admin_user):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin_user.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert resolve(urlsplit(response.url).path).url_name == "account_login"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_admin_login_sends_to_the_portal_sign_in_with_next(client, db):
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    response = client.get(response.url)
    assert response.status_code == 302
    parts = urlsplit(response.url)
    assert resolve(parts.path).url_name == "account_login"
    assert parse_qs(parts.query)["next"] == ["/admin/accounts/user/"]


def test_signed_in_without_admin_rights_gets_403_not_a_loop(client, customer):
    client.force_login(customer)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_administrator_signed_in_through_the_portal_opens_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/login/").url == "/admin/"
    assert client.get("/admin/").status_code == 200
