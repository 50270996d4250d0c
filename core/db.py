"""Database helpers shared by the apps' services."""

import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import QuerySet
from django.db.models.expressions import Col
from django.db.models.options import Options

T = TypeVar("T")
K = TypeVar("K")

log = logging.getLogger(__name__)

# MySQL/MariaDB ER_LOCK_DEADLOCK; PostgreSQL deadlock_detected and serialization_failure.
_MYSQL_DEADLOCK = 1213
_POSTGRES_RETRYABLE = {"40P01", "40001"}


def chunked(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``: keeps SQL ``IN`` lists and bulk statements bounded."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_lock(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` locked for an update that changes no key column until the transaction ends.

    PostgreSQL: ``FOR NO KEY UPDATE``, which still excludes other lockers and writers of the rows but
    not the ``FOR KEY SHARE`` lock another transaction's foreign-key check takes on the rows its
    inserts reference (at its commit: Django's foreign keys are deferred). A batch of events
    inserting credentials of a run then does not wait for (nor deadlock with) another that locked
    that run or learner to update it. Other databases: ``FOR UPDATE``.
    """
    return queryset.select_for_update(no_key=connection.features.has_select_for_no_key_update)


def is_deadlock(exc: BaseException) -> bool:
    """True when the database aborted the transaction to break a deadlock: running it again is safe.

    MySQL and MariaDB roll back the *whole* transaction of the victim, so only the code that opened
    the outermost transaction can run it again; a savepoint inside it no longer exists.
    """
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _POSTGRES_RETRYABLE or getattr(cause, "pgcode", None) in _POSTGRES_RETRYABLE:
        return True
    return bool(exc.args) and exc.args[0] == _MYSQL_DEADLOCK


def retry_on_integrity_error(write: Callable[[], T], *, attempts: int = 3) -> T:
    """Run ``write`` in its own transaction, again when a concurrent writer won a unique-key race.

    ``write`` must read-then-write by natural key, so that a retry finds the row the winner made.
    When this call opens the outermost transaction it also runs ``write`` again after a deadlock
    (MySQL/MariaDB turn concurrent first inserts of one key into deadlocks, not IntegrityErrors);
    inside a caller's transaction a deadlock propagates to whoever opened it.
    """
    owns_transaction = not connection.in_atomic_block
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            log.info("write_integrity_retry", extra={"attempt": attempt + 1})
        except OperationalError as exc:
            if not (owns_transaction and is_deadlock(exc)) or attempt == attempts - 1:
                raise
            log.info("write_deadlock_retry", extra={"attempt": attempt + 1})
            # Jitter, so the transactions that deadlocked do not meet again in the same order.
            time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311
    raise AssertionError("unreachable")


def columns_read(
    sql: str, params: Sequence[Any], fields: "Sequence[models.Field[Any, Any] | None]"
) -> list[tuple[Any, ...]]:
    """The rows of a hand-written ``SELECT`` whose columns are these model fields, in this order, each value
    converted as the ORM converts it on this database (UUIDs from SQLite's text, aware datetimes, booleans
    from integers, decimals at their field's places). ``None`` for a computed column: its value as the
    database driver gives it.

    For hot reads whose filter Django takes longer to build than the database to run (issue 17):
    ``sql`` names tables and columns through ``quote_name`` and ``Field.column``; ``params`` go through
    the fields' ``get_db_prep_value``. ``tests/core/test_columns_read.py`` compares it with ``values_list``.
    """
    return rows_converted(rows_fetched(sql, params), fields)


def rows_fetched(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of a hand-written statement as the database driver gives them (``columns_read`` converts them)."""
    with connection.cursor() as cursor:
        if vendor() == "postgresql":
            _compiled_timestamptz_loader(cursor.cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Rows as tuples in a list, as most drivers give them already (MySQLdb's list is a tuple): a program status
    # reads 3,000 rows, and copying each cost 0.2 ms (issue 17).
    if rows and type(rows[0]) is not tuple:
        return [tuple(row) for row in rows]
    return rows if type(rows) is list else list(rows)


def _compiled_timestamptz_loader(cursor: Any) -> None:
    """psycopg's own ``timestamptz`` loader on this cursor, in place of Django's.

    Django registers a subclass of psycopg's Python loader on every connection, only to set the aware
    value's ``tzinfo`` to the connection's zone; being Python, it stops psycopg from using its compiled
    loader: about 4.5 us per value against 0.5 us, and a program status reads its runs' dates at every
    request (issue 17: an eighth of the request's CPU over HTTP). psycopg's loader gives the same aware
    instant in the session's zone, which Django sets to the connection's (UTC unless ``TIME_ZONE`` is
    set for the database). Only hand-written reads use it; ``tests/core/test_columns_read.py`` compares
    what they read with the ORM's ``values_list``.
    """
    from psycopg.types.datetime import TimestamptzLoader

    cursor.adapters.register_loader("timestamptz", TimestamptzLoader)


def rows_converted(
    rows: Iterable[tuple[Any, ...]], fields: "Sequence[models.Field[Any, Any] | None]"
) -> list[tuple[Any, ...]]:
    """Driver ``rows`` of a statement whose columns are these fields, converted as ``columns_read`` says."""
    convert = _rows_converter(vendor(), tuple(fields))
    return list(rows) if convert is None else convert(rows)


@lru_cache(maxsize=256)
def _rows_converter(
    vendor: str, fields: "tuple[models.Field[Any, Any] | None, ...]"
) -> Callable[[Iterable[tuple[Any, ...]]], list[tuple[Any, ...]]] | None:
    """One generated function converting rows of these fields on this database, ``None`` when no column
    needs converting: a loop over the columns and their converters per row cost as much as the
    conversions themselves on a program's hundreds of records (issue 17), and a call per row a tenth.
    A boolean the driver already gave as one (SQLite's declared ``bool``) is kept without a call when the
    backend's converter is the only one: it gives a boolean back as it is (a field's own ``from_db_value``
    is always called)."""
    namespace: dict[str, Any] = {"connection": connection}
    values = []
    for position, field in enumerate(fields):
        value = f"row[{position}]"
        if field is not None:
            column = Col(field.model._meta.db_table, field)
            namespace[f"column_{position}"] = column
            of_field = column.get_db_converters(connection)  # the field's own ``from_db_value``
            found = connection.ops.get_db_converters(column) + of_field
            if vendor == "sqlite" and isinstance(field, models.DecimalField) and len(found) == 1:
                namespace[f"convert_{position}_0"] = _per_value(found[0], column)
                values.append(f"convert_{position}_0({value})")
                continue
            for index, function in enumerate(found):
                namespace[f"convert_{position}_{index}"] = function
                value = f"convert_{position}_{index}({value}, column_{position}, connection)"
            if isinstance(field, models.BooleanField) and len(found) == 1 and not of_field:  # the backend's alone
                value = f"(row[{position}] if row[{position}].__class__ is bool else {value})"
        values.append(value)
    if all(value.startswith("row[") for value in values):
        return None
    source = f"def convert(rows):\n    return [({', '.join(values)},) for row in rows]\n"
    exec(compile(source, "<rows converter>", "exec"), namespace)  # noqa: S102
    return namespace["convert"]  # type: ignore[no-any-return]


def _per_value(convert: Callable[[Any, Any, Any], Any], column: Col) -> Callable[[Any], Any]:
    """SQLite's decimal converter remembered per stored value. SQLite keeps a decimal as a float, and Django
    makes each one a ``Decimal`` quantized to the field's places in Python (1 us): a learner's 500 grades,
    a few distinct values, were 0.5 ms of a 100-course program status (issue 17). Typed: an integer and a
    float of one value are separate entries (they give equal decimals)."""
    return lru_cache(maxsize=1024, typed=True)(lambda value: convert(value, column, connection))


def in_list(
    column: str, values: Collection[Any], field: "models.Field[Any, Any] | None" = None
) -> tuple[str, list[Any]]:
    """``column IN (%s, ...)`` and its parameters (prepared by ``field`` when given); ``values`` not empty."""
    params = [field.get_db_prep_value(value, connection) for value in values] if field is not None else list(values)
    return f"{column} IN ({', '.join(['%s'] * len(params))})", params


def any_in(conditions: "Iterable[tuple[str, Collection[Any], models.Field[Any, Any] | None]]") -> tuple[str, list[Any]]:
    """``(a IN (...) OR b IN (...))`` of the ``(column, values, field)`` conditions whose values are not
    empty, and its parameters; ``("", [])`` when every list is empty (nothing can match)."""
    parts, params = [], []
    for column, values, field in conditions:
        if values:
            sql, values_params = in_list(column, values, field)
            parts.append(sql)
            params += values_params
    return (f"({' OR '.join(parts)})", params) if parts else ("", [])


class BuiltFromRows(Generic[K, T]):
    """Values built from a hot read's driver rows, remembered while those rows stay the same.

    Some reads return the same rows at nearly every request (a program's courses and runs, at every
    learner's program status) and cost more in Python to convert and assemble than in the database to
    find (issue 17). Here the rows are still fetched at every request, then compared with the rows the
    remembered value was built from: equal rows give the same value, built once; any difference builds
    it again. Whatever wrote the rows (the ORM, a bulk statement, another process), the next read sees
    it: there is nothing to invalidate. ``build`` must depend on the rows alone, and callers must not
    change what it returns. At most ``size`` keys, the least recently built dropped first; one per
    process (a gunicorn worker's threads share it).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._built: dict[K, tuple[object, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, rows: object, build: Callable[[], T]) -> T:
        """The value ``build()`` gives for these ``rows`` of ``key``: remembered, or built now."""
        remembered = self._built.get(key)
        if remembered is not None and remembered[0] == rows:
            return remembered[1]
        value = build()
        with self._lock:
            self._built.pop(key, None)
            self._built[key] = (rows, value)
            while len(self._built) > self._size:
                del self._built[next(iter(self._built))]
        return value


@dataclass(frozen=True)
class Table:
    """A model's table as a hand-written statement names it (``columns_read``): the quoted table, its
    qualified quoted columns and the fields behind them. Only identifiers from the model's metadata go
    into the statement's text; every value is a parameter."""

    meta: "Options[Any]"

    @property
    def table(self) -> str:
        return _quoted(vendor(), self.meta.db_table)

    def field(self, name: str) -> "models.Field[Any, Any]":
        return self.meta.get_field(name)  # type: ignore[return-value]

    def column(self, name: str) -> str:
        return _quoted_column(vendor(), self.meta, name)

    def select(self, *names: str) -> str:
        return ", ".join(self.column(name) for name in names)

    def select_as_stored(self, *names: str) -> str:
        """``select`` for rows compared as read and converted only when they differ (``BuiltFromRows``). On
        SQLite each column goes through unary ``+``, a no-op on its value that leaves it without a declared
        type, so the driver gives a date's or a time's stored text where Django's ``PARSE_DECLTYPES``
        converters parse it in Python at every fetch (1,000 run starts at every 100-course program status,
        1.2% of its instructions, issue 17). ``rows_converted`` converts that text as the ORM would."""
        if vendor() != "sqlite":
            return self.select(*names)
        return ", ".join(f"+{self.column(name)}" for name in names)

    def fields(self, *names: str) -> "list[models.Field[Any, Any]]":
        return [self.field(name) for name in names]


@cache
def vendor() -> str:
    """The database's vendor (``connection.vendor``), read once: the service uses one database, set at start,
    and every read of the attribute went through Django's connection proxy and thread-local handler
    (a tenth of a microsecond's work behind two microseconds of lookups, tens of times per request)."""
    return connection.vendor  # type: ignore[no-any-return]


@lru_cache(maxsize=1024)
def _quoted_column(vendor: str, meta: "Options[Any]", name: str) -> str:
    field: models.Field[Any, Any] = meta.get_field(name)  # type: ignore[assignment]
    return _quoted(vendor, meta.db_table, field.column or name)


@lru_cache(maxsize=1024)
def _quoted(vendor: str, *names: str) -> str:
    """``names`` quoted for ``vendor``'s database and joined by dots; remembered, since a hot statement names
    the same columns at every request (quoting each was a tenth of a status read, issue 17)."""
    return ".".join(connection.ops.quote_name(name) for name in names)
