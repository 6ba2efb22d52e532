"""Issued documents: a snapshot row now, its bilingual PDF (WeasyPrint) from a Celery task."""

import base64
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
    """Queue again the rendering of documents still pending (e.g. the broker was down when
    they were issued). Returns how many."""
    ids = list(
        IssuedDocument.objects.filter(
            status=IssuedDocument.Status.PENDING, issued_at__lte=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        _queue_render(pk)
    return len(ids)


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
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def document_render(*, document_id: int) -> bool:
    """Render the PDF once. Returns False when it was already rendered (idempotent)."""
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status == IssuedDocument.Status.READY:
            return False
        pdf = document_pdf_bytes(document)
        document.pdf.save(f"{document.reference}.pdf", ContentFile(pdf), save=False)
        document.status = IssuedDocument.Status.READY
        document.save(update_fields=["pdf", "status"])
    return True


def document_get_for_user(*, user, pk: int) -> IssuedDocument:
    """The owner, staff allowed to view documents, and whoever the document's subject lets in
    (its `user_can_view_files(user)`, e.g. the applicant's organization colleagues) see it;
    everyone else gets 404."""
    document = IssuedDocument.objects.filter(pk=pk).select_related("content_type").first()
    if document is None or not user.is_authenticated:
        raise Http404
    if document.owner_id == user.pk or user.has_perm("portal.view_issueddocument"):
        return document
    check = getattr(document.subject, "user_can_view_files", None)
    if check is not None and check(user):
        return document
    raise Http404


def documents_owned_by(*, user) -> QuerySet[IssuedDocument]:
    return IssuedDocument.objects.filter(owner=user).order_by("-issued_at")
