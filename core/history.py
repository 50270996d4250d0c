"""Who changed a record, and through what: the ``source`` of every history row.

Models with history declare ``history = historical_records()``; every row django-simple-history writes
for them then carries ``history_source``, a short label naming what made the change:

- a writer that knows its context names it: ``with history_source("Discovery sync #42"):`` (the program
  sync), ``history_source(f"event {event_id}")`` (event consumption), ``history_source("backfill")``;
- otherwise an HTTP request names itself: ``API <username>`` for the REST API, ``admin <username>`` for
  the Django admin (``simple_history.middleware.HistoryRequestMiddleware`` keeps the request);
- otherwise (a shell, a management command that names nothing) the label is empty.

Bulk writers use ``bulk_create_with_history`` / ``bulk_update_with_history`` from here, which add the
same source and user to the rows they write in bulk.
"""

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router
from django.dispatch import receiver
from django.utils import timezone
from simple_history import utils as history_utils
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

HISTORY_SOURCE_MAX_LENGTH = 255
# Fields of a tracked row a history snapshot leaves out: the database sets them when the row is inserted.
_SET_ON_INSERT = frozenset({"id", "created"})

_source: ContextVar[str | None] = ContextVar("history_source", default=None)

M = TypeVar("M", bound=models.Model)


@contextmanager
def history_source(label: str) -> Iterator[None]:
    """Every history row written inside the block names ``label`` as its source (nested blocks win)."""
    token = _source.set(label[:HISTORY_SOURCE_MAX_LENGTH])
    try:
        yield
    finally:
        _source.reset(token)


def _request() -> Any:
    return getattr(HistoricalRecords.context, "request", None)


def current_history_user() -> Any:
    """The authenticated user of the current request, else ``None``."""
    request = _request()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def current_history_source() -> str:
    """The source label a history row written now records (see the module docstring)."""
    explicit = _source.get()
    if explicit:
        return explicit
    request = _request()
    if request is None:
        return ""
    user = current_history_user()
    who = user.get_username() if user is not None else "anonymous"
    where = "admin" if request.path.startswith("/admin/") else "API"
    return f"{where} {who}"[:HISTORY_SOURCE_MAX_LENGTH]


class HistorySourceModel(models.Model):
    """The field every historical model adds to django-simple-history's own."""

    history_source = models.CharField(
        max_length=HISTORY_SOURCE_MAX_LENGTH,
        blank=True,
        default="",
        help_text="What made the change: a sync run, an event, a backfill, the API or admin user.",
    )

    class Meta:
        abstract = True


def historical_records(**kwargs: Any) -> HistoricalRecords:
    """``HistoricalRecords`` whose rows carry ``history_source``; ``modified`` is not copied (the row has a date)."""
    kwargs.setdefault("bases", [HistorySourceModel])
    kwargs.setdefault("excluded_fields", ["modified"])
    return HistoricalRecords(**kwargs)


