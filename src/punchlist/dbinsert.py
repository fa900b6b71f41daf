"""Inserting many rows at once without building a model instance per row (imports of tens of thousands).

Only for code that has already validated every value (the register's import): no save(), no signals, values
converted with the backend's own adapters so that they read back exactly as the ORM would have written them.
Rows go in as multi-row INSERT statements: one round trip per batch, which PostgreSQL needs (executemany costs
a round trip per row there) and SQLite does not mind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, models, router

MAX_PARAMETERS = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement


def insert_rows(model, columns: Sequence[str], rows: Iterable[Sequence], batch: int = 1000) -> int:
    """INSERT ``rows`` (tuples in ``columns`` order, Python values) into ``model``'s table."""
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return _copy(connection, model, fields, rows)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    one = f"({', '.join(['%s'] * len(fields))})"
    batch = max(1, min(batch, MAX_PARAMETERS // len(fields)))
    converters = [_converter(field, connection) for field in fields]
    count = 0
    pending: list = []
    with connection.cursor() as cursor:
        def flush():
            cursor.execute(head + ", ".join([one] * (len(pending) // len(fields))), pending)

        for row in rows:
            pending.extend(value if convert is None or value is None else convert(value)
                           for convert, value in zip(converters, row, strict=True))
            count += 1
            if len(pending) >= batch * len(fields):
                flush()
                pending = []
        if pending:
            flush()
    return count


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
                    if row[i] is not None:
                        row[i] = Jsonb(row[i])
            copy.write_row(row)
            count += 1
    return count


def _converter(field, connection):
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateTimeField):
        return _remember_last(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


def _remember_last(convert):
    """Imports stamp every row with the same instant: convert it once."""
    last = [object(), None]

    def converted(value):
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return converted
