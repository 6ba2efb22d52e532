"""Public pages kept whole in the cache for anonymous visitors, per language and address
(issue 11: the home page, the catalogue, a service's page, the verification page, the open
sessions and the public tender pages must answer at 40% of the trivial view's rate).

A page is cached only for a visitor the portal cannot tell from any other: a GET or HEAD with no
query string (but the parameters the page names), no session cookie and no messages waiting.
It is rendered again when a row of a model it names changes (post_save, post_delete and
m2m_changed bump the generation of the model saved, in every process: PortalConfig.ready
connects them) and at the latest after TIMEOUT seconds: a bulk `update()` sends no signal, and a
page rendered in the instant between a change and its commit is stored under the new generation
with the old rows.

The language switch's CSRF token is never shared: it is cut out before the page is stored and a
fresh one is put in for each visitor, as `{% csrf_token %}` would have done."""

from __future__ import annotations

import hashlib
import re
import uuid
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

TIMEOUT = 60
_PLACEHOLDER = b"__portal_csrf_token__"
_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")([^"]+)(")')


def _generation_key(label: str) -> str:
    return f"public-page-generation:{label}"


def _page_key(request: HttpRequest) -> str:
    address = f"{get_language()}|{request.path}|{sorted(request.GET.lists())}"
    return f"public-page:{hashlib.sha256(address.encode()).hexdigest()}"


def _anonymous_and_plain(request: HttpRequest, query: tuple[str, ...]) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and set(request.GET) <= set(query)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def public_page(*models: str, query: tuple[str, ...] = ()):
    """Cache the view's page for anonymous visitors. `models` are the labels
    ("transactions.service") of what the page shows: a change to any of them renders it again.
    `query` names the query parameters that are part of the page's address (the OCDS feed's
    cursor); a request with any other is rendered afresh."""
    labels = tuple(sorted(label.lower() for label in models))

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _anonymous_and_plain(request, query):
                return view(request, *args, **kwargs)
            key = _page_key(request)
            generation_keys = [_generation_key(label) for label in labels]
            found = cache.get_many([key, *generation_keys])
            generations = tuple(found.get(k) for k in generation_keys)
            stored = found.get(key)
            if stored is not None and stored[0] == generations:
                _, status, content_type, body = stored
                if _PLACEHOLDER in body:
                    body = body.replace(_PLACEHOLDER, get_token(request).encode())
                return HttpResponse(body, status=status, content_type=content_type)
            response = view(request, *args, **kwargs)
            if not getattr(response, "is_rendered", True):
                response.render()  # an API view's answer (DRF) is rendered late
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                and not response.has_header("Cache-Control")
            ):
                body = _TOKEN.sub(rb"\1" + _PLACEHOLDER + rb"\3", response.content)
                record = (generations, response.status_code, response["Content-Type"], body)
                cache.set(key, record, TIMEOUT)
            return response

        return wrapped

    return decorator


def _changed(sender, **kwargs) -> None:
    cache.set(_generation_key(sender._meta.label_lower), uuid.uuid4().hex, None)


def connect() -> None:
    """Every model's changes bump its generation (a worker changes what pages show too)."""
    post_save.connect(_changed, dispatch_uid="portal.public_cache.post_save")
    post_delete.connect(_changed, dispatch_uid="portal.public_cache.post_delete")
    m2m_changed.connect(_changed, dispatch_uid="portal.public_cache.m2m_changed")
