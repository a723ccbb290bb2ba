"""A page of rows in ONE set-based statement, on PostgreSQL: the fast path of the bulk page write (sync/bulk.py).

Django's `bulk_create` prepares every value of every row in its INSERT compiler, and on PostgreSQL sends each
column as an array that psycopg quotes on the client with a regular expression per element (escaping the
JSON of every payload): about 8 ms of CPU for a page of 100 products, most of what the backfill cost. Here
the page travels as one JSON document, the mapper's column dicts encoded by `json.dumps` (in C), and
PostgreSQL unpacks it with `jsonb_to_recordset`: the JSON columns arrive as JSON and are stored as jsonb,
every other value is read by the database as its column's type. About 1 ms of CPU for the same page.

    INSERT INTO t (id, ...) SELECT id, ... FROM jsonb_to_recordset(%s::jsonb) AS page(id text, ...)
    ON CONFLICT (id) DO UPDATE SET ... = EXCLUDED....
    WHERE NOT t.deleted AND (t.synced_at IS NULL OR t.synced_at < EXCLUDED.synced_at)   -- guarded only
    RETURNING t.id, t.xmax = 0                                                           -- guarded only

Guarded, the statement writes exactly the rows the bulk path may write without a second look (new ids, and
rows older than the page; a tombstone or a row as new as the page is left as it is, but locked, since ON
CONFLICT DO UPDATE locks every conflicting row) and names them. The caller judges the rows it did not name
(bulk.py). Unguarded, it overwrites as `bulk_create(update_conflicts=True)` does: for children written
under their parent's lock (subscription items).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import Model

Row = dict[str, Any]
"""A row to write: the model's keyword arguments (`id`, `synced_at` and the mapper's columns), by attname."""


def supported(model: type[Model]) -> bool:
    """Whether `model` is written to PostgreSQL, where the set-based statement works."""
    return connections[router.db_for_write(model)].vendor == "postgresql"


def upsert_rows(model: type[Model], rows: list[Row], *, guarded: bool = True) -> dict[str, bool]:
    """Write `rows` (distinct ids) in one statement, in the caller's transaction. Guarded, returns the ids it
    wrote, each with whether it was inserted (False: an older row was overwritten); unguarded, nothing."""
    if not rows:
        return {}
    # In id order, so that concurrent writers of overlapping pages take their row locks in the same order.
    document = json.dumps(sorted(rows, key=_row_id), default=_json_value, separators=(",", ":"))
    using = router.db_for_write(model)
    with connections[using].cursor() as cursor:
        cursor.execute(_statement(model, using, guarded), [document])
        return {row_id: inserted for row_id, inserted in cursor.fetchall()} if guarded else {}


def _row_id(row: Row) -> str:
    return row["id"]


def _json_value(value: Any) -> Any:
    """What `json.dumps` cannot encode by itself: datetimes, as ISO 8601 text that timestamptz reads back."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


@cache
def _statement(model: type[Model], using: str, guarded: bool) -> str:
    quote = connections[using].ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    columns = ", ".join(quote(field.column) for field in fields)
    keys = ", ".join(quote(field.attname) for field in fields)
    # Each value is read as its column's type (a string too long for its varchar fails, as in an INSERT).
    record = ", ".join(f"{quote(field.attname)} {field.db_type(connections[using])}" for field in fields)
    updates = ", ".join(f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in fields if not f.primary_key)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {keys} FROM jsonb_to_recordset(%s::jsonb) AS page({record}) "
        f"ON CONFLICT ({pk}) DO UPDATE SET {updates}"
    )
    if not guarded:
        return sql
    deleted, synced_at = (quote(model._meta.get_field(name).column) for name in ("deleted", "synced_at"))
    return (
        f"{sql} WHERE NOT {table}.{deleted} "
        f"AND ({table}.{synced_at} IS NULL OR {table}.{synced_at} < EXCLUDED.{synced_at}) "
        # xmax is 0 on a row version this statement inserted, and set (to our lock) on one it updated.
        f"RETURNING {table}.{pk}, {table}.xmax = 0"
    )
