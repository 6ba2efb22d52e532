"""Every URL of the project (pages, admin, API), walked as a staff member without TOTP: each is
refused before its view runs, unless it is on the short list below. A new URL is covered the day
it is added."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import translation
from knox.models import AuthToken

from accounts.middleware import MFA_SETUP_VIEWS

# The views a staff member without TOTP may open, each with why. The middleware keeps the same
# list; this copy is what the test holds it to.
ALLOWED = {
    "mfa_activate_totp": "where the redirect goes: setting up TOTP",
    "account_reauthenticate": "allauth asks for the password again before TOTP set-up",
    "account_change_password": "a person must be able to change a leaked password",
    "account_logout": "a person must be able to sign out",
    "set_language": "switching language on the set-up page",
    "javascript-catalog": "the set-up page's translations",
    "healthz": "the load balancer's health check carries no user",
}

_SAMPLES = {
    "int": "1",
    "str": "x1",
    "slug": "x1",
    "path": "x1",
    "uuid": str(uuid.UUID(int=1)),
}


def _route_sample(route: str) -> str:
    def fill(match: re.Match) -> str:
        converter = match.group(1) or "str"
        return _SAMPLES.get(converter, "1")

    return re.sub(r"<(?:(\w+):)?\w+>", fill, route)


def _regex_group_sample(body: str) -> str:
    # Admin app lists like (auth|accounts|...) take their first word; anything else a digit-word.
    words = body.split("|")
    if all(re.fullmatch(r"[\w-]+", w) for w in words):
        return words[0]
    if body in (r"\d+", "[0-9]+"):
        return "1"
    # Anything else: the first sample its pattern takes (a tender reference, TND-YYYY-NNNN).
    return next((s for s in ("a1", "1", "TND-2026-0001") if re.fullmatch(body, s)), "a1")


def _regex_sample(regex: str) -> str:
    text = re.sub(
        r"\(\?P<\w+>((?:[^()]|\([^()]*\))*)\)", lambda m: _regex_group_sample(m[1]), regex
    )
    return text.lstrip("^").rstrip("$").replace("\\", "")


def _sample(pattern) -> str:
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix
    if isinstance(pattern, RoutePattern):
        return _route_sample(str(pattern))
    if isinstance(pattern, RegexPattern):
        return _regex_sample(pattern.regex.pattern)
    raise TypeError(pattern)


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        url = prefix + _sample(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, url, ns)
        elif isinstance(entry, URLPattern):
            yield "/" + url, (f"{namespace}{entry.name}" if entry.name else None), entry.callback


def _all_urls() -> list[tuple[str, str | None]]:
    with translation.override("ar"):
        found = []
        for url, name, callback in _walk(get_resolver().url_patterns):
            match = resolve(url)
            # The walker must build a URL that reaches the very pattern it came from.
            assert match.func == callback or match.url_name == (name or "").split(":")[-1], url
            found.append((url, match.view_name))
        return found


URLS = _all_urls()


def test_the_walk_covers_pages_admin_and_api():
    views = {name for _url, name in URLS}
    assert {"home", "accounts:profile", "admin:index", "api:me", "api:auth-token"} <= views
    assert any(name.startswith("admin:accounts_user_") for name in views)
    assert len(URLS) > 100


def test_the_allow_list_is_the_middlewares_and_names_real_views():
    assert set(ALLOWED) == set(MFA_SETUP_VIEWS)
    assert set(ALLOWED) <= {name for _url, name in URLS}


def _assert_refused(response, url: str, method: str) -> None:
    where = f"{method} {url}"
    if url.startswith("/api/"):
        assert response.status_code == 403, where
        assert response.json()["error"]["code"] == "mfa_required", where
    else:
        assert response.status_code == 302, where
        assert resolve(response.url.split("?")[0]).url_name == "mfa_activate_totp", where


@pytest.mark.parametrize("url,name", [u for u in URLS if u[1] not in ALLOWED], ids=lambda v: v)
def test_staff_without_totp_is_refused_everywhere(client, admin_user, settings, url, name):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(admin_user)
    _assert_refused(client.get(url), url, "GET")
    _assert_refused(client.post(url), url, "POST")


@pytest.mark.parametrize(
    "url,name", [u for u in URLS if u[0].startswith("/api/v1/")], ids=lambda v: v
)
def test_staff_token_without_totp_is_refused_by_every_api_url(
    client, reviewer, settings, url, name
):
    settings.STAFF_MFA_REQUIRED = True
    _token, secret = AuthToken.objects.create(user=reviewer)
    headers = {"HTTP_AUTHORIZATION": f"Token {secret}"}
    _assert_refused(client.get(url, **headers), url, "GET")
    _assert_refused(client.post(url, **headers), url, "POST")
