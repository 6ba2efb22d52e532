"""Reference numbers: PREFIX-YYYY-NNNNNN, consecutive and gap-free per prefix and year, and
unique when many requests ask at once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.utils import timezone

from portal.references import reference_next


def test_format_and_consecutive_numbers(db):
    assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000001"
    assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000002"
    assert reference_next(prefix="TND", year=2026, width=4) == "TND-2026-0001"


def test_default_year_is_this_year_in_dubai(db):
    assert reference_next(prefix="IPC") == f"IPC-{timezone.localdate().year}-000001"


def test_each_prefix_and_each_year_counts_on_its_own(db):
    assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000001"
    assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000002"
    assert reference_next(prefix="IPC", year=2026) == "IPC-2026-000001"
    assert reference_next(prefix="TRX", year=2027) == "TRX-2027-000001"
    assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000003"


def test_rollback_gives_the_number_back(db):
    assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000002"
        raise RuntimeError("creating the numbered object failed")
    assert reference_next(prefix="TRX", year=2026) == "TRX-2026-000002"


def test_rollback_of_the_very_first_number_of_a_year(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        reference_next(prefix="NEW", year=2030)
        raise RuntimeError
    assert reference_next(prefix="NEW", year=2030) == "NEW-2030-000001"


def _one_reference() -> str:
    try:
        with transaction.atomic():
            return reference_next(prefix="TST", year=2026)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_get_distinct_consecutive_numbers():
    if connection.vendor == "postgresql":
        # 200 requests from 20 threads, each with its own connection and transaction.
        with ThreadPoolExecutor(max_workers=20) as pool:
            references = list(pool.map(lambda _: _one_reference(), range(200)))
    else:
        # SQLite serialises writers with a database-wide lock and has no row locks to test;
        # the same 200 requests one after another must still give 200 distinct numbers.
        references = [_one_reference() for _ in range(200)]

    assert len(set(references)) == 200
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(1, 201))
    assert all(r.startswith("TST-2026-") for r in references)
