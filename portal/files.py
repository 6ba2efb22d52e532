"""Private uploads: checked by content (magic bytes, then a parser for the kind), size-limited,
hashed, stored privately."""

import hashlib
import io
import re
import struct
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
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

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
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    check_content(data, kind=kind)
    return kind


# --- content checks: each accepted kind is opened by a parser for it ---------------------------
# Magic bytes only say what a file claims to be; a polyglot (a PDF or PNG that is also an HTML
# page) passes them. Each check below raises ValidationError naming the rule that failed.

# HTML that a browser would run if the file were ever shown as a page (a polyglot). Each
# pattern is long enough (or ends in a delimiter) that compressed image or PDF data, which
# looks random, matches it by chance in far fewer than one file in ten thousand.
_MARKUP = re.compile(
    rb"<script|<html[\s>]|<!doctype\s+html|<iframe|<body[\s>]|<svg[\s/>]|javascript:", re.I
)

# Without escapes: found anywhere in the raw bytes, even in an object no cross-reference table
# points at (which a viewer repairing the file could still find). Short names such as /JS or /AA
# would match compressed data by chance; they are found by walking the parsed objects instead.
_PDF_RAW_ACTIVE = re.compile(rb"/(JavaScript|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z0-9#])")


def _refuse(message, code: str, params: dict | None = None) -> None:
    raise ValidationError(message, code=code, params=params)


def _pdf_rules() -> dict[str, tuple]:
    # Built per call: the messages are lazy, read in the request's language when shown.
    return {
        "javascript": (_("The PDF contains JavaScript, which is not allowed."), "pdf_javascript"),
        "launch": (
            _("The PDF contains a launch action (it would start a program), which is not allowed."),
            "pdf_launch",
        ),
        "embedded": (_("The PDF contains embedded files, which are not allowed."), "pdf_embedded"),
        "auto_action": (
            _("The PDF contains automatic actions, which are not allowed."),
            "pdf_auto_action",
        ),
        "xfa": (_("The PDF contains an XFA form, which is not allowed."), "pdf_xfa"),
        "rich_media": (
            _("The PDF contains embedded media, which is not allowed."),
            "pdf_rich_media",
        ),
    }


# Keys and names that make a PDF do something on its own when opened or touched.
_PDF_ACTIVE_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/EmbeddedFiles": "embedded",
    "/EmbeddedFile": "embedded",
    "/EF": "embedded",
    "/AA": "auto_action",
    "/XFA": "xfa",
    "/RichMedia": "rich_media",
}
_PDF_ACTIVE_NAMES = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/EmbeddedFile": "embedded",
    "/RichMedia": "rich_media",
}


def _pdf_active_rule(value, depth: int = 0) -> str | None:
    """The first active-content rule a direct object breaks. Indirect references are not
    followed: every object of the file is visited on its own (see _check_pdf)."""
    if depth > 64:  # a crafted, deeply nested object; nothing legitimate nests this far
        return "javascript"
    if isinstance(value, NameObject):
        return _PDF_ACTIVE_NAMES.get(str(value))
    if isinstance(value, DictionaryObject):
        for key in value:
            if str(key) in _PDF_ACTIVE_KEYS:
                return _PDF_ACTIVE_KEYS[str(key)]
            found = _pdf_active_rule(value.raw_get(key), depth + 1)
            if found:
                return found
    elif isinstance(value, ArrayObject):
        for item in value:
            found = _pdf_active_rule(item, depth + 1)
            if found:
                return found
    return None


def _check_pdf(data: bytes) -> None:
    rules = _pdf_rules()
    raw = _PDF_RAW_ACTIVE.search(data)
    if raw:
        _refuse(*rules[_PDF_ACTIVE_NAMES.get("/" + raw.group(1).decode(), "embedded")])
    unreadable = (_("The file is not a readable PDF."), "pdf_unreadable")
    # A file without a cross-reference pointer is read the way PDF viewers repair it: by
    # scanning for its objects. What has no catalogue even then is not a PDF.
    if b"startxref" not in data[-1024:]:
        data = data + b"\nstartxref\n0\n%%EOF\n"
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # Many issued documents are encrypted with an empty user password (only printing or
        # editing restricted): they open, and are inspected, like any other. One that needs a
        # password to open cannot be inspected, and no reviewer could read it either.
        if reader.is_encrypted and not reader.decrypt(""):
            _refuse(_("The PDF is protected by a password, which is not allowed."), "pdf_encrypted")
        root = reader.trailer.get("/Root")
        root = root.get_object() if isinstance(root, IndirectObject) else root
        if not isinstance(root, DictionaryObject) or root.get("/Type") != "/Catalog":
            _refuse(*unreadable)
        found = _pdf_active_rule(reader.trailer)
        # Every object of the file, including those inside object streams and those no page
        # refers to: active content can hang anywhere in the tree.
        numbers = {num for table in reader.xref.values() for num in table}
        numbers |= set(reader.xref_objStm)
        for num in sorted(numbers):
            if found:
                break
            generation = next((g for g, t in reader.xref.items() if num in t), 0)
            found = _pdf_active_rule(reader.get_object(IndirectObject(num, generation, reader)))
    except ValidationError:
        raise
    except Exception:  # pypdf raises many kinds of errors on damaged files
        _refuse(*unreadable)
    if found:
        _refuse(*rules[found])


