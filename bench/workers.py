"""The workers' throughput: receipts rendered per second by one worker process (the real
portal.documents path, WeasyPrint included) and e-mails delivered per second from the outbox."""

from __future__ import annotations

import time

from django.core import mail

from bench.budgets import percentile

RECEIPTS = 12
EMAILS = 200


def _receipts() -> dict:
    """Through portal.documents.document_render, as the Celery task calls it (claim, render,
    store), on receipts put back to pending."""
    from portal.documents import document_render
    from portal.models import IssuedDocument

    ids = list(
        IssuedDocument.objects.filter(kind="transaction_receipt")
        .order_by("pk")
        .values_list("pk", flat=True)[: RECEIPTS + 1]
    )
    if not ids:
        return {}
    IssuedDocument.objects.filter(pk__in=ids).update(
        status=IssuedDocument.Status.PENDING, pdf="", attempts=0
    )
    document_render(document_id=ids[0])  # fonts and templates load once per worker
    times = []
    for pk in ids[1:]:
        started = time.perf_counter()
        document_render(document_id=pk)
        times.append(time.perf_counter() - started)
    return {
        "receipts": len(times),
        "receipts_per_second": round(len(times) / sum(times), 2),
        "receipt_p50_ms": round(percentile(times, 50) * 1000, 1),
    }


def _emails(ctx) -> dict:
    from portal import notifications
    from portal.models import Notification

    recipient = ctx.data["personas"]["customer_light"]
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=recipient,
            kind="transaction_submitted",
            context={
                "reference": f"TRX-BENCH-{i}",
                "title": "Bench",
                "service_name_ar": "خدمة",
                "service_name_en": "Service",
            },
            link="/transactions/",
        )
        for i in range(EMAILS)
    )
    deliver = notifications.notification_deliver
    mail.outbox = []
    started = time.perf_counter()
    for row in rows:
        deliver(notification_id=row.pk)
    elapsed = time.perf_counter() - started
    return {"emails": len(mail.outbox), "emails_per_second": round(len(rows) / elapsed, 1)}


def throughput(ctx) -> dict:
    out = {}
    for name, fn in (("receipts", _receipts), ("emails", lambda: _emails(ctx))):
        try:
            out.update(fn())
        except Exception as exc:  # noqa: BLE001 - a figure we cannot take is reported, not fatal
            out[f"{name}_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return out
