"""Arabic first, English second: direction, language prefixes and the language switch."""

import re
from urllib.parse import urlsplit

import pytest

from accounts.roles import Role
from tests.factories import UserFactory


def _external_assets(page: str) -> list[str]:
    """The URLs of another host that <link> and <script> tags load."""
    urls = re.findall(r'<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"', page)
    return [u for u in urls if urlsplit(u).netloc not in ("", "testserver")]


@pytest.mark.parametrize(
    ("path", "html_tag"),
    [("/ar/", '<html lang="ar" dir="rtl">'), ("/en/", '<html lang="en" dir="ltr">')],
)
def test_language_prefix_sets_lang_and_direction(client, db, path, html_tag):
    response = client.get(path)
    assert response.status_code == 200
    assert html_tag in response.content.decode()


def test_root_goes_to_arabic_without_a_browser_preference(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/ar/"


def test_root_follows_an_english_browser(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.url == "/en/"


def test_switching_language_keeps_the_page(client, db):
    client.force_login(UserFactory(role=Role.CUSTOMER))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/ar/profile/"})
    assert response.status_code == 302
    assert response.url == "/en/profile/"
    assert client.get(response.url).status_code == 200


def test_header_language_switch_posts_the_current_page(client, db):
    client.force_login(UserFactory(role=Role.CUSTOMER))
    page = client.get("/ar/profile/?tab=1").content.decode()
    form = re.search(r'<form action="/i18n/setlang/" method="post".*?</form>', page, re.S)
    assert form is not None
    assert '<input type="hidden" name="next" value="/en/profile/?tab=1">' in form.group()
    assert 'name="language" value="en"' in form.group()


@pytest.mark.parametrize(
    "browser_language, page, switch_to, lands_on",
    [
        ("en", "/ar/services/", "en", "/en/services/"),
        ("ar", "/en/services/", "ar", "/ar/services/"),
    ],
)
def test_the_switch_works_whatever_language_the_browser_asks_for(
    client, db, browser_language, page, switch_to, lands_on
):
    """The switch must not depend on the browser's own language (e-mail links open /ar/ pages
    for everyone)."""
    html = client.get(page, HTTP_ACCEPT_LANGUAGE=browser_language).content.decode()
    next_path = re.search(r'name="next" value="([^"]+)"', html).group(1)
    response = client.post(
        "/i18n/setlang/",
        {"language": switch_to, "next": next_path},
        HTTP_ACCEPT_LANGUAGE=browser_language,
    )
    assert response.status_code == 302
    assert response.url == lands_on


@pytest.mark.parametrize("path", ["/ar/", "/en/", "/ar/accounts/login/"])
def test_pages_load_assets_only_from_this_site(client, db, path):
    page = client.get(path).content.decode()
    assert '<link rel="stylesheet" href="/static/portal.css">' in page
    assert _external_assets(page) == []


@pytest.mark.parametrize(
    "value, shown",
    [("1500", "1,500.00"), ("12500.5", "12,500.50"), ("0.005", "0.01"), ("0", "0.00"), ("x", "")],
)
def test_amounts_are_grouped_with_fils_and_rounded_half_up(value, shown):
    from portal.templatetags.portal_format import money

    assert money(value) == shown
