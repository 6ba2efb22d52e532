"""Human-readable reference numbers: PREFIX-YYYY-NNNNNN, gap-free per prefix and year."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import ReferenceCounter


def reference_next(*, prefix: str, width: int = 6, year: int | None = None) -> str:
    """The next reference for `prefix` this year (Asia/Dubai), e.g. TRX-2026-000123.

    Call it inside the transaction that creates the numbered object: the counter row stays
    locked until that transaction ends, so concurrent callers queue, and a rollback gives the
    number back — no gaps, no duplicates.
    """
    year = year or timezone.localdate().year
    with transaction.atomic():
        if not ReferenceCounter.objects.filter(prefix=prefix, year=year).exists():
            try:
                with transaction.atomic():
                    ReferenceCounter.objects.create(prefix=prefix, year=year)
            except IntegrityError:
                pass  # another request created it first; lock it below like everyone else
        counter = ReferenceCounter.objects.select_for_update().get(prefix=prefix, year=year)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    return f"{prefix}-{year}-{counter.last_value:0{width}d}"
