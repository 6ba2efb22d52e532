"""Issued documents: the receipt of an organization registration is rendered to a bilingual PDF
by a worker, carries a QR code to the public verification page, and is downloaded only by its
owner and staff allowed to view documents."""

import datetime
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.utils import timezone, translation

from accounts.models import Organization
from accounts.services import organization_create
from portal.documents import document_issue, document_render
from portal.models import AuditEvent, IssuedDocument

pytestmark = pytest.mark.usefixtures("private_media")

TITLE_AR = "إيصال تسجيل جهة"
TITLE_EN = "Organization registration receipt"


def _register(actor) -> Organization:
    return organization_create(
        actor=actor,
        data={
            "name_ar": "مكتب الريادة للاستشارات",
            "name_en": "Riyada Consulting Office",
            "kind": Organization.Kind.CONSULTANT,
            "trade_licence_number": "SHJ-T-424242",
            "trade_licence_expiry": datetime.date(2099, 1, 1),
        },
    )


def _receipt(actor) -> IssuedDocument:
    return IssuedDocument.objects.get(owner=actor, kind="organization_receipt")


def _wait_until_ready(document: IssuedDocument, seconds: float) -> IssuedDocument:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status == IssuedDocument.Status.READY:
            break
        time.sleep(0.25)
    return document


def _pdf_text(path: str) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, check=True, text=True
    ).stdout
    # Arabic may come out as presentation forms; NFKC folds them back to ordinary letters.
    return unicodedata.normalize("NFKC", text)


def _qr_payload(path: str, tmp_path: Path) -> str:
    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", path, str(prefix)], check=True
    )
    [image] = tmp_path.glob("page*.png")
    return subprocess.run(
        ["zbarimg", "--raw", "-q", str(image)], capture_output=True, check=True, text=True
    ).stdout.strip()


def _assert_download_rules(client, document, owner, other_customer, reviewer) -> bytes:
    url = f"/ar/documents/{document.pk}/download/"

    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")

    client.force_login(other_customer)
    assert client.get(url).status_code == 404

    client.force_login(reviewer)
    assert client.get(url).status_code == 200

    client.logout()
    assert client.get(url).status_code == 302
    return body


@pytest.mark.worker
def test_worker_renders_the_receipt_with_qr_to_the_verification_page(
    client, settings, newcomer, other_customer, reviewer, live_worker, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    organization = _register(newcomer)
    document = _receipt(newcomer)
    assert document.reference.startswith(f"ORG-{timezone.localdate().year}-")
    assert document.subject == organization

    document = _wait_until_ready(document, seconds=60)
    assert document.status == IssuedDocument.Status.READY
    path = document.pdf.path

    text = _pdf_text(path)
    assert document.reference in text
    assert TITLE_EN in text
    assert TITLE_AR in text
    assert "Riyada Consulting Office" in text

    url = _qr_payload(path, tmp_path)
    assert url == f"{django_settings.SITE_URL}/verify/{document.verification_code}/"
    page = client.get(url.removeprefix(django_settings.SITE_URL), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert document.reference in page.content.decode()
    assert "Riyada Consulting Office" in page.content.decode()

    _assert_download_rules(client, document, newcomer, other_customer, reviewer)

    before = (document.pdf.name, Path(path).read_bytes(), Path(path).stat().st_mtime_ns)
    assert document_render(document_id=document.pk) is False
    document.refresh_from_db()
    assert (document.pdf.name, Path(path).read_bytes(), Path(path).stat().st_mtime_ns) == before


def test_eager_mode_renders_at_once(newcomer, django_capture_on_commit_callbacks):
    # CELERY_TASK_ALWAYS_EAGER in the test settings: the commit renders, no worker involved.
    with django_capture_on_commit_callbacks(execute=True):
        _register(newcomer)
    document = _receipt(newcomer)
    assert document.status == IssuedDocument.Status.READY
    assert document.pdf.name == f"documents/{document.issued_at.year}/{document.reference}.pdf"
    assert document.pdf.read().startswith(b"%PDF-")
    assert AuditEvent.objects.filter(verb="document_issued", object_id=str(document.pk)).exists()


def test_eager_download_rules_and_rendering_twice(
    client, newcomer, other_customer, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _register(newcomer)
    document = _receipt(newcomer)
    body = _assert_download_rules(client, document, newcomer, other_customer, reviewer)

    assert document_render(document_id=document.pk) is False
    document.refresh_from_db()
    with document.pdf.open("rb") as stored:
        assert stored.read() == body
    assert document_render(document_id=987654) is False


def _issue_pending(owner) -> IssuedDocument:
    # Issued but not rendered: on_commit callbacks never run inside a `db` test unless
    # captured and executed.
    return document_issue(
        actor=owner,
        kind="organization_receipt",
        reference="ORG-2026-000077",
        owner=owner,
        subject=None,
        title_ar=TITLE_AR,
        title_en=TITLE_EN,
        template="accounts/pdf/organization_receipt.html",
        snapshot={"name_ar": "جهة", "name_en": "Entity"},
        public_summary={"rows": [["اسم الجهة", "Organization", "Entity"]]},
    )


def test_downloading_a_document_still_being_generated_gives_a_message(client, newcomer):
    document = _issue_pending(newcomer)
    assert document.status == IssuedDocument.Status.PENDING
    client.force_login(newcomer)

    response = client.get(
        f"/ar/documents/{document.pk}/download/", HTTP_REFERER="http://testserver/ar/organization/"
    )

    assert response.status_code == 302
    assert response.url == "http://testserver/ar/organization/"
    with translation.override("ar"):
        expected = translation.gettext(
            "The document is still being generated; try again in a minute."
        )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]


def test_render_makes_the_pending_document_ready_once(newcomer):
    document = _issue_pending(newcomer)
    assert document_render(document_id=document.pk) is True
    document.refresh_from_db()
    assert document.status == IssuedDocument.Status.READY
    name = document.pdf.name
    assert document_render(document_id=document.pk) is False
    document.refresh_from_db()
    assert document.pdf.name == name


def test_verification_page_shows_the_public_summary_only(client, newcomer):
    _register(newcomer)
    document = _receipt(newcomer)
    page = client.get(f"/verify/{document.verification_code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert document.reference in html
    assert TITLE_AR in html and TITLE_EN in html
    assert "Riyada Consulting Office" in html
    # The licence number is in the private snapshot, not in the public summary.
    assert "SHJ-T-424242" not in html


def test_unknown_verification_code_is_404_with_a_message(client, db):
    page = client.get("/verify/no-such-code/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404
    html = page.content.decode()
    assert "This verification code is unknown." in html
    assert "no-such-code" in html
