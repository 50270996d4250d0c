"""Index migrations that a large site can apply while it serves (docs/scaling.rst).

On PostgreSQL an index is built with ``CREATE INDEX CONCURRENTLY``: the table stays writable while
the index builds (minutes on a table of millions of rows), at the cost of a migration that cannot
run in a transaction (``atomic = False`` on the migration). Other databases build it the ordinary
way; MariaDB skips expression indexes, which it does not support (Django's own rule).

``TrigramIndexOnPostgres`` adds a ``pg_trgm`` GIN index over ``UPPER(column)``: the index Django's
``icontains``/``istartswith`` lookups (``UPPER(col) LIKE UPPER('%text%')``) can use on PostgreSQL.
It exists only on PostgreSQL and is kept out of the model state, so no other database ever tries to
build it (SQLite rebuilds a table's indexes from that state when it alters the table).

A GIN index queues new entries in a pending list until a vacuum or the list's limit (4 MB by default)
merges them, and every search reads the whole list. At a million learners, after the writes of one
benchmark run, the lists held 27 to 402 pages and the admin's user search took 2.3x its time at a
thousand learners; merged, 0.95x (docs/performance.rst). The trigram indexes keep at most
``TRIGRAM_PENDING_LIST_KB`` pending (``TrigramPendingListLimit`` sets it on existing indexes).
"""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    atomic = False

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)  # type: ignore[call-arg]

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)  # type: ignore[call-arg]


class PostgresOnlySQL(migrations.RunSQL):
    """SQL that runs on PostgreSQL only (and is no operation elsewhere)."""

    def database_forwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)


# PostgreSQL's smallest limit: a search reads at most 8 pages of entries not merged yet, and inserts still
# reach the index in batches.
TRIGRAM_PENDING_LIST_KB = 64


class TrigramIndexOnPostgres(PostgresOnlySQL):
    """``CREATE INDEX CONCURRENTLY name ON table USING gin (UPPER(column) gin_trgm_ops)``, PostgreSQL only,
    with a pending list of at most ``TRIGRAM_PENDING_LIST_KB``."""

    def __init__(self, *, table: str, column: str, name: str) -> None:
        super().__init__(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
                f'USING gin (UPPER("{column}") gin_trgm_ops) WITH (gin_pending_list_limit = {TRIGRAM_PENDING_LIST_KB})',
            ],
            reverse_sql=[f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'],
        )


class TrigramPendingListLimit(PostgresOnlySQL):
    """``ALTER INDEX name SET (gin_pending_list_limit = ...)`` on trigram indexes built before the limit:
    a brief lock on the index, no rebuild; entries already pending are merged by the next vacuum."""

    def __init__(self, *names: str) -> None:
        super().__init__(
            sql=[f'ALTER INDEX "{name}" SET (gin_pending_list_limit = {TRIGRAM_PENDING_LIST_KB})' for name in names],
            reverse_sql=[f'ALTER INDEX "{name}" RESET (gin_pending_list_limit)' for name in names],
        )


class AnalyzeOnPostgres(PostgresOnlySQL):
    """``ANALYZE table`` after adding expression indexes: until then PostgreSQL has no statistics for the
    expressions and guesses that ``UPPER(username) = '...'`` matches 0.5 % of the rows; measured at a
    million learners, it then walked the whole username index for a one-row search (3 s instead of 1 ms)."""

    def __init__(self, table: str) -> None:
        super().__init__(sql=[f'ANALYZE "{table}"'], reverse_sql=migrations.RunSQL.noop)
