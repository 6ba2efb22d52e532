"""Private uploads through the real organization page: checked by content and size, hashed,
stored outside the static tree, and served only to people allowed to see them."""

import datetime
import hashlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Organization
from portal.audit import audit_timeline
from portal.files import detect_kind, validate_upload
from portal.models import PrivateFile

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
KIND_NAMES = {"pdf", "jpeg", "png", "dwg", "dxf"}
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def _form(upload) -> dict:
    return {
        "name_ar": "مكتب النخبة الهندسي",
        "name_en": "Elite Engineering Office",
        "kind": Organization.Kind.CONSULTANT,
        "trade_licence_number": "SHJ-T-990001",
        "trade_licence_expiry": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "trade_licence_copy": upload,
    }


def _post(client, user, upload):
    client.force_login(user)
    return client.post("/ar/organization/", _form(upload))


def _nothing_saved(private_media: Path) -> bool:
    return (
        not Organization.objects.filter(name_en="Elite Engineering Office").exists()
        and not PrivateFile.objects.exists()
        and not any(p.is_file() for p in private_media.rglob("*"))
    )


def _assert_refused(response, code: str) -> None:
    assert response.status_code == 200  # the form again, with the error on the file field
    [error] = response.context["form"].errors.as_data()["trade_licence_copy"]
    assert error.code == code
    [message] = error.messages
    assert escape(message) in response.content.decode()


# --- refused uploads --------------------------------------------------------------------------
def test_html_renamed_pdf_is_refused_and_nothing_is_saved(client, newcomer, private_media):
    response = _post(client, newcomer, SimpleUploadedFile("licence.pdf", HTML, "application/pdf"))
    _assert_refused(response, "bad_type")
    assert _nothing_saved(private_media)


def test_empty_file_is_refused(client, newcomer, private_media):
    response = _post(client, newcomer, SimpleUploadedFile("licence.pdf", b"", "application/pdf"))
    _assert_refused(response, "empty")
    assert _nothing_saved(private_media)


def test_oversized_file_is_refused(client, settings, newcomer, private_media):
    settings.UPLOAD_MAX_BYTES = 1000
    big = PDF + b"%" * 2000
    response = _post(client, newcomer, SimpleUploadedFile("licence.pdf", big, "application/pdf"))
    _assert_refused(response, "too_large")
    assert _nothing_saved(private_media)


def test_jpeg_named_pdf_is_refused_as_mislabelled(client, newcomer, private_media):
    response = _post(client, newcomer, SimpleUploadedFile("licence.pdf", JPEG, "application/pdf"))
    _assert_refused(response, "mislabelled")
    assert _nothing_saved(private_media)


# --- a good upload ----------------------------------------------------------------------------
def test_valid_pdf_is_hashed_stored_privately_and_served_only_to_allowed_people(
    client, newcomer, other_customer, private_media
):
    response = _post(
        client, newcomer, SimpleUploadedFile("رخصة-licence.pdf", PDF, "application/pdf")
    )
    assert response.status_code == 302
    organization = Organization.objects.get(name_en="Elite Engineering Office")

    stored = PrivateFile.objects.get()
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.size == len(PDF)
    assert stored.content_type_detected == "application/pdf"
    assert stored.original_name == "رخصة-licence.pdf"
    assert stored.purpose == "trade_licence"
    assert stored.uploaded_by == newcomer
    assert stored.attached_to == organization

    on_disk = Path(stored.file.path).resolve()
    assert on_disk.read_bytes() == PDF
    assert on_disk.name == f"{stored.uuid}.pdf"  # never the uploader's file name
    private_root = Path(django_settings.STORAGES["private"]["OPTIONS"]["location"]).resolve()
    assert on_disk.is_relative_to(private_root)
    assert not on_disk.is_relative_to(Path(django_settings.STATIC_ROOT).resolve())

    # The test client's REMOTE_ADDR reaches the audit event through AuditContextMiddleware.
    [event] = [e for e in audit_timeline(obj=organization) if e.verb == "organization_registered"]
    assert event.ip == "127.0.0.1"

    url = f"/ar/files/{stored.uuid}/"
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF

    client.force_login(other_customer)
    assert client.get(url).status_code == 404

    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith("/ar/accounts/login/?next=")


