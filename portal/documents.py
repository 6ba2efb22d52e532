"""Issued documents: a snapshot row now, its bilingual PDF (WeasyPrint) from a Celery task."""

import base64
import functools
import io
import logging
from datetime import timedelta

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from portal.audit import audit_record
from portal.models import IssuedDocument
from portal.workflow import transition

logger = logging.getLogger(__name__)


def verify_url(document: IssuedDocument) -> str:
    return settings.SITE_URL + reverse("verify", args=[document.verification_code])


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def document_issue(
    *,
    actor,
    kind: str,
    reference: str,
    owner,
    subject: models.Model | None,
    title_ar: str,
    title_en: str,
    template: str,
    snapshot: dict,
    public_summary: dict,
) -> IssuedDocument:
    """Record a document with a copy of the data it shows, then render its PDF after commit.

    `snapshot` is everything the template shows (JSON-serialisable: copy it, do not point to
    live rows); `public_summary` is the subset the public verification page may show, as
    {"rows": [[label_ar, label_en, value], ...]}.
    """
    document = IssuedDocument.objects.create(
        kind=kind,
        reference=reference,
        owner=owner,
        content_type=ContentType.objects.get_for_model(subject) if subject else None,
        object_id=str(subject.pk) if subject else "",
        title_ar=title_ar,
        title_en=title_en,
        template=template,
        snapshot=snapshot,
        public_summary=public_summary,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        verb="document_issued",
        obj=document,
        data={"kind": kind, "reference": reference},
    )
    transaction.on_commit(lambda: _queue_render(document.pk))
    return document


def _queue_render(document_id: int) -> None:
    """Queue rendering; a broker outage must not break the change that was just committed."""
    from portal.tasks import render_document

    try:
        render_document.delay(document_id)
    except OperationalError:  # the broker is unreachable; the row stays pending
        logger.warning("could not queue rendering of document %s", document_id, exc_info=True)


def documents_sweep(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Queue again the rendering of documents still pending: never queued (the broker was down
    when they were issued) or whose last attempt is older than the render time limit (its
    worker died). Failed documents wait for an admin's retry. Returns how many."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DOCUMENT_RENDER_TIME_LIMIT)
    never_tried = models.Q(render_started_at__isnull=True, issued_at__lte=now - older_than)
    ids = list(
        IssuedDocument.objects.filter(status=IssuedDocument.Status.PENDING)
        .filter(never_tried | models.Q(render_started_at__lte=stale))
        .values_list("pk", flat=True)
    )
    for pk in ids:
        _queue_render(pk)
    return len(ids)


@functools.cache
def _font_config():
    """One FontConfiguration per process: building it reads the system's font list, and fonts
    it has loaded once are kept for the next render (issue 11: 2.5 receipts/s per worker)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def document_pdf_bytes(document: IssuedDocument) -> bytes:
    from weasyprint import HTML

    url = verify_url(document)
    # The documents are bilingual; Arabic is the base language of the layout.
    with translation.override("ar"):
        html = render_to_string(
            document.template,
            {
                "doc": document,
                "data": document.snapshot,
                "verify_url": url,
                "qr": qr_data_uri(url),
                "DEPARTMENT_NAME_AR": settings.DEPARTMENT_NAME_AR,
                "DEPARTMENT_NAME_EN": settings.DEPARTMENT_NAME_EN,
            },
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=_font_config())


def document_render(*, document_id: int) -> bool:
    """Render the PDF once. Returns False when there is nothing to do (already rendered,
    failed for good, unknown) or another render stored it first (idempotent).

    WeasyPrint runs outside any transaction, so no row lock is held for seconds: the row is
    claimed (attempt counted) in one short transaction, rendered, and stored under a second
    short lock that checks nobody stored it meanwhile. A render error is recorded and re-raised
    (the task retries); after DOCUMENT_RENDER_MAX_ATTEMPTS the document is marked failed."""
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status != IssuedDocument.Status.PENDING:
            return False
        if document.attempts >= settings.DOCUMENT_RENDER_MAX_ATTEMPTS:
            # Every attempt died without recording an error (worker killed, hard time limit):
            # stop here, or the sweep would queue it for ever.
            _fail(document, document.last_error or "the worker died or hit the time limit")
            return False
        document.attempts += 1
        document.render_started_at = timezone.now()
        document.save(update_fields=["attempts", "render_started_at"])
    try:
        pdf = document_pdf_bytes(document)
    except Exception as error:
        _record_failure(document_id, error)
        raise
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().get(pk=document_id)
        if document.status == IssuedDocument.Status.READY:
            return False
        document.pdf.save(f"{document.reference}.pdf", ContentFile(pdf), save=False)
        document.status = IssuedDocument.Status.READY
        document.last_error = ""
        document.save(update_fields=["pdf", "status", "last_error"])
    return True


def _record_failure(document_id: int, error: Exception) -> None:
    message = f"{error.__class__.__name__}: {error}"[:2000]
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().get(pk=document_id)
        if document.status != IssuedDocument.Status.PENDING:
            return
        if document.attempts < settings.DOCUMENT_RENDER_MAX_ATTEMPTS:
            document.last_error = message
            document.save(update_fields=["last_error"])
            return
        _fail(document, message)


def _fail(document: IssuedDocument, message: str) -> None:
    logger.error("document %s failed to render for good: %s", document.pk, message)
    transition(
        obj=document,
        to=IssuedDocument.Status.FAILED,
        allowed_from=[IssuedDocument.Status.PENDING],
        actor=None,
        verb="document_render_failed",
        changes={"last_error": message},
        data={"attempts": document.attempts, "error": message},
    )


def document_retry(*, actor, document: IssuedDocument) -> IssuedDocument:
    """An admin sends a failed document back to rendering with a fresh count of attempts.

    Raises TransitionNotAllowed when the document is not failed."""
    return transition(
        obj=document,
        to=IssuedDocument.Status.PENDING,
        allowed_from=[IssuedDocument.Status.FAILED],
        actor=actor,
        verb="document_render_retried",
        changes={"attempts": 0, "render_started_at": None},
        on_commit=[lambda: _queue_render(document.pk)],
    )


def documents_failed_count() -> int:
    return IssuedDocument.objects.filter(status=IssuedDocument.Status.FAILED).count()


def document_get_for_user(*, user, pk: int) -> IssuedDocument:
    """The owner, an administrator, and whoever the document's subject lets in (its
    `user_can_view_files(user)`: who may see the transaction, the organization, ...) see it;
    everyone else gets 404. As with uploads (portal.files.private_file_get_for_user), no staff
    role opens every document: a reviewer of another team must not read a certificate by id."""
    document = IssuedDocument.objects.filter(pk=pk).select_related("content_type").first()
    if document is None or not user.is_authenticated:
        raise Http404
    if document.owner_id == user.pk or user.is_superuser:
        return document
    check = getattr(document.subject, "user_can_view_files", None)
    if check is not None and check(user):
        return document
    raise Http404


def documents_owned_by(*, user) -> QuerySet[IssuedDocument]:
    return IssuedDocument.objects.filter(owner=user).order_by("-issued_at")