def _png_end(data: bytes) -> int:
    """Where the PNG ends: just after its IEND chunk (chunks are length, type, data, CRC)."""
    offset = 8
    while offset + 12 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunk_type = data[offset + 4 : offset + 8]
        offset += 12 + length
        if chunk_type == b"IEND":
            return offset
    raise ValueError("no IEND chunk")


def _jpeg_end(data: bytes, start: int = 0) -> int:
    """Where the JPEG that starts at `start` ends: just after its EOI marker, found by walking
    the segments (an EOI inside an embedded thumbnail sits in an APP segment and is skipped
    with it)."""
    if data[start : start + 2] != b"\xff\xd8":
        raise ValueError("no SOI marker")
    offset = start + 2
    while offset + 2 <= len(data):
        if data[offset] != 0xFF:
            raise ValueError("not a marker")
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker == 0xD9:  # EOI
            return offset + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next marker that is not a
            # stuffed byte (FF 00) or a restart marker (FF D0-D7)
            while True:
                offset = data.find(b"\xff", offset)
                if offset < 0 or offset + 1 >= len(data):
                    raise ValueError("no EOI marker")
                if data[offset + 1] != 0x00 and not 0xD0 <= data[offset + 1] <= 0xD7:
                    break
                offset += 2
    raise ValueError("no EOI marker")


def _check_image(data: bytes, *, kind: str) -> None:
    label = KINDS[kind].label
    # A phone's multi-picture JPEG (MPO: a photo and its depth map or preview) is JPEG images
    # one after the other; each must be whole, and nothing may follow the last.
    formats = {"jpeg": ("JPEG", "MPO"), "png": ("PNG",)}[kind]
    try:
        with Image.open(io.BytesIO(data)) as image:
            actual = image.format
            image.verify()
        if kind == "png":
            end = _png_end(data)
        else:
            end = _jpeg_end(data)
            while actual == "MPO" and data[end : end + 2] == b"\xff\xd8":
                end = _jpeg_end(data, end)
    except Exception:  # Pillow raises many kinds of errors on damaged files
        actual, end = None, None
    if actual not in formats or end is None:
        _refuse(
            _("The file is not a readable %(kind)s image."), "image_unreadable", {"kind": label}
        )
    if data[end:].strip(b"\x00\r\n\t "):
        _refuse(_("The image has data after its end, which is not allowed."), "image_trailing_data")


def _check_dxf(data: bytes) -> None:
    # ezdxf pulls in numpy; imported here so that only DXF uploads pay for it.
    import ezdxf
    from ezdxf.filemanagement import dxf_stream_info

    try:
        # Before R2007 the header names the code page; ASCII is enough to read the header.
        info = dxf_stream_info(io.StringIO(data.decode("ascii", errors="ignore")))
        ezdxf.read(io.StringIO(data.decode(info.encoding or "utf-8", errors="surrogateescape")))
    except Exception:  # ezdxf raises DXFStructureError and others on what is not a drawing
        _refuse(_("The file is not a readable DXF drawing."), "dxf_unreadable")


# DWG has no open parser to hand; its header must at least carry a release AutoCAD writes.
_DWG_VERSIONS = {
    b"AC1012",
    b"AC1014",
    b"AC1015",
    b"AC1018",
    b"AC1021",
    b"AC1024",
    b"AC1027",
    b"AC1032",
}


def _check_dwg(data: bytes) -> None:
    if data[:6] not in _DWG_VERSIONS:
        _refuse(_("The file is not a readable DWG drawing."), "dwg_unreadable")


def check_content(data: bytes, *, kind: str) -> None:
    """Open `data` with a parser for `kind`; raise ValidationError (its code names the rule)
    when it does not parse or carries active content."""
    if _MARKUP.search(data):
        _refuse(_("The file contains web page markup or script, which is not allowed."), "markup")
    if kind == "pdf":
        _check_pdf(data)
    elif kind in ("png", "jpeg"):
        _check_image(data, kind=kind)
    elif kind == "dxf":
        _check_dxf(data)
    elif kind == "dwg":
        _check_dwg(data)


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
    """The uploader, an administrator, or whoever the attached object lets in (its
    `user_can_view_files(user)` method: who may see the object) may have it; anyone else gets
    404. Staff are not let in by a role: a reviewer of another team must not read a
    transaction's documents by guessing or being sent a file's id."""
    stored = PrivateFile.objects.filter(uuid=uuid).select_related("content_type").first()
    if stored is None or not user.is_authenticated:
        raise Http404
    if stored.uploaded_by_id == user.pk or user.is_superuser:
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
