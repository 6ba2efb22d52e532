"""The bilingual PDFs read right: each language on its own line, the verification code isolated,
dates in one format with the Hijri date, and a long table repeating its header."""

import datetime

import pytest
from django.template.loader import render_to_string

from portal.models import IssuedDocument

pytestmark = pytest.mark.django_db


def _html(template: str, **data) -> str:
    doc = IssuedDocument(
        kind="test",
        reference="ORG-2026-000002",
        title_ar="إيصال",
        title_en="Receipt",
        template=template,
        verification_code="9zQsf1ftNEVIwBr5",
    )
    return render_to_string(
        template, {"doc": doc, "data": data, "qr": "", "verify_url": "https://x.example/v/"}
    )


def test_a_value_in_both_languages_is_one_line_per_language():
    html = _html(
        "accounts/pdf/organization_receipt.html",
        name_ar="شركة الخليج للمقاولات العامة",
        name_en="Gulf General Contracting LLC",
        kind_ar="مقاول",
        kind_en="Contractor",
        registered_by="عمر النعيمي",
        registered_at="2026-12-07 10:00",
        trade_licence_expiry="2027-12-07",
    )
    assert '<span lang="ar">شركة الخليج للمقاولات العامة</span>' in html
    assert '<span lang="en">Gulf General Contracting LLC</span>' in html
    assert "العامة / " not in html and " / Contractor" not in html


def test_the_verification_code_is_isolated_in_each_language():
    html = _html("accounts/pdf/organization_receipt.html", name_ar="x", name_en="y")
    assert 'رمز التحقق: <span class="code">9zQsf1ftNEVIwBr5</span>' in html
    assert 'Verification code: <span class="code">9zQsf1ftNEVIwBr5</span>' in html
    assert "رمز التحقق / Verification code" not in html


def test_dates_are_long_in_both_languages_with_the_hijri_date():
    html = _html(
        "transactions/pdf/certificate.html",
        approved_on="2026-12-07",
        issued_on="2026-12-07",
        fee="0.00",
        fields=[],
    )
    assert "7 ديسمبر 2026" in html and "7 December 2026" in html
    assert "27 جمادى الآخرة 1448 هـ" in html
    assert "2026-12-07" not in html


def test_a_long_documents_table_repeats_its_header_on_the_next_page():
    import io

    from pypdf import PdfReader
    from weasyprint import HTML

    documents = [[f"مستند {i}", f"Document {i}", f"file-{i}.pdf", "a" * 64] for i in range(40)]
    html = _html(
        "transactions/pdf/receipt.html",
        documents=documents,
        submitted_at="2026-12-07 10:00",
        due_date=str(datetime.date(2026, 12, 20)),
    )
    reader = PdfReader(io.BytesIO(HTML(string=html).write_pdf()))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "SHA-256" in page.extract_text()
