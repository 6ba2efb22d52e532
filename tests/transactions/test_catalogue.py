"""The department's starting catalogue (transactions.catalogue) and the demo data seed_demo adds
for transactions."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.files import KINDS
from portal.models import IssuedDocument
from tests.factories import CustomerFactory
from tests.transactions.factories import pdf
from transactions import services
from transactions.catalogue import catalogue_load
from transactions.models import ChecklistItem, FormField, Service, ServiceVersion, Transaction

S = Transaction.Status
ARABIC = re.compile(r"[\u0600-\u06ff]")
SAMPLE = {
    FormField.Kind.TEXT: "SHJ-0457",
    FormField.Kind.INTEGER: "3",
    FormField.Kind.DECIMAL: "120.50",
    FormField.Kind.DATE: "2026-12-01",
}


def _is_bilingual(ar: str, en: str) -> bool:
    return bool(ARABIC.search(ar)) and bool(en.strip()) and not ARABIC.search(en)


def test_the_catalogue_loads_eight_bilingual_services_each_with_a_checklist(db):
    created = catalogue_load()

    services_ = list(Service.objects.select_related("team"))
    assert created == len(services_) >= 8
    assert len({s.code for s in services_}) == len(services_)
    for service in services_:
        assert service.is_active
        assert _is_bilingual(service.name_ar, service.name_en), service.code
        assert _is_bilingual(service.description_ar, service.description_en), service.code
        assert _is_bilingual(service.team.name_ar, service.team.name_en), service.code
        assert service.sla_days >= 1 and service.fee >= 0
        [version] = service.versions.all()
        assert version.number == 1
        items = list(version.checklist.all())
        assert any(item.mandatory for item in items), service.code
        for item in items:
            assert _is_bilingual(item.name_ar, item.name_en), (service.code, item.code)
            assert item.kinds and set(item.kinds) <= set(KINDS), (service.code, item.code)
        for field in version.fields.all():
            assert field.kind in FormField.Kind.values, (service.code, field.code)
            assert _is_bilingual(field.label_ar, field.label_en), (service.code, field.code)
    assert {s.category for s in services_} == set(Service.Category.values)
    assert any(s.fee == 0 for s in services_) and any(s.fee > 0 for s in services_)


def test_loading_the_catalogue_again_changes_nothing(db):
    catalogue_load()
    counts = (
        Service.objects.count(),
        ServiceVersion.objects.count(),
        ChecklistItem.objects.count(),
        FormField.objects.count(),
    )
    service = Service.objects.first()
    service.name_en = "Renamed by an administrator"
    service.save()

    assert catalogue_load() == 0

    assert (
        Service.objects.count(),
        ServiceVersion.objects.count(),
        ChecklistItem.objects.count(),
        FormField.objects.count(),
    ) == counts
    service.refresh_from_db()
    assert service.name_en == "Renamed by an administrator"  # the administrator's edit stays


def test_every_catalogue_service_can_be_applied_for_and_submitted(db):
    catalogue_load()
    customer = CustomerFactory()
    for service in Service.objects.all():
        version = service.versions.get()
        data = {f.code: SAMPLE[f.kind] for f in version.fields.all() if f.required}
        t = services.transaction_create(actor=customer, service=service, title="Test", data=data)
        for item in version.checklist.filter(mandatory=True):
            assert "pdf" in item.kinds, (service.code, item.code)
            services.transaction_document_upload(
                actor=customer, transaction=t, item=item, upload=pdf(f"{item.code}.pdf")
            )
        services.transaction_submit(actor=customer, transaction=t)
        t.refresh_from_db()
        assert t.status == S.SUBMITTED, service.code
        assert t.sla_days == service.sla_days


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())


def test_seed_demo_leaves_transactions_at_several_stages(
    seeded, django_capture_on_commit_callbacks
):
    assert Service.objects.count() >= 8
    statuses = set(Transaction.objects.values_list("status", flat=True))
    assert {S.DRAFT, S.SUBMITTED, S.REMARKS_RETURNED, S.FEE_DUE, S.ISSUED} <= statuses

    issued = Transaction.objects.get(status=S.ISSUED)
    certificate = IssuedDocument.objects.get(
        kind="transaction_certificate", object_id=str(issued.pk)
    )
    assert certificate.status == IssuedDocument.Status.READY
    assert Path(certificate.pdf.path).is_file()
    assert Path(certificate.pdf.path).read_bytes().startswith(b"%PDF-")
    for t in Transaction.objects.exclude(status=S.DRAFT):
        assert re.fullmatch(r"TRX-\d{4}-\d{6}", t.reference)
        receipt = IssuedDocument.objects.get(kind="transaction_receipt", reference=t.reference)
        assert receipt.status == IssuedDocument.Status.READY

    counts = (Transaction.objects.count(), IssuedDocument.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert (Transaction.objects.count(), IssuedDocument.objects.count()) == counts
