"""Private uploads through the real organization page: checked by content and size, hashed,
stored outside the static tree, and served only to people allowed to see them."""

import datetime
import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from accounts.models import Organization
from portal.audit import audit_timeline
from portal.files import detect_kind, validate_upload
from portal.models import PrivateFile

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


PNG = _image("PNG")
JPEG = _image("JPEG")


def _mpo() -> bytes:
    """A phone's multi-picture JPEG: two JPEG images one after the other."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (8, 8), "red"), Image.new("RGB", (8, 8), "blue")
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


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
        upload=SimpleUploadedFile("kept.pdf", PDF, content_type="application/pdf"),
        purpose="test",
        attach_to=None,
        kinds=("pdf",),
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = private_file_store(
            actor=newcomer,
            upload=SimpleUploadedFile("lost.pdf", PDF, content_type="application/pdf"),
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


# --- content parsed by a parser for its kind (issue #9, item 9) ------------------------------
# Every file below is built here, in code: valid ones by the libraries that write the format,
# malicious ones by adding the one thing a checker must find.
def _pdf(build=None) -> bytes:
    """A one-page PDF written by pypdf; `build(writer)` adds what a test needs."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _catalog(**entries):
    """A builder that puts `entries` (pypdf objects) into the PDF's catalogue."""
    from pypdf.generic import NameObject

    def build(writer):
        for key, value in entries.items():
            writer._root_object[NameObject(f"/{key}")] = value

    return build


def _action(kind: str, **fields):
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in fields.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    return action


def _document_js(writer):
    # Document-level JavaScript: the catalogue's /Names /JavaScript name tree.
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    tree = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [TextStringObject("init"), _action("/JavaScript", JS="app.alert(1)")]
            )
        }
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )


def _page_aa(writer):
    from pypdf.generic import DictionaryObject, NameObject

    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/GoTo", D="top")}
    )


def _xfa(writer):
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): ArrayObject()}
    )


def _escaped_js(data: bytes) -> bytes:
    # An escaped name (#61 is "a") hides /JavaScript from a byte search; the parsed object
    # tree decodes it. The JS sits in an object that nothing on the page refers to.
    extra = b"9 0 obj\n<< /S /J#61vaScript /J#53 (app.alert(1)) >>\nendobj\n"
    return data.replace(b"%PDF-1.3\n", b"%PDF-1.3\n" + extra, 1)


def _dxf() -> bytes:
    import ezdxf

    document = ezdxf.new("R2010")
    document.modelspace().add_line((0, 0), (10, 10))
    out = io.StringIO()
    document.write(out)
    return out.getvalue().encode()


@pytest.mark.parametrize(
    "name, content",
    [
        ("plan.pdf", _pdf()),
        ("plan.pdf", PDF),  # no cross-reference table: repaired as viewers do, then parsed
        ("plan.pdf", _pdf(_catalog(OpenAction=_action("/GoTo", D="top")))),  # not active
        # Encrypted with an empty user password (printing restricted): it opens, and is checked.
        ("plan.pdf", _pdf(lambda w: w.encrypt("", "owner-secret", algorithm="AES-128"))),
        ("photo.png", PNG),
        ("photo.jpg", JPEG),
        ("photo.jpg", _mpo()),
        ("drawing.dxf", _dxf()),
        ("drawing.dwg", b"AC1032" + b"\x00" * 10),
    ],
)
def test_valid_files_of_each_kind_pass_their_parser(name, content):
    kinds = ("pdf", "png", "jpeg", "dxf", "dwg")
    assert validate_upload(SimpleUploadedFile(name, content), kinds=kinds) in KIND_NAMES


@pytest.mark.parametrize(
    "name, content, code",
    [
        # PDF: the magic bytes are right, the content is not a PDF, or it acts on its own.
        ("page.pdf", b"%PDF-1.4\n" + HTML, "markup"),
        ("page.pdf", _pdf() + HTML, "markup"),
        ("plan.pdf", b"%PDF-1.4 and then nothing a parser can read", "pdf_unreadable"),
        ("plan.pdf", _pdf(_document_js), "pdf_javascript"),
        (
            "plan.pdf",
            _pdf(_catalog(OpenAction=_action("/JavaScript", JS="app.alert(1)"))),
            "pdf_javascript",
        ),
        ("plan.pdf", _escaped_js(_pdf()), "pdf_javascript"),
        (
            "plan.pdf",
            _pdf(_catalog(OpenAction=_action("/Launch", F="cmd.exe"))),
            "pdf_launch",
        ),
        ("plan.pdf", _pdf(lambda w: w.add_attachment("run.bat", b"format c:")), "pdf_embedded"),
        ("plan.pdf", _pdf(_page_aa), "pdf_auto_action"),
        ("plan.pdf", _pdf(_xfa), "pdf_xfa"),
        (
            "plan.pdf",
            _pdf(lambda w: w.encrypt("user-secret", "owner-secret", algorithm="AES-128")),
            "pdf_encrypted",
        ),
        (
            "plan.pdf",
            _pdf(
                lambda w: (
                    _document_js(w),
                    w.encrypt("", "owner-secret", algorithm="AES-128"),
                )
            ),
            "pdf_javascript",
        ),
        # Images: Pillow must open them, and nothing may follow the image's end.
        ("photo.png", PNG + HTML, "markup"),
        ("photo.png", PNG + b"PK\x03\x04 a zip after the image", "image_trailing_data"),
        ("photo.png", PNG[:-20], "image_unreadable"),
        ("photo.jpg", JPEG + b"PK\x03\x04 a zip after the image", "image_trailing_data"),
        ("photo.jpg", JPEG[:40], "image_unreadable"),
        ("photo.jpg", _mpo() + b"PK\x03\x04 a zip after the images", "image_trailing_data"),
        # DXF: a text file whose first word is 999 is not a drawing.
        ("drawing.dxf", b"999 days of summer, a text file\n", "dxf_unreadable"),
        ("drawing.dxf", b"0\nSECTION\n2\nHEADER\nthen rubbish", "dxf_unreadable"),
        ("drawing.dwg", b"AC1099" + b"\x00" * 10, "dwg_unreadable"),
    ],
)
def test_files_that_do_not_parse_or_carry_active_content_are_refused(name, content, code):
    kinds = ("pdf", "png", "jpeg", "dxf", "dwg")
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload, kinds=kinds)
    assert caught.value.code == code


