"""Bulk-loading helpers the app seeders share: COPY with the timestamps the seeder chose, and a
timer per app."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

BATCH = 5000


def _copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    adapted = getattr(value, "adapted", _MISSING)  # psycopg2's Json or Binary wrapper
    if isinstance(adapted, bytes | memoryview):  # a BinaryField: bytea as \x and hex
        return "\\\\x" + bytes(adapted).hex()
    if adapted is not _MISSING:
        value = json.dumps(adapted, cls=DjangoJSONEncoder)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_MISSING = object()


def bulk(model: type[models.Model], rows: Iterable[models.Model], counts: dict) -> list:
    """Insert with PostgreSQL's COPY, ids taken from the table's sequence first (so that the
    rows keep them, as bulk_create would return them), at several times bulk_create's speed.
    Values go through each field's get_db_prep_save, as an ORM insert would write them; the
    timestamps are the ones the seeder set (auto_now fields are not stamped)."""
    rows = list(rows)
    if not rows:
        return rows
    meta = model._meta
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        now = timezone.now()
        for start in range(0, len(rows), BATCH * 4):
            buffer = io.StringIO()
            for row in rows[start : start + BATCH * 4]:
                values = []
                for f in fields:
                    value = getattr(row, f.attname)
                    if value is None and getattr(f, "auto_now_add", False):
                        value = now
                    values.append(_copy_text(f.get_db_prep_save(value, connection)))
                buffer.write("\t".join(values) + "\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", buffer
            )
    for row in rows:
        row._state.adding = False
    counts[meta.db_table] = counts.get(meta.db_table, 0) + len(rows)
    return rows


@contextlib.contextmanager
def timed(label: str, log) -> Iterator[None]:
    started = time.monotonic()
    yield
    log(f"  {label}: {time.monotonic() - started:.1f} s")