def test_unknown_file_is_404(client, customer):
    client.force_login(customer)
    assert client.get("/ar/files/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_configured_private_storage_is_outside_the_static_tree():
    # Without the test's temporary directory: what the settings give the file fields.
    field_storage = PrivateFile._meta.get_field("file").storage
    location = Path(field_storage.location).resolve()
    assert location == Path(django_settings.STORAGES["private"]["OPTIONS"]["location"]).resolve()
    for static in [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]:
        static = Path(static).resolve()
        assert not location.is_relative_to(static)
        assert not static.is_relative_to(location)


# --- content detection ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "head, kind",
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (b"AC1032\x00\x00\x00\x00\x00", "dwg"),
        (b"AC1015" + b"\x00" * 10, "dwg"),
        (b"0\nSECTION\n2\nHEADER\n", "dxf"),
        (b"  0\r\nSECTION\r\n  2\r\nHEADER\r\n", "dxf"),
        (b"999\nwritten by a CAD program\n0\nSECTION\n", "dxf"),
        (HTML, None),
        (b"ACAD drawing", None),
        (b"", None),
        (b"PK\x03\x04 a zip file", None),
    ],
)
def test_detect_kind(head, kind):
    assert detect_kind(head) == kind


@pytest.mark.parametrize(
    "name, content, kinds, result",
    [
        ("plan.pdf", PDF, ("pdf",), "pdf"),
        ("PHOTO.JPG", JPEG, ("jpeg", "pdf"), "jpeg"),
        ("drawing.dwg", b"AC1032" + b"\x00" * 10, ("dwg",), "dwg"),
        ("photo.pdf", JPEG, ("pdf", "jpeg"), "mislabelled"),
        ("photo.png", JPEG, ("jpeg", "png"), "mislabelled"),
        ("page.pdf", HTML, ("pdf",), "bad_type"),
        ("photo.png", PNG, ("pdf",), "bad_type"),  # a real PNG, but not allowed here
        ("empty.pdf", b"", ("pdf",), "empty"),
    ],
)
def test_validate_upload(name, content, kinds, result):
    upload = SimpleUploadedFile(name, content)
    if result in KIND_NAMES:
        assert validate_upload(upload, kinds=kinds) == result
        assert upload.tell() == 0  # left ready to be stored
    else:
        with pytest.raises(ValidationError) as caught:
            validate_upload(upload, kinds=kinds)
        assert caught.value.code == result


def test_validate_upload_size_limit_argument_and_setting(settings):
    upload = SimpleUploadedFile("plan.pdf", PDF + b"%" * 100)
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload, kinds=("pdf",), max_bytes=50)
    assert caught.value.code == "too_large"
    settings.UPLOAD_MAX_BYTES = 50
    with pytest.raises(ValidationError):
        validate_upload(upload, kinds=("pdf",))
    settings.UPLOAD_MAX_BYTES = 10_000
    assert validate_upload(upload, kinds=("pdf",)) == "pdf"


def test_uploads_left_by_a_rolled_back_request_are_swept_once_old(db, newcomer, private_media):
    """A file saved before its transaction rolled back has no row; the daily sweep deletes it
    once it is older than a day, and never touches a file that has its row or a young one."""
    import os

    from django.db import transaction

    from portal.files import files_sweep_orphans, private_file_store
    from portal.tasks import sweep_orphan_files

    kept = private_file_store(
        actor=newcomer,
        upload=SimpleUploadedFile("kept.pdf", b"%PDF-1.4 kept", content_type="application/pdf"),
        purpose="test",
        attach_to=None,
        kinds=("pdf",),
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = private_file_store(
            actor=newcomer,
            upload=SimpleUploadedFile("lost.pdf", b"%PDF-1.4 lost", content_type="application/pdf"),
            purpose="test",
            attach_to=None,
            kinds=("pdf",),
        )
        raise RuntimeError("the rest of the change failed")
    orphan = Path(private_media) / lost.file.name
    assert orphan.exists() and not PrivateFile.objects.filter(pk=lost.pk).exists()

    assert files_sweep_orphans() == 0  # too young: it may belong to a request still running
    old = (timezone.now() - datetime.timedelta(days=2)).timestamp()
    os.utime(orphan, (old, old))
    os.utime(Path(private_media) / kept.file.name, (old, old))
    assert sweep_orphan_files.delay().get() == 1
    assert not orphan.exists()
    assert (Path(private_media) / kept.file.name).exists()


def test_the_allowed_kinds_help_text_follows_the_page_language(client, newcomer):
    """The form field is built once, at import; its help text must not freeze in the language
    that was active then."""
    client.force_login(newcomer)
    assert "الأنواع المسموح بها" in client.get("/ar/organization/").content.decode()
    english = client.get("/en/organization/").content.decode()
    assert "Allowed: PDF" in english and "الأنواع المسموح بها" not in english
