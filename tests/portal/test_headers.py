"""Security headers (issue #9, items 7 and 8): the Content-Security-Policy and the
Permissions-Policy on pages, on the meeting page with its video room open, and on the API; and
the early 413 for a request whose declared body is larger than any upload may be."""

import datetime
import json
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings

from tests.meetings.factories import HostFactory, book_about
from tests.transactions.factories import transaction_at

JITSI = "meet.example.ae"


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def _assert_strict(response) -> dict[str, list[str]]:
    csp = _directives(response)
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    return csp


# --- Content-Security-Policy and Permissions-Policy -------------------------------------------
def test_a_page_allows_only_the_portals_own_scripts_and_no_frames_or_devices(client, db):
    response = client.get("/ar/")
    assert response.status_code == 200
    csp = _assert_strict(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-src"] == ["'none'"]
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy
    assert "display-capture=()" in policy


def test_the_api_carries_the_same_headers(client, db):
    response = client.get("/api/v1/transactions/")
    assert response.status_code == 401
    csp = _assert_strict(response)
    assert csp["script-src"] == ["'self'"]
    assert "camera=()" in response["Permissions-Policy"]


def test_the_api_docs_page_runs_no_inline_script(client, customer):
    client.force_login(customer)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    _assert_strict(response)
    html = response.content.decode()
    # Every script is a file; the start-up script is served by the split view.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert '<script src="/api/docs/?script=">' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


@pytest.fixture
def meeting(people, service, customer):
    HostFactory(user=people.reviewer)
    remarked = transaction_at("remarks_returned", service=service, people=people)
    return book_about(remarked, customer=customer, remark=remarked.remarks.get())


def test_the_meeting_page_allows_the_jitsi_script_and_frame_only_while_the_room_is_open(
    client, meeting, customer, settings, private_media
):
    settings.JITSI_DOMAIN = JITSI
    client.force_login(customer)
    waiting = client.get(f"/ar/meetings/{meeting.pk}/")
    assert 'data-testid="room-waiting"' in waiting.content.decode()
    assert JITSI not in waiting["Content-Security-Policy"]
    assert "camera=()" in waiting["Permissions-Policy"]

    with time_machine.travel(meeting.starts_at - datetime.timedelta(minutes=5), tick=False):
        response = client.get(f"/ar/meetings/{meeting.pk}/")
    assert 'id="jitsi-room"' in response.content.decode()
    csp = _assert_strict(response)
    assert csp["script-src"] == ["'self'", f"https://{JITSI}/external_api.js"]
    assert csp["frame-src"] == [f"https://{JITSI}"]
    policy = response["Permissions-Policy"]
    assert f'camera=(self "https://{JITSI}")' in policy
    assert f'microphone=(self "https://{JITSI}")' in policy
    assert "geolocation=()" in policy


def test_the_page_templates_have_no_inline_script_style_or_handlers():
    """What the CSP would block on a page: inline scripts, inline event handlers, javascript:
    URLs and style attributes. E-mails and PDF templates are not pages and keep their styles."""
    offending = []
    root = Path(django_settings.BASE_DIR)
    sources = [
        p
        for p in (root / "templates").rglob("*.html")
        if not {"emails", "pdf"} & set(p.relative_to(root / "templates").parts)
    ]
    sources += list(root.glob("*/static/**/*.js"))
    pattern = re.compile(
        r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=\s*[\"']|javascript:|\sstyle\s*=|<style", re.I
    )
    for path in sources:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith("//"):
                offending.append(f"{path.relative_to(root)}:{number}: {line.strip()[:80]}")
    assert offending == []


# --- early refusal of oversized bodies (item 8) -----------------------------------------------
BIG = str(150 * 1024 * 1024)


def _post_declaring(client, path: str, length: str, **extra):
    # Only the declared length is large: the refusal must come before the body is read.
    return client.generic(
        "POST",
        path,
        b"--x--\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=length,
        **extra,
    )


def test_an_oversized_upload_is_refused_with_a_translated_page_before_it_is_read(client, customer):
    client.force_login(customer)
    response = _post_declaring(client, "/en/organization/", BIG)
    assert response.status_code == 413
    html = response.content.decode()
    assert "The upload is too large; a file may be at most 20.0\xa0MB." in html
    assert '<html lang="en" dir="ltr">' in html

    arabic = _post_declaring(client, "/ar/organization/", BIG)
    assert arabic.status_code == 413
    assert '<html lang="ar" dir="rtl">' in arabic.content.decode()


def test_an_oversized_api_request_gets_the_json_error(client, customer):
    client.force_login(customer)
    response = _post_declaring(client, "/api/v1/transactions/", BIG, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    body = json.loads(response.content)
    assert body["error"]["code"] == "too_large"
    assert body["error"]["message"].startswith("The upload is too large")


def test_the_limit_is_one_upload_plus_the_forms_other_fields(client, customer, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    settings.REQUEST_MAX_BYTES = 1000 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(customer)
    assert (
        _post_declaring(
            client, "/en/organization/", str(settings.REQUEST_MAX_BYTES + 1)
        ).status_code
        == 413
    )
    # At the limit the request goes through to the view (which answers the bad form itself).
    assert _post_declaring(client, "/en/organization/", "7").status_code != 413
    assert django_settings.REQUEST_MAX_BYTES == (
        django_settings.UPLOAD_MAX_BYTES + django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