@receiver(pre_create_historical_record)
def _history_source_fill(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    if hasattr(history_instance, "history_source") and not history_instance.history_source:
        history_instance.history_source = current_history_source()


def _bulk_context() -> dict[str, Any]:
    return {
        "default_user": current_history_user(),
        "custom_historical_attrs": {"history_source": current_history_source()},
    }


def bulk_create_with_history(objs: Sequence[M], model: type[M], **kwargs: Any) -> list[M]:
    """``Model.objects.bulk_create`` that also writes one history row per object, with the current source."""
    for key, value in _bulk_context().items():
        kwargs.setdefault(key, value)
    return history_utils.bulk_create_with_history(objs, model, **kwargs)


def bulk_update_with_history(objs: Sequence[M], model: type[M], fields: Sequence[str], **kwargs: Any) -> int:
    """``Model.objects.bulk_update`` that also writes one history row per object, with the current source."""
    for key, value in _bulk_context().items():
        kwargs.setdefault(key, value)
    return history_utils.bulk_update_with_history(objs, model, list(fields), **kwargs)


def history_bulk_record(objs: Sequence[models.Model], model: type[models.Model], *, history_type: str = "+") -> None:
    """History rows of type ``history_type`` (``+`` created, ``~`` changed, ``-`` deleted) for rows written in bulk.

    The rows are copied by the database as they are stored now (``history_record_pks``): call it after
    the rows are written, or before they are deleted. Objects without a pk are skipped.
    """
    history_record_pks(model, [obj.pk for obj in objs if obj.pk is not None], history_type=history_type)


def history_snapshot(row: models.Model) -> dict[str, Any]:
    """The values of ``row`` a history row copies, as they are now (without its ``id`` and ``created``,
    which a row inserted later gets then): taken by a bulk writer after each change it applies."""
    return {name: getattr(row, name) for name in _snapshot_attnames(type(row))}


@cache
def _historical_model(model: type[models.Model]) -> Any:
    # The manager django-simple-history returns is a class built on each access: look it up once.
    return history_utils.get_history_manager_for_model(model).model


@cache
def _snapshot_attnames(model: type[models.Model]) -> tuple[str, ...]:
    tracked = _historical_model(model).tracked_fields
    return tuple(field.attname for field in tracked if field.name not in _SET_ON_INSERT)


def history_snapshots_insert(
    model: type[models.Model], entries: Sequence[tuple[Any, str, str, dict[str, Any]]]
) -> None:
    """One history row per ``(row, history type, source label, history_snapshot(row))``, in order.

    For bulk writers that apply several changes to one row in one call: each change keeps its own
    state and its own source (``history_record_pks`` copies only the rows' final state, under the
    current source). The rows must be written (have their pk) when this runs.
    """
    if not entries:
        return
    historical = _historical_model(model)
    now = timezone.now()
    user = current_history_user()
    historical._default_manager.bulk_create(
        [
            historical(
                id=row.pk,
                created=row.created,
                history_date=now,
                history_type=history_type,
                history_user=user,
                history_source=source[:HISTORY_SOURCE_MAX_LENGTH],
                **values,
            )
            for row, history_type, source, values in entries
        ],
        batch_size=500,
    )


def history_bulk_delete(queryset: models.QuerySet[Any]) -> int:
    """Delete the queryset's rows, recording each with a ``-`` history row, in a few statements.

    ``QuerySet.delete()`` would write one history row per object through ``post_delete``. The rows
    must have no dependent rows to cascade to. Returns the number of rows deleted.
    """
    rows = list(queryset)
    if not rows:
        return 0
    history_bulk_record(rows, queryset.model, history_type="-")
    pks = [row.pk for row in rows]
    deleted = 0
    for start in range(0, len(pks), 1000):
        deleted += queryset.model._base_manager.filter(pk__in=pks[start : start + 1000])._raw_delete(queryset.db)
    return deleted


def history_record_pks(model: type[models.Model], pks: Collection[Any], *, history_type: str = "~") -> None:
    """History rows for the stored rows with these pks, with the current source and user.

    One ``INSERT INTO <history> ... SELECT ... FROM <table> WHERE pk IN (...)`` per 500 rows: the
    database copies the rows, so a bulk writer pays no Python work per history row and needs no ids
    beyond the pks. Call it after a bulk insert or update, or before a bulk delete (``-``).
    """
    if not pks:
        return
    historical = history_utils.get_history_manager_for_model(model).model
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = list(historical.tracked_fields)
    columns = [field.column for field in fields]
    columns += ["history_date", "history_type", "history_user_id", "history_source", "history_change_reason"]
    source_columns = ", ".join(quote(_column(model, field.name)) for field in fields)
    user = current_history_user()
    constants = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        history_type,
        user.pk if user is not None else None,
        current_history_source(),
    ]
    ordered = sorted(pks)
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            # Table and column names come from the models' metadata (quoted); every value is a parameter.
            sql = (
                f"INSERT INTO {quote(historical._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                f"SELECT {source_columns}, %s, %s, %s, %s, NULL FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(_column(model, model._meta.pk.name))} IN ({', '.join(['%s'] * len(chunk))})"
            )
            cursor.execute(sql, [*constants, *chunk])


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, name  # a concrete field
    return field.column


def has_history(model: type[models.Model]) -> bool:
    """Whether ``model`` declares ``historical_records()``."""
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None
