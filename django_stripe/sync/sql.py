"""The pieces of SQL the ORM does not offer: an insert that ignores a conflict *and says so*, a lock on a
key that has no row yet, and a commit that does not wait for the disk.

The first two keep concurrent workers safe without savepoints: an INSERT that raised IntegrityError would
abort the whole PostgreSQL transaction, so the conflict is settled by the database instead.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_ignore(obj: Model) -> bool:
    """INSERT the row unless its primary key exists (ON CONFLICT DO NOTHING / INSERT OR IGNORE).

    Returns whether this call inserted it. On PostgreSQL a concurrent uncommitted insert of the same key
    makes this wait for that transaction, then report False once it committed.
    """
    model = type(obj)
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [field for field in model._meta.local_concrete_fields if not field.generated]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [obj])
    with connection.cursor() as cursor:
        for sql, params in query.get_compiler(using=using).as_sql():
            cursor.execute(sql, params)
        return cursor.rowcount == 1


def advisory_lock(key: str, using: str = "default") -> None:
    """Hold a lock on `key` until the current transaction ends (PostgreSQL; a no-op elsewhere).

    Used where the rows to lock may not exist yet, e.g. a customer's entitlement set.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return  # SQLite serialises writers itself; other backends are not supported for concurrent workers
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def commit_without_waiting_for_disk(using: str = "default") -> None:
    """Let the current transaction's COMMIT return before its WAL is flushed (PostgreSQL; a no-op elsewhere).

    Only for work that can be done again. A crash of the database (not of the client) may then lose the last
    such transactions, each whole and in commit order, never one that a later ordinary commit could depend
    on: that commit flushes the WAL before it, theirs included. Lasts until the transaction ends.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
