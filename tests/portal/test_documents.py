"""Issued documents: the receipt of an organization registration is rendered to a bilingual PDF
by a worker, carries a QR code to the public verification page, and is downloaded only by its
owner, whoever may see its subject, and administrators."""

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
from portal.documents import document_issue, document_render, documents_sweep
from portal.models import AuditEvent, IssuedDocument
from tests.factories import UserFactory

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

    # No staff role opens every document: only who may see its subject, and administrators.
    client.force_login(reviewer)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
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


# --- failures, retries and the row lock --------------------------------------------------------
def _failing_renderer(monkeypatch, message="WeasyPrint ran out of memory"):
    def fail(document):
        raise MemoryError(message)

    monkeypatch.setattr("portal.documents.document_pdf_bytes", fail)


def test_a_document_that_keeps_failing_is_marked_failed_and_left_alone(
    client, newcomer, monkeypatch, settings
):
    settings.DOCUMENT_RENDER_MAX_ATTEMPTS = 3
    document = _issue_pending(newcomer)
    _failing_renderer(monkeypatch)

    for attempt in (1, 2, 3):
        with pytest.raises(MemoryError):
            document_render(document_id=document.pk)
        document.refresh_from_db()
        assert document.attempts == attempt
        assert document.last_error == "MemoryError: WeasyPrint ran out of memory"
        assert document.status == (
            IssuedDocument.Status.FAILED if attempt == 3 else IssuedDocument.Status.PENDING
        )
    # Failed for good: no more attempts, and the sweep no longer queues it every 5 minutes.
    assert document_render(document_id=document.pk) is False
    assert documents_sweep(older_than=datetime.timedelta(0)) == 0
    document.refresh_from_db()
    assert document.attempts == 3
    assert AuditEvent.objects.filter(
        verb="document_render_failed", object_id=str(document.pk), to_status="failed"
    ).exists()
    assert client.get("/healthz").json()["checks"]["documents_failed"] == 1


def test_a_document_whose_workers_keep_dying_is_marked_failed(newcomer, settings):
    settings.DOCUMENT_RENDER_MAX_ATTEMPTS = 2
    document = _issue_pending(newcomer)
    # Two attempts claimed it and never came back (killed, or cut off by the hard time limit).
    IssuedDocument.objects.filter(pk=document.pk).update(
        attempts=2, render_started_at=timezone.now() - datetime.timedelta(hours=1)
    )

    assert document_render(document_id=document.pk) is False

    document.refresh_from_db()
    assert (document.status, document.attempts) == (IssuedDocument.Status.FAILED, 2)
    assert document.last_error == "the worker died or hit the time limit"
    assert documents_sweep(older_than=datetime.timedelta(0)) == 0


def test_the_render_task_is_bounded_by_attempts_and_time_limits(settings):
    from portal.tasks import render_document

    assert render_document.max_retries == settings.DOCUMENT_RENDER_MAX_ATTEMPTS - 1
    assert render_document.time_limit == settings.DOCUMENT_RENDER_TIME_LIMIT
    assert render_document.soft_time_limit < render_document.time_limit


def test_an_admin_sends_a_failed_document_back_to_rendering(
    client, admin_user, newcomer, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_RENDER_MAX_ATTEMPTS = 1
    document = _issue_pending(newcomer)
    with monkeypatch.context() as patched:
        _failing_renderer(patched)
        with pytest.raises(MemoryError):
            document_render(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == IssuedDocument.Status.FAILED
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/portal/issueddocument/",
            {"action": "retry_rendering", "_selected_action": [document.pk]},
        )

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == IssuedDocument.Status.READY  # eager mode rendered it at once
    assert document.attempts == 1
    assert document.last_error == ""
    assert AuditEvent.objects.filter(
        verb="document_render_retried", object_id=str(document.pk), actor=admin_user
    ).exists()
    assert client.get("/healthz").json()["checks"]["documents_failed"] == 0


def test_rendering_holds_no_transaction_nor_row_lock(transactional_db, newcomer, monkeypatch):
    from django.db import connection

    from portal import documents

    with monkeypatch.context() as not_queued:  # committed at once here: keep it pending
        not_queued.setattr(documents, "_queue_render", lambda pk: None)
        document = _issue_pending(newcomer)
    real = documents.document_pdf_bytes
    seen = []

    def render(doc):
        seen.append(connection.in_atomic_block)
        return real(doc)

    monkeypatch.setattr(documents, "document_pdf_bytes", render)
    assert document_render(document_id=document.pk) is True
    assert seen == [False]


def test_two_renders_at_once_store_the_pdf_once(newcomer, monkeypatch, private_media):
    from portal import documents

    document = _issue_pending(newcomer)
    real = documents.document_pdf_bytes
    results, overlapped = [], []

    def render(doc):
        if not overlapped:
            overlapped.append(True)
            # Another worker renders the same document meanwhile (the message was redelivered).
            results.append(document_render(document_id=doc.pk))
        return real(doc)

    monkeypatch.setattr(documents, "document_pdf_bytes", render)
    results.append(document_render(document_id=document.pk))

    assert results == [True, False]
    document.refresh_from_db()
    assert document.status == IssuedDocument.Status.READY
    assert document.attempts == 2
    assert [p.name for p in private_media.rglob("*.pdf")] == [f"{document.reference}.pdf"]


def test_the_sweep_queues_a_document_whose_worker_died(newcomer, settings, time_machine):
    settings.DOCUMENT_RENDER_TIME_LIMIT = 90
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    document = _issue_pending(newcomer)
    # A worker claimed it, then was killed mid-render.
    IssuedDocument.objects.filter(pk=document.pk).update(attempts=1, render_started_at=start)

    time_machine.move_to(start + datetime.timedelta(seconds=60), tick=False)
    assert documents_sweep(older_than=datetime.timedelta(0)) == 0  # may still be rendering
    time_machine.move_to(start + datetime.timedelta(seconds=91), tick=False)
    assert documents_sweep(older_than=datetime.timedelta(minutes=5)) == 1
    document.refresh_from_db()
    assert document.status == IssuedDocument.Status.READY  # eager mode: queued = rendered


def test_documents_are_indexed_by_their_subject():
    fields = [index.fields for index in IssuedDocument._meta.indexes]
    assert ["content_type", "object_id"] in fields


def test_the_visibility_timeout_outlasts_time_limits_and_the_sweep_recovers_sooner(settings):
    from portal.tasks import MAX_COUNTDOWN_SECONDS, render_document

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    # Longer than any task may run or wait for its retry: nothing is delivered twice ...
    assert timeout > render_document.time_limit
    assert timeout > MAX_COUNTDOWN_SECONDS + render_document.time_limit
    # ... and a killed worker's document is recovered by the sweep within the documented
    # worst case (README): time limit + sweep interval + one more render.
    worst = settings.DOCUMENT_RENDER_TIME_LIMIT * 2 + settings.DOCUMENT_SWEEP_SECONDS
    assert worst <= 5 * 60
    assert settings.CELERY_BEAT_SCHEDULE["sweep-documents"]["schedule"] == float(
        settings.DOCUMENT_SWEEP_SECONDS
    )
