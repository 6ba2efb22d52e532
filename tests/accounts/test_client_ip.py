"""One function decides the client's address (portal.net.client_ip), from the number of trusted
proxies; the audit log, the API throttle and allauth's rate limits all use it."""

import pytest
from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.test import RequestFactory

from portal.models import AuditEvent
from portal.net import client_ip

BALANCER = "10.0.0.5"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _request(forwarded: str | None = None):
    headers = {"REMOTE_ADDR": BALANCER}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    "proxies,forwarded,expected",
    [
        (0, None, BALANCER),
        (0, "203.0.113.7", BALANCER),  # without trusted proxies the header is the client's
        (1, None, BALANCER),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left entry was forged
        (2, "198.51.100.1, 203.0.113.7, 192.0.2.9", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # entered behind the outer proxy
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(forwarded)) == expected


@pytest.mark.parametrize("proxies", [0, 1])
def test_allauth_uses_the_same_address(settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = _request("198.51.100.1, 203.0.113.7")
    assert get_adapter(request).get_client_ip(request) == client_ip(request)


def test_audit_log_records_the_client_behind_the_load_balancer(client, customer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(customer)
    client.post(
        "/ar/profile/",
        {"full_name": "Sara Ali", "mobile": "", "preferred_language": "ar"},
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert AuditEvent.objects.get(verb="profile_updated").ip == "203.0.113.7"


def test_the_throttle_counts_each_client_behind_the_proxy(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def post(ip):
        return client.post(
            "/api/v1/auth/token/", {}, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=ip
        ).status_code

    assert [post("203.0.113.7") for _ in range(21)][-1] == 429
    # Another client behind the same balancer is not held back by the first one.
    assert post("203.0.113.8") == 400


def test_allauth_limits_failures_per_client_behind_the_proxy(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def fail(ip, n):
        return client.post(
            "/api/v1/auth/token/",
            {"email": f"nobody{n}@example.ae", "password": "Wrong-1234!"},
            REMOTE_ADDR=BALANCER,
            HTTP_X_FORWARDED_FOR=ip,
        ).status_code

    assert [fail("203.0.113.7", n) for n in range(11)][-1] == 429
    assert fail("203.0.113.8", 99) == 401
