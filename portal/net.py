"""The client's address: one function for the audit log, the API throttle and allauth."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent the request.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each appends the address it received the request
    from to X-Forwarded-For, so the client is the entry that many places from the end; anything
    further to the left was written by the client itself and is not trusted. With 0 proxies
    (the default) the header is ignored, as any client can set it.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Fewer hops than proxies: the request entered behind the outer proxy, whose first
            # entry is then the address an inner (trusted) proxy saw.
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or None
