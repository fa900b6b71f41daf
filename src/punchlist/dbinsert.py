"""Inserting many rows at once without building a model instance per row (imports of tens of thousands).

Only for code that has already validated every value (the register's import): no save(), no signals, values
converted with the backend's own adapters so that they read back exactly as the ORM would have written them.
Rows go in as multi-row INSERT statements on SQLite (one statement per few thousand values) and through COPY
on PostgreSQL (executemany would cost a round trip per row there).

A JSON column takes either a Python value (serialized here) or ``RawJSON`` text that is already serialized:
the audit trail hashes the exact text it stores, and serializing it once is half the cost of an event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from itertools import chain, islice

from django.db import connections, models, router

MAX_PARAMETERS = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement


class RawJSON(str):
    """JSON text to store as it is in a JSON column."""

    __slots__ = ()


@contextmanager
def bulk_session(model, rows: int = 0):
    """While many rows go in: on SQLite, a page cache large enough for the pages being filled (``rows`` at
    about 3 KiB each: an imported item, its milestones, its audit event and their index entries; at least
    64 MiB, at most 256 MiB), so that none is spilled to the WAL, read back and written again before the
    commit. The connection's own size is put back after."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite":
        yield
        return
    cache_kib = min(max(rows * 3, 64 * 1024), 256 * 1024)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-cache_kib:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous):d}")


def db_value(model, name: str, value):
    """``value`` as ``insert_rows(..., prepared=True)`` takes it for the field ``name`` of ``model``: an aware
    datetime as SQLite stores it; a JSON value as ``RawJSON``. Dates, numbers and text need nothing."""
    connection = connections[router.db_for_write(model)]
    field = model._meta.get_field(name)
    if value is None or connection.vendor == "postgresql" and not isinstance(field, models.JSONField):
        return value
    convert = _converter(field, connection)
    return RawJSON(convert(value)) if isinstance(field, models.JSONField) else convert(value)


def insert_rows(model, columns: Sequence[str], rows: Iterable[Sequence], batch: int = 1000,
                returning: Sequence[str] = (), prepared: bool = False) -> int | list[tuple]:
    """INSERT ``rows`` (tuples in ``columns`` order, Python values) into ``model``'s table.

    ``prepared``: the caller made every datetime and JSON value ready with ``db_value`` (or ``RawJSON``), so
    rows go in as they are, without a look at each value. Returns the number of rows, or with ``returning``
    (SQLite only) a tuple of those fields' values for every row inserted, in no particular order.
    """
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        if returning:
            raise ValueError("COPY returns nothing; reserve the keys first (reserve_ids)")
        return _copy(connection, model, fields, rows)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    one = f"({', '.join(['?'] * len(fields))})"
    tail = (" RETURNING " + ", ".join(quote(model._meta.get_field(name).column) for name in returning)
            if returning else "")
    width = len(fields)
    batch = max(1, min(batch, MAX_PARAMETERS // width))
    statement = head + ", ".join([one] * batch) + tail  # the same text each time: sqlite3 prepares it once
    converters = [] if prepared else [
        (i, convert) for i, convert in enumerate(_converter(field, connection) for field in fields)
        if convert is not None]
    count = 0
    returned: list = []
    connection.ensure_connection()
    # The DB-API cursor itself, with sqlite3's own placeholders: Django's wrapper would rewrite every "%s" of
    # a statement of thousands with a regular expression, each time. Errors still become Django's.
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            for chunk in _batches(rows, batch):
                if converters:
                    chunk = [_converted(row, converters) for row in chunk]
                params = list(chain.from_iterable(chunk))
                if len(params) != len(chunk) * width:
                    raise ValueError(f"rows of {width} values expected for {', '.join(columns)}")
                sql = statement if len(chunk) == batch else head + ", ".join([one] * len(chunk)) + tail
                cursor.execute(sql, params)
                if returning:
                    returned.extend(cursor.fetchall())
                count += len(chunk)
        finally:
            cursor.close()
    return returned if returning else count


def _batches(rows, size: int):
    if isinstance(rows, list):
        for start in range(0, len(rows), size):
            yield rows[start:start + size]
        return
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def _converted(row, converters) -> list:
    row = list(row)
    for i, convert in converters:
        if row[i] is not None:
            row[i] = convert(row[i])
    return row


def reserve_ids(model, count: int) -> list[int]:
    """``count`` fresh primary keys for rows the caller then inserts with their keys given (no RETURNING to read
    back, and the rows of other tables can name them in the same batch).

    PostgreSQL: from the table's own sequence. SQLite: the next ones after the largest the table ever handed
    out (AUTOINCREMENT's sqlite_sequence, which inserting them moves on); the transaction holds SQLite's one
    write lock, so no other connection can take them in between. Inside a transaction only.
    """
    connection = connections[router.db_for_write(model)]
    if not connection.in_atomic_block:
        raise ValueError("primary keys are reserved inside the transaction that inserts them")
    if count <= 0:
        return []
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, column, count])
            return [value for (value,) in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"no key reservation for {connection.vendor}")
        quote = connection.ops.quote_name
        # Both: a table whose sequence row is missing (never written) or behind (keys given by hand) is safe.
        cursor.execute(f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                       f"coalesce((SELECT max({quote(column)}) FROM {quote(table)}), 0))", [table])
        (last,) = cursor.fetchone()
    return list(range(last + 1, last + 1 + count))


def _copy(connection, model, fields, rows) -> int:
    """PostgreSQL: COPY, the server's own bulk path; psycopg adapts dates, times and JSON itself."""
    from psycopg.types.json import Jsonb

    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    json_columns = [i for i, field in enumerate(fields) if isinstance(field, models.JSONField)]
    count = 0
    connection.ensure_connection()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_columns:
                row = list(row)
                for i in json_columns:
                    if row[i] is not None and not isinstance(row[i], RawJSON):
                        row[i] = Jsonb(row[i])
            copy.write_row(row)
            count += 1
    return count


def _converter(field, connection):
    """SQLite: JSON to text, aware datetimes to the naive UTC text Django stores. Dates need nothing (Django
    registers sqlite3's date adapter), nor do text and numbers."""
    if isinstance(field, models.JSONField):
        encoder = (field.encoder or json.JSONEncoder)()

        def to_json(value):
            return value if isinstance(value, RawJSON) else encoder.encode(value)
        return to_json
    if isinstance(field, models.DateTimeField):
        return _remember_last(connection.ops.adapt_datetimefield_value)
    return None


def _remember_last(convert):
    """Imports stamp every row with the same instant: convert it once."""
    last = [object(), None]

    def converted(value):
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return converted
