"""The shared core's records: audit events, notifications, issued documents, reference
counters, public holidays and private files."""

import secrets
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.storage import private_storage


class AuditEvent(models.Model):
    """Append-only: one row per change. PostgreSQL refuses UPDATE and DELETE (migration 0002)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    verb = models.CharField(_("verb"), max_length=60, db_index=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(_("from status"), max_length=40, blank=True)
    to_status = models.CharField(_("to status"), max_length=40, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.verb} {self.content_type_id}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class Notification(models.Model):
    """Outbox row, written in the same transaction as the change it reports."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        IN_APP = "in_app", _("In the portal only")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        # Claimed by a worker until `lease_until`: a worker that dies mid-send leaves the row
        # here, and the sweep takes it back once the lease has run out.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # Still refused when NOTIFICATION_GIVE_UP_AFTER_HOURS had passed; an admin may retry it.
        UNDELIVERABLE = "undeliverable", _("Undeliverable")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=60)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    context = models.JSONField(_("context"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # E-mail attachments made when the change happened (e.g. a calendar invitation), as
    # [{"filename", "content", "mimetype"}]; text only.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # The delivery order check: earlier rows to one recipient about one object.
            models.Index(fields=["recipient", "content_type", "object_id", "channel", "id"]),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.status})"


def _verification_code() -> str:
    return secrets.token_urlsafe(12)


class IssuedDocument(models.Model):
    """A receipt, certificate, minutes or payment certificate: a snapshot, not live data."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being generated")
        READY = "ready", _("Ready")
        # Rendering failed DOCUMENT_RENDER_MAX_ATTEMPTS times: the sweep leaves it to an admin.
        FAILED = "failed", pgettext_lazy("document status", "Failed")

    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    reference = models.CharField(_("reference"), max_length=40, db_index=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    template = models.CharField(_("template"), max_length=150)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="issued_documents",
        verbose_name=_("owner"),
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    snapshot = models.JSONField(_("snapshot"), default=dict)
    public_summary = models.JSONField(
        _("public summary"),
        default=dict,
        help_text=_("What the public verification page may show."),
    )
    verification_code = models.CharField(
        _("verification code"),
        max_length=32,
        unique=True,
        default=_verification_code,
        editable=False,
    )
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="documents/%Y/", blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    attempts = models.PositiveSmallIntegerField(_("rendering attempts"), default=0)
    # When the last attempt claimed the row: a claim older than the task's time limit belongs
    # to a worker that died, and the sweep queues the document again.
    render_started_at = models.DateTimeField(_("last attempt started at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        # The subject's documents are looked up by this pair (its generic relation).
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.reference} ({self.kind})"

    @property
    def title(self) -> str:
        return self.title_ar if (get_language() or "ar").startswith("ar") else self.title_en


class ReferenceCounter(models.Model):
    """The last number given per prefix and year; incremented under a row lock."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="reference_counter_unique")
        ]
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name_en}"


class PrivateFile(models.Model):
    """An upload checked by content, hashed, stored outside the static tree and served only
    through a view that checks permission. Attached to any object."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(_("file"), storage=private_storage, upload_to="uploads/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type_detected = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=40)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="uploads",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    attached_to = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("private file")
        verbose_name_plural = _("private files")

    def __str__(self) -> str:
        return self.original_name


class JobRun(models.Model):
    """One claim of a Celery beat job (portal/jobs.py): inserting the (name, key) row is the
    claim, so two overlapping runs cannot both act; the rows are also the jobs' history."""

    name = models.CharField(_("job"), max_length=80)
    # A period ("2026-03-02") for jobs that run once per period; "lock" for jobs that run
    # every time but never twice at once.
    key = models.CharField(_("key"), max_length=40)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        constraints = [
            models.UniqueConstraint(fields=["name", "key"], name="portal_jobrun_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.key}"
