"""Private uploads: checked by content (magic bytes), size-limited, hashed, stored privately."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from portal.models import PrivateFile


@dataclass(frozen=True)
class FileKind:
    name: str
    label: str
    mime: str
    extensions: tuple[str, ...]


KINDS = {
    "pdf": FileKind("pdf", "PDF", "application/pdf", (".pdf",)),
    "jpeg": FileKind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg")),
    "png": FileKind("png", "PNG", "image/png", (".png",)),
    "dwg": FileKind("dwg", "DWG", "image/vnd.dwg", (".dwg",)),
    "dxf": FileKind("dxf", "DXF", "image/vnd.dxf", (".dxf",)),
}


def detect_kind(head: bytes) -> str | None:
    """The kind of a file from its first bytes, or None when it is none we accept."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"AC10" and head[4:6].isdigit():
        return "dwg"
    # DXF (ASCII): group code 0 then SECTION, or a 999 comment line first.
    text = head[:64].lstrip(b"\xef\xbb\xbf").split()
    if len(text) >= 2 and (text[:2] == [b"0", b"SECTION"] or text[0] == b"999"):
        return "dxf"
    return None


def validate_upload(upload, *, kinds: tuple[str, ...], max_bytes: int | None = None) -> str:
    """Check an uploaded file; return its detected kind or raise ValidationError."""
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    allowed = ", ".join(KINDS[k].label for k in kinds)
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is too large (%(size)s); the limit is %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)},
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = detect_kind(head)
    if kind is None or kind not in kinds:
        raise ValidationError(
            _("The file's content is not an allowed type (%(allowed)s)."),
            code="bad_type",
            params={"allowed": allowed},
        )
    name = (upload.name or "").lower()
    if not name.endswith(KINDS[kind].extensions):
        raise ValidationError(
            _("The file name does not match its content (%(kind)s)."),
            code="mislabelled",
            params={"kind": KINDS[kind].label},
        )
    return kind


class PrivateFileField(forms.FileField):
    """A form field that accepts only the given kinds, up to a size."""

    def __init__(self, *, kinds: tuple[str, ...], max_bytes: int | None = None, **kwargs):
        self.kinds = kinds
        self.max_bytes = max_bytes
        accept = ",".join(ext for k in kinds for ext in KINDS[k].extensions)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": accept}))
        names = ", ".join(KINDS[k].label for k in kinds)
        # Lazy: form classes are built once, the help text is read in each request's language.
        kwargs.setdefault(
            "help_text", lazy(lambda: _("Allowed: %(kinds)s.") % {"kinds": names}, str)()
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and hasattr(upload, "read"):
            validate_upload(upload, kinds=self.kinds, max_bytes=self.max_bytes)
        return upload


def private_file_store(
    *, actor, upload, purpose: str, attach_to: models.Model | None, kinds: tuple[str, ...]
) -> PrivateFile:
    """Validate (again: services never trust their caller) and store one upload."""
    kind = validate_upload(upload, kinds=kinds)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = PrivateFile(
        original_name=(upload.name or "file")[:255],
        content_type_detected=KINDS[kind].mime,
        size=upload.size,
        sha256=digest.hexdigest(),
        purpose=purpose,
        uploaded_by=actor,
    )
    if attach_to is not None:
        stored.content_type = ContentType.objects.get_for_model(attach_to)
        stored.object_id = str(attach_to.pk)
    stored.file.save(f"{stored.uuid}{KINDS[kind].extensions[0]}", upload, save=False)
    stored.save()
    return stored


def private_file_get_for_user(*, user, uuid) -> PrivateFile:
    """The uploader, staff allowed to view files, or whoever the attached object lets in
    (its `user_can_view_files(user)` method) may have it; anyone else gets 404."""
    stored = PrivateFile.objects.filter(uuid=uuid).select_related("content_type").first()
    if stored is None or not user.is_authenticated:
        raise Http404
    if stored.uploaded_by_id == user.pk or user.has_perm("portal.view_privatefile"):
        return stored
    target = stored.attached_to
    check = getattr(target, "user_can_view_files", None)
    if check is not None and check(user):
        return stored
    raise Http404


def _walk(storage, top: str) -> Iterator[str]:
    try:
        directories, names = storage.listdir(top)
    except FileNotFoundError:
        return
    for name in names:
        yield f"{top}/{name}"
    for directory in directories:
        yield from _walk(storage, f"{top}/{directory}")


def files_sweep_orphans(*, older_than: timedelta = timedelta(hours=24)) -> int:
    """Delete stored uploads that no PrivateFile row points at and that are older than
    `older_than`: what a request wrote before its database transaction rolled back (the file
    is saved before the row commits, and a rollback cannot take a file back). Returns the
    number deleted. Runs daily from Celery beat."""
    storage = PrivateFile._meta.get_field("file").storage
    known = set(PrivateFile.objects.values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    removed = 0
    for path in _walk(storage, "uploads"):
        if path in known:
            continue
        try:
            modified = storage.get_modified_time(path)
        except (OSError, NotImplementedError):
            continue
        # A file younger than the cutoff may belong to a transaction still in progress.
        if modified < cutoff:
            storage.delete(path)
            removed += 1
    return removed
