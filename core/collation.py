"""Identifiers compare exactly on every database.

PostgreSQL (deterministic collations) and SQLite (``BINARY``) compare text exactly. MySQL and MariaDB
compare by the column's collation, ``utf8mb4_general_ci`` by default, under which ``SAM``, ``sam ``
and ``sám`` equal ``sam``: one learner's token would read and overwrite another's row, and a run key
in another case would update the real run. There, every *identifier column* (see
``identifier_fields``) gets a binary collation without PAD SPACE: ``utf8mb4_nopad_bin`` on MariaDB
(its ``utf8mb4_bin`` still pads, so ``'sam' = 'sam '`` and a unique index refuses the second),
``utf8mb4_0900_bin`` on MySQL 8. Elsewhere nothing is done.

Each app's ``NNNN_identifier_binary_collation`` migration applies the rule to its columns, and
``post_migrate`` applies it again after every ``migrate`` (and test-database flush), so a column
added later, or reset to the table default by a later ``AlterField`` (Django's MySQL ``MODIFY``
names no collation), is corrected too. See docs/decisions/0003-learner-identity.rst.
"""

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connections, migrations, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models.lookups import IContains, IEndsWith, IExact, IStartsWith

log = logging.getLogger(__name__)

_TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}


def identifier_collation(connection: BaseDatabaseWrapper) -> str | None:
    """The collation identifier columns take on this connection's database; ``None`` where text compares exactly."""
    if connection.vendor != "mysql":
        return None
    return "utf8mb4_nopad_bin" if connection.mysql_is_mariadb else "utf8mb4_0900_bin"  # type: ignore[attr-defined]


def identifier_fields(model: type[models.Model]) -> list[models.Field]:
    """The model's identifier fields: what the database compares to find or keep apart rows.

    Every concrete field that is a primary key, unique, indexed, or part of a unique constraint,
    ``unique_together`` or an index -- except fields with ``choices``, whose values the application
    fixes. Text columns among them get the binary collation (non-text ones are left as they are).
    """
    opts = model._meta
    named: set[str] = set()
    for constraint in opts.constraints:
        named.update(getattr(constraint, "fields", ()) or ())
    for index in opts.indexes:
        named.update(name.lstrip("-") for name in index.fields)
    for together in opts.unique_together:
        named.update(together)
    return [
        field
        for field in opts.local_concrete_fields
        if field.column
        and not field.choices
        and (field.primary_key or field.unique or getattr(field, "db_index", False) or field.name in named)
    ]


def identifier_collation_apply(
    *, connection: BaseDatabaseWrapper, model_classes: Iterable[type[models.Model]], execute: Any = None
) -> list[str]:
    """Give every text identifier column of ``model_classes`` the identifier collation; no-op off MySQL/MariaDB.

    Reads the columns' current definitions from ``information_schema`` (one query) and alters only
    those in another collation, one ``ALTER TABLE`` per table, keeping type and nullability. Idempotent.
    Returns the ``table.column`` names it altered. ``execute`` runs the DDL (a schema editor's
    ``execute`` inside a migration); by default a cursor of ``connection``.
    """
    collation = identifier_collation(connection)
    if collation is None:
        return []
    wanted: dict[str, set[str]] = {}
    for model in model_classes:
        if model._meta.managed and not model._meta.proxy:
            names = {field.column for field in identifier_fields(model) if field.column}
            if names:
                wanted.setdefault(model._meta.db_table, set()).update(names)
    if not wanted:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME, COLUMN_DEFAULT"
            " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        )
        rows = cursor.fetchall()
    changes: dict[str, list[tuple[str, str]]] = {}  # table -> (column, MODIFY clause)
    quote = connection.ops.quote_name
    for table, column, data_type, column_type, nullable, current, default in rows:
        if column not in wanted.get(table, ()) or data_type.lower() not in _TEXT_TYPES or current == collation:
            continue
        if default is not None and str(default).upper() != "NULL":
            # MODIFY would drop it; no identifier column has one today, and a silent change is worse.
            raise RuntimeError(f"{table}.{column} has a database default; give it {collation} by hand.")
        null_sql = "NULL" if nullable == "YES" else "NOT NULL"
        changes.setdefault(table, []).append(
            (column, f"MODIFY {quote(column)} {column_type} CHARACTER SET utf8mb4 COLLATE {collation} {null_sql}")
        )
    altered: list[str] = []
    for table, table_changes in sorted(changes.items()):
        sql = f"ALTER TABLE {quote(table)} {', '.join(clause for _, clause in table_changes)}"
        if execute is not None:
            execute(sql)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        altered.extend(f"{table}.{name}" for name, _ in table_changes)
    if altered:
        log.info("identifier_collation_applied", extra={"collation": collation, "columns": altered})
    return altered


def identifier_collation_operation(app_label: str) -> migrations.RunPython:
    """The migration operation giving ``app_label``'s identifier columns the identifier collation.

    A no-op on PostgreSQL and SQLite. Reversing it keeps the binary collation: going back to a
    case-insensitive one could merge rows that are now distinct.
    """

    def forward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        identifier_collation_apply(
            connection=schema_editor.connection,
            model_classes=apps.get_app_config(app_label).get_models(),
            execute=schema_editor.execute,
        )

    # atomic=False: DDL cannot run inside a transaction on MySQL/MariaDB (and the schema editor refuses it).
    return migrations.RunPython(forward, migrations.RunPython.noop, atomic=False, elidable=False)


def project_models() -> list[type[models.Model]]:
    """The models of this project's own apps (the packages next to ``manage.py``), not of libraries."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        model
        for app_config in global_apps.get_app_configs()
        if Path(app_config.path).resolve().parent == base
        for model in app_config.get_models()
    ]


def identifier_collation_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: identifier columns added or reset since their migration get the collation."""
    identifier_collation_apply(connection=connections[using], model_classes=project_models())


class _LowerOnMySQL:
    """A case-insensitive lookup that stays case-insensitive on a binary-collated MySQL/MariaDB column.

    Django's MySQL backend leaves ``iexact``/``icontains``/... to the column's collation (``LIKE %s``);
    under a binary one they would match case-sensitively. Here both sides are lower-cased, which
    matches PostgreSQL's ``UPPER(...) LIKE UPPER(...)``: case-insensitive, accent-sensitive.
    """

    def as_mysql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs_sql, params = self.process_lhs(compiler, connection)  # type: ignore[attr-defined]
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)  # type: ignore[attr-defined]
        params.extend(rhs_params)
        rhs_op = self.get_rhs_op(connection, f"LOWER({rhs_sql})")  # type: ignore[attr-defined]
        return f"LOWER({lhs_sql}) {rhs_op}", params


class _IExact(_LowerOnMySQL, IExact):
    pass


class _IContains(_LowerOnMySQL, IContains):
    pass


class _IStartsWith(_LowerOnMySQL, IStartsWith):
    pass


class _IEndsWith(_LowerOnMySQL, IEndsWith):
    pass


def case_insensitive_lookups_register() -> None:
    """Make ``iexact``, ``icontains``, ``istartswith`` and ``iendswith`` on text fields fold case on MySQL too."""
    for field_class in (models.CharField, models.TextField):
        for lookup in (_IExact, _IContains, _IStartsWith, _IEndsWith):
            field_class.register_lookup(lookup)
