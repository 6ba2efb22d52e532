"""Receipts render fast and quietly in a worker (issue 11: 2.5 receipts/s per worker, and
WeasyPrint's progress lines at every render)."""

import os
import subprocess
import sys

from django.conf import settings as django_settings

from portal import documents
from portal.models import IssuedDocument


def _receipt() -> IssuedDocument:
    return IssuedDocument(
        kind="transaction_receipt",
        reference="TRX-2026-000123",
        title_ar="إيصال استلام معاملة",
        title_en="Transaction receipt",
        template="transactions/pdf/receipt.html",
        verification_code="ABCD1234EFGH",
        snapshot={"service_name_ar": "ترخيص بناء", "title": "فيلا سكنية", "sla_days": 10},
    )


def test_renders_share_one_font_configuration(db, monkeypatch):
    from weasyprint.text import fonts

    made = []
    original = fonts.FontConfiguration.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(fonts.FontConfiguration, "__init__", counting)
    documents._font_config.cache_clear()
    for _ in range(2):
        assert documents.document_pdf_bytes(_receipt()).startswith(b"%PDF")
    assert len(made) == 1


def test_a_worker_does_not_log_weasyprints_progress():
    # A worker's settings (a broker, so tasks are not eager), read in a fresh process.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
        "LOG_LEVEL": "INFO",
    }
    code = (
        "import django, logging; django.setup(); "
        "print(*(logging.getLogger(n).isEnabledFor(logging.INFO) for n in "
        "('weasyprint', 'weasyprint.progress', 'fontTools.subset')), "
        "logging.getLogger('weasyprint').isEnabledFor(logging.WARNING), "
        "logging.getLogger('weasyprint').isEnabledFor(logging.ERROR))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # Nor the unsupported-CSS warnings it repeats at every render; errors still show.
    assert out == ["False", "False", "False", "False", "True"]