def test_a_pdf_with_javascript_is_refused_on_the_page_naming_the_rule(
    client, newcomer, private_media
):
    content = _pdf(_document_js)
    client.force_login(newcomer)
    response = client.post(
        "/en/organization/", _form(SimpleUploadedFile("licence.pdf", content, "application/pdf"))
    )
    _assert_refused(response, "pdf_javascript")
    assert "The PDF contains JavaScript, which is not allowed." in response.content.decode()
    assert _nothing_saved(private_media)


# --- who may download: whoever may see the object the file belongs to ------------------------
def _downloads(user, stored: PrivateFile) -> tuple[int, int]:
    """The status of the page's and the API's download for `user`."""
    from django.test import Client
    from rest_framework.test import APIClient

    page = Client()
    page.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    return (
        page.get(f"/ar/files/{stored.uuid}/").status_code,
        api.get(f"/api/v1/files/{stored.uuid}/").status_code,
    )


def test_a_transaction_document_is_for_who_may_see_the_transaction(
    people, service, other_customer, admin_user, private_media
):
    from accounts.roles import Role
    from tests.factories import UserFactory
    from tests.transactions.factories import TeamFactory, transaction_at

    t = transaction_at("under_review", service=service, people=people)
    stored = t.documents.get().file
    outsider = UserFactory(role=Role.REVIEWER)  # a reviewer of another team
    TeamFactory().members.add(outsider)
    assert _downloads(outsider, stored) == (404, 404)
    assert _downloads(other_customer, stored) == (404, 404)
    for allowed in (people.customer, people.reviewer, people.agent, admin_user):
        assert _downloads(allowed, stored) == (200, 200)


def test_a_meeting_attachment_is_for_who_may_see_the_meeting(
    people, customer, agent, admin_user, private_media
):
    from accounts.roles import Role
    from meetings import services as meeting_services
    from tests.factories import CustomerFactory, UserFactory
    from tests.meetings.factories import team_with_host
    from tests.transactions.factories import pdf

    team, host = team_with_host()
    team.supervisor = UserFactory(role=Role.REVIEWER)
    team.save(update_fields=["supervisor"])
    meeting = meeting_services.meeting_book(
        actor=customer,
        starts_at=_first_slot(host),
        team=team,
        agenda="About the plot",
        attachments=[pdf("sketch.pdf")],
    )
    stored = PrivateFile.objects.get(purpose="meeting_attachment", object_id=str(meeting.pk))
    colleague = CustomerFactory(organization=customer.organization)
    for allowed in (customer, colleague, host.user, team.supervisor, admin_user):
        assert _downloads(allowed, stored) == (200, 200)
    # Staff who are neither the host, the host's supervisor nor an administrator.
    for outsider in (agent, people.reviewer, CustomerFactory()):
        assert _downloads(outsider, stored) == (404, 404)


def _first_slot(host):
    from tests.meetings.factories import first_free_slot

    return first_free_slot([host])


def test_a_transaction_certificate_is_for_who_may_see_the_transaction(
    people, service, other_customer, admin_user, private_media
):
    """Issued documents follow the same rule as uploads (#9 item 15)."""
    from django.test import Client

    from accounts.roles import Role
    from portal.documents import document_render
    from portal.models import IssuedDocument
    from tests.factories import UserFactory
    from tests.transactions.factories import TeamFactory, transaction_at

    t = transaction_at("under_review", service=service, people=people)
    receipt = IssuedDocument.objects.get(kind="transaction_receipt", object_id=str(t.pk))
    document_render(document_id=receipt.pk)
    outsider = UserFactory(role=Role.REVIEWER)  # a reviewer of another team
    TeamFactory().members.add(outsider)

    def status(user) -> int:
        client = Client()
        client.force_login(user)
        return client.get(f"/ar/documents/{receipt.pk}/download/").status_code

    assert status(outsider) == 404
    assert status(other_customer) == 404
    for allowed in (people.customer, people.reviewer, people.agent, admin_user):
        assert status(allowed) == 200
