"""Demo data for transactions, appended to seed_demo's steps: the catalogue, the reviewer in
every team, and a few transactions taken through the real services to different stages."""

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Team, User
from transactions import services
from transactions.catalogue import catalogue_load
from transactions.models import Service, Transaction


def _pdf(name: str) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _draft(customer: User, code: str, title: str, data: dict, upload_all: bool = True):
    service = Service.objects.get(code=code)
    transaction = services.transaction_create(
        actor=customer, service=service, title=title, data=data
    )
    if upload_all:
        for item in transaction.version.checklist.all():
            if item.mandatory:
                services.transaction_document_upload(
                    actor=customer,
                    transaction=transaction,
                    item=item,
                    upload=_pdf(f"{item.code}.pdf"),
                )
    return transaction


def seed_transactions(stdout) -> None:
    catalogue_load()
    reviewer = User.objects.get(email="reviewer@demo.pwd.ae")
    agent = User.objects.get(email="agent@demo.pwd.ae")
    for team in Team.objects.all():
        team.members.add(reviewer)
        if team.supervisor_id is None:
            team.supervisor = reviewer
            team.save(update_fields=["supervisor"])
    customer = User.objects.get(email="customer@demo.pwd.ae")
    contractor = User.objects.get(email="contractor@demo.pwd.ae")
    if Transaction.objects.filter(applicant__in=[customer, contractor]).exists():
        return
    villa = {"plot-number": "312-0457", "plot-area": "900", "built-up-area": "620", "floors": "2"}

    # A draft still being prepared.
    _draft(customer, "new-building-permit", "فيلا سكنية - الرحمانية", villa, upload_all=False)

    # Submitted, waiting for the Customer Happiness Center.
    submitted = _draft(
        customer,
        "completion-certificate",
        "مبنى تجاري - المويلح",
        {"permit-number": "BP-2025-00871", "completion-date": "2026-10-30"},
    )
    services.transaction_submit(actor=customer, transaction=submitted)

    # Under review with an open remark returned to the customer.
    remarks = _draft(
        customer, "new-building-permit", "فيلا سكنية على القطعة 312-0912 - الرحمانية", villa
    )
    services.transaction_submit(actor=customer, transaction=remarks)
    services.transaction_claim(actor=agent, transaction=remarks)
    services.transaction_accept_complete(actor=agent, transaction=remarks)
    services.transaction_claim(actor=reviewer, transaction=remarks)
    structural = remarks.version.checklist.get(code="structural")
    services.remark_add(
        actor=reviewer,
        transaction=remarks,
        item=structural,
        text="يرجى توضيح تفاصيل تسليح الأعمدة في الطابق الأرضي وفق الكود المعتمد.",
    )
    services.transaction_return_remarks(actor=reviewer, transaction=remarks)

    # Free NOC, approved and certified.
    noc = _draft(
        contractor,
        "infrastructure-noc",
        "توصيل تصريف مياه الأمطار - المنطقة الصناعية 6",
        {"plot-number": "I6-0042", "purpose": "توصيل شبكة تصريف مياه الأمطار"},
    )
    services.transaction_submit(actor=contractor, transaction=noc)
    services.transaction_claim(actor=agent, transaction=noc)
    services.transaction_accept_complete(actor=agent, transaction=noc)
    services.transaction_claim(actor=reviewer, transaction=noc)
    services.transaction_approve(actor=reviewer, transaction=noc)
    services.transaction_issue_certificate(actor=reviewer, transaction=noc)

    # Road excavation approved, fee due.
    road = _draft(
        contractor,
        "road-excavation-permit",
        "عبور خط مياه - شارع الوحدة",
        {
            "road-name": "شارع الوحدة",
            "length": "120",
            "start-date": "2026-12-14",
            "duration": "10",
        },
    )
    services.transaction_submit(actor=contractor, transaction=road)
    services.transaction_claim(actor=agent, transaction=road)
    services.transaction_accept_complete(actor=agent, transaction=road)
    services.transaction_claim(actor=reviewer, transaction=road)
    services.transaction_approve(actor=reviewer, transaction=road)
    stdout.write("  transactions: 8 services, 5 demo transactions")
