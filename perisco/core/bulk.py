"""Many rows inserted without building a model instance per row: the hot paths (a family
booking a month writes ~80 bookings and their history in one action, 2,000 families at an
opening) spend more CPU in `bulk_create`'s per-object preparation than in PostgreSQL."""

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.models.lookups import In
from psycopg.copy import Copy, QueuedLibpqWriter


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> list:
    """Insert `rows` (tuples of values for `fields`, as the database takes them: ids for
    foreign keys, aware datetimes) and return their new primary keys, in order.

    PostgreSQL: one `INSERT … SELECT FROM unnest(…)` with an array per column. Elsewhere
    (SQLite for development): `bulk_create`. No signals are sent, like `bulk_create`.
    """
    if not rows:
        return []
    meta = model._meta
    columns = [_concrete(meta.get_field(name)) for name in fields]
    if connection.vendor != "postgresql":
        objects = [
            model(**{f.attname: v for f, v in zip(columns, row, strict=True)}) for row in rows
        ]
        model._base_manager.bulk_create(objects)
        return [o.pk for o in objects]
    quote = connection.ops.quote_name
    # A foreign key's db_type is the type of the key it points to.
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    names = ", ".join(quote(str(f.column)) for f in columns)
    pk = quote(str(meta.pk.column)) if meta.pk else "id"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) "  # noqa: S608 (names from the model)
        f"SELECT * FROM unnest({arrays}) RETURNING {pk}"
    )
    params: list[list[Any]] = [list(values) for values in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _concrete(field) -> models.Field:
    if not isinstance(field, models.Field) or not field.concrete:
        raise TypeError(f"{field} is not a column")
    return field


def copy_rows_with_ids(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]
) -> list[int]:
    """`copy_rows`, and the new primary keys in order: on PostgreSQL the keys are taken
    from the table's sequence first (one query), then copied with the rows."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return insert_rows(model, fields, rows)
    meta = model._meta
    assert meta.pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    copy_rows(
        model,
        [meta.pk.name, *fields],
        ((pk, *row) for pk, row in zip(ids, rows, strict=True)),
    )
    return ids


def copy_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert many rows whose keys are not needed back (a billing run's ~400,000 billed
    days): PostgreSQL's COPY, whose rows psycopg formats in C (`insert_rows`' arrays are
    built in Python, ~40 µs a row at that size); `bulk_create` elsewhere. Returns the count."""
    meta = model._meta
    columns = [_concrete(meta.get_field(name)) for name in fields]
    if connection.vendor != "postgresql":
        objects = [
            model(**{f.attname: v for f, v in zip(columns, row, strict=True)}) for row in rows
        ]
        model._base_manager.bulk_create(objects, batch_size=2000)
        return len(objects)
    count = 0
    with _copy(model, columns) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


@contextmanager
def _copy(model: type[models.Model], columns: Sequence[models.Field]) -> Iterator[Copy]:
    """PostgreSQL's COPY into `columns` of `model`, through psycopg's own cursor under
    Django's wrapper (its errors raised as Django's: IntegrityError…). Rows are formatted
    by the caller while a thread of psycopg's sends the previous ones, so PostgreSQL
    inserts on the other core meanwhile."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
        with raw.copy(statement, writer=QueuedLibpqWriter(raw)) as copy:
            yield copy


def copy_text(model: type[models.Model], fields: Sequence[str], chunks: Iterable[str]) -> None:
    """PostgreSQL only: COPY rows the caller formatted as COPY's text (values separated by
    tabs, a row a line, none needing escapes: numbers and codes). A caller formatting a
    group of rows with one `str.join` spends a tenth of the Python a row at a time costs
    (a billing run's ~400,000 billed days: 0.15 s rather than 1.5 s)."""
    columns = [_concrete(model._meta.get_field(name)) for name in fields]
    with _copy(model, columns) as copy:
        # Sent ~256 kB at a time: each write is a message to the writer's thread.
        buffer: list[str] = []
        size = 0
        for chunk in chunks:
            buffer.append(chunk)
            size += len(chunk)
            if size > 2**18:
                copy.write("".join(buffer))
                buffer, size = [], 0
        if buffer:
            copy.write("".join(buffer))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for bulk work: a billing run holds ~millions
    of tuples, lists and dates until its batch ends, none in a cycle, and the collector
    scanned them again and again (1.2 s of a 10,000-family run's 3.6 s of CPU). Reference
    counting still frees them. Left enabled if another thread's bulk work re-enabled it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class AnyOf(In):
    """`field__any_of=ids`: the rows whose `field` is one of many integers, sent to
    PostgreSQL as one array (`= ANY(%s)`) rather than a placeholder per value: spelling out
    a run's 10,000 families one by one cost Django and psycopg ~0.5 s. Elsewhere `IN`."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        array = f"{self.lhs.output_field.db_type(connection)}[]"
        return f"{lhs} = ANY(%s::{array})", (*params, self.rhs)
