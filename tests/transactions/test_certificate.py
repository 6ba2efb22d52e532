"""The documents a transaction issues, rendered (eager Celery, on commit) to bilingual PDFs: the
receipt at submission and the certificate at the end, each verifiable on the public
/verify/<code>/ page."""

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from portal.models import IssuedDocument
from tests.transactions.factories import People, ServiceFactory, draft, pdf, transaction_at
from transactions import services
from transactions.models import Transaction

S = Transaction.Status

SERVICE_AR = "ترخيص حفر طريق"
SERVICE_EN = "Road excavation permit"
# Bidirectional controls pdftotext puts around right-to-left runs.
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def _pdf_text(path: str) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, check=True, text=True
    ).stdout
    # Arabic may come out as presentation forms (NFKC folds them back to ordinary letters) and
    # wrapped in direction marks; a line mixing scripts may come out in visual order.
    return unicodedata.normalize("NFKC", text).translate(BIDI_CONTROLS)


def _has_words(text: str, phrase: str) -> bool:
    words = set(text.split())
    return all(word in words for word in phrase.split())


@pytest.fixture
def road_service(db):
    return ServiceFactory(name_ar=SERVICE_AR, name_en=SERVICE_EN)


@pytest.fixture
def road_people(road_service, customer, agent, reviewer, finance):
    return People(
        service=road_service, customer=customer, agent=agent, reviewer=reviewer, finance=finance
    )


def test_the_certificate_pdf_shows_what_it_certifies_and_verifies_publicly(
    client, road_service, road_people, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        t = transaction_at(S.ISSUED, service=road_service, people=road_people)
    certificate = IssuedDocument.objects.get(kind="transaction_certificate")
    assert certificate.status == IssuedDocument.Status.READY
    assert certificate.subject == t
    assert certificate.owner == road_people.customer
    path = certificate.pdf.path
    assert Path(path).read_bytes().startswith(b"%PDF-")

    # One page: the QR verification block does not spill onto a page of its own.
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info

    text = _pdf_text(path)
    assert t.reference in text
    assert re.fullmatch(r"CRT-\d{4}-\d{6}", certificate.reference)
    assert certificate.reference in text
    assert SERVICE_EN in text
    assert SERVICE_AR in text  # one right-to-left run: it keeps its order
    assert _has_words(text, SERVICE_AR)
    customer_name = road_people.customer.full_name
    assert customer_name == "سارة المهيري"
    assert customer_name in text
    assert "312-0457" in text  # the plot number the application gave
    assert "1,500.00" in text  # the fee paid, in the money format of the pages

    # The QR code leads to the public verification page.
    if shutil.which("zbarimg") and shutil.which("pdftoppm"):
        prefix = tmp_path / "page"
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", path, prefix])
        [image] = tmp_path.glob("page*.png")
        payload = subprocess.run(
            ["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True
        ).stdout.strip()
        assert payload == f"{django_settings.SITE_URL}/verify/{certificate.verification_code}/"

    client.logout()
    for language in ("ar", "en"):
        page = client.get(
            f"/verify/{certificate.verification_code}/", HTTP_ACCEPT_LANGUAGE=language
        )
        assert page.status_code == 200
        body = page.content.decode()
        assert t.reference in body
        assert certificate.reference in body
        assert SERVICE_AR in body and SERVICE_EN in body
        assert customer_name in body
    assert client.get("/verify/not-a-real-code/").status_code == 404


def test_the_receipt_at_submission_holds_the_reference(
    client, road_service, road_people, django_capture_on_commit_callbacks
):
    t = draft(customer=road_people.customer, service=road_service)
    plan = t.version.checklist.get(code="plan")
    services.transaction_document_upload(
        actor=road_people.customer, transaction=t, item=plan, upload=pdf("plan-v2.pdf")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.transaction_submit(actor=road_people.customer, transaction=t)
    t.refresh_from_db()
    receipt = IssuedDocument.objects.get(kind="transaction_receipt")
    assert receipt.reference == t.reference
    assert receipt.status == IssuedDocument.Status.READY
    assert not IssuedDocument.objects.filter(kind="transaction_certificate").exists()

    text = _pdf_text(receipt.pdf.path)
    assert t.reference in text
    assert SERVICE_EN in text and SERVICE_AR in text
    assert road_people.customer.full_name in text
    # The documents submitted (the current version of each), with their SHA-256.
    assert "plan-v2.pdf" in text and "plan.pdf" not in text
    newest = t.documents.order_by("-number").first()
    assert newest.file.sha256 in text

    page = client.get(f"/verify/{receipt.verification_code}/")
    assert page.status_code == 200
    assert t.reference in page.content.decode()
    assert SERVICE_EN in page.content.decode()


def test_a_confirmed_fee_gets_its_own_receipt(
    client, road_service, road_people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        t = transaction_at(S.PAID, service=road_service, people=road_people)
    receipt = IssuedDocument.objects.get(kind="fee_receipt")
    assert re.fullmatch(r"RCP-\d{4}-\d{6}", receipt.reference)
    assert receipt.owner == road_people.customer and receipt.subject == t
    text = _pdf_text(receipt.pdf.path)
    assert receipt.reference in text and t.reference in text
    assert "1,500.00" in text and "FT-0001" in text  # the amount and the transfer reference
    # The customer finds it with the transaction's other documents.
    client.force_login(road_people.customer)
    page = client.get(f"/ar/transactions/{t.pk}/").content.decode()
    assert f"/ar/documents/{receipt.pk}/download/" in page
