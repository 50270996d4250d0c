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
from typing import Any, TypeVar

from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from simple_history import utils as history_utils
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

HISTORY_SOURCE_MAX_LENGTH = 255

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

    For writers that bulk-insert with ``ignore_conflicts`` or upserts, or delete in bulk, and hold the
    rows (with their pks): one ``INSERT`` per 1,000 history rows, with the current source and user.
    A bulk delete records its rows with ``-`` first, then deletes without per-row signals
    (``history_bulk_delete``).
    """
    rows = [obj for obj in objs if obj.pk is not None]
    if not rows:
        return
    historical = history_utils.get_history_manager_for_model(model).model
    user = current_history_user()
    source = current_history_source()
    now = timezone.now()
    historical.objects.bulk_create(
        [
            historical(
                history_date=now,
                history_user=user,
                history_type=history_type,
                history_source=source,
                **{field.attname: getattr(row, field.attname) for field in historical.tracked_fields},
            )
            for row in rows
        ],
        batch_size=1000,
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
    """``history_bulk_record`` for rows named by pk (read back in chunks): after an upsert or a queryset update."""
    ordered = sorted(pks)
    for start in range(0, len(ordered), 1000):
        rows = list(model._base_manager.filter(pk__in=ordered[start : start + 1000]))
        history_bulk_record(rows, model, history_type=history_type)


def has_history(model: type[models.Model]) -> bool:
    """Whether ``model`` declares ``historical_records()``."""
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None
