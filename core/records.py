"""The newer-wins rule every writer of a learner record applies (docs/decisions/0011).

``change_is_stale`` is the rule over plain values: the one-record services call it with the stored
record's ``source_time`` and the time of the change they are asked to apply. ``record_changes_apply``
is the same rule for many changes at once (the event consumer's batches): a few statements for all
of them, one history row per applied change, as the one-record writers leave.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import Q

from core.db import Table, chunked, columns_read, rows_lock
from core.history import history_snapshot, history_snapshots_insert

M = TypeVar("M", bound=models.Model)

_CHUNK = 500
# Set by the writer itself: never copied from a change, never updated on a stored row.
_KEY_FIELDS = frozenset({"id", "created", "learner", "course_run"})


def change_is_stale(*, stored_time: datetime | None, incoming_time: datetime) -> bool:
    """True when the stored state was made by a strictly later change than the incoming one.

    A record with no stored time (written before times were kept) takes any change; a change
    made at the same moment as the stored one is applied (the later arrival wins a tie).
    """
    return stored_time is not None and incoming_time < stored_time


@dataclass(frozen=True)
class RecordChange:
    """One change to a learner record kept once per (learner, course run), for ``record_changes_apply``.

    ``values``: the fields it sets (``source_time`` is ``changed_at``); ``history_source``: what its
    history row names as the change's source; ``needs_existing``: the change applies only to a record
    that exists already (stored, or made by an earlier change of the same call), e.g. a revocation.
    """

    learner: Any  # core.models.User
    course_run: Any  # a stored run: its ``id`` and ``key`` (programs.api.RunIdentity)
    changed_at: datetime
    values: Mapping[str, Any]
    history_source: str = ""
    needs_existing: bool = False

    @property
    def key(self) -> tuple[int, int]:
        return self.learner.pk, self.course_run.id


def record_changes_apply(
    model: type[M], changes: Sequence[RecordChange], *, before_change: Callable[[M, RecordChange], None] | None = None
) -> list[bool | None]:
    """Apply ``changes``, in order, to ``model``'s records (unique per learner and run, ``SourcedRecord``).

    Each change sees the record as the changes before it left it, as one-record writes in that order
    would: an older change than the record's ``source_time`` is stale and changes nothing.
    ``before_change(row, change)`` runs before an applying change's values are set (e.g. to stamp
    the time a status moved). One result per change: ``True`` applied, ``False`` stale, ``None`` a
    ``needs_existing`` change that found no record.

    The stored records are locked (``core.db.rows_lock``, in primary-key order), then written with
    one insert of the new rows and one ``INSERT ... ON CONFLICT (id) DO UPDATE`` of the stored ones
    per 500 rows, and one history row per applied change (with its own ``history_source``) inserted
    in bulk. Must run inside a transaction. A
    record a concurrent writer inserts meanwhile fails the insert with ``IntegrityError``: the
    caller runs the changes again, and then finds it.
    """
    if not changes:
        return []
    rows = _records_lock(model, {change.key for change in changes})
    created: dict[tuple[int, int], M] = {}
    updated: dict[tuple[int, int], M] = {}
    snapshots: list[tuple[M, str, str, dict[str, Any]]] = []
    results: list[bool | None] = []
    for change in changes:
        row = rows.get(change.key)
        if row is None:
            if change.needs_existing:
                results.append(None)
                continue
            row = created[change.key] = rows[change.key] = model(
                learner=change.learner, course_run_id=change.course_run.id
            )
            history_type = "+"
        elif change_is_stale(stored_time=row.source_time, incoming_time=change.changed_at):  # type: ignore[attr-defined]
            results.append(False)
            continue
        else:
            history_type = "~"
            if change.key not in created:
                updated[change.key] = row
        if before_change is not None:
            before_change(row, change)
        for name, value in change.values.items():
            setattr(row, name, value)
        row.source_time = change.changed_at  # type: ignore[attr-defined]
        snapshots.append((row, history_type, change.history_source, history_snapshot(row)))
        results.append(True)
    _rows_write(model, created, updated)
    history_snapshots_insert(model, snapshots)
    return results


def _records_lock(model: type[M], keys: set[tuple[int, int]]) -> dict[tuple[int, int], M]:
    """The stored records of these (learner id, run id) keys, locked in primary-key order."""
    found: dict[tuple[int, int], M] = {}
    for batch in chunked(sorted(keys), _CHUNK):
        # Only these pairs: learners' other runs are not read (nor locked).
        learners_by_run: dict[int, list[int]] = {}
        for learner, run in batch:
            learners_by_run.setdefault(run, []).append(learner)
        wanted = Q()
        for run, learners in learners_by_run.items():
            wanted |= Q(course_run_id=run, learner_id__in=learners)
        for row in rows_lock(model._default_manager.filter(wanted)).order_by("pk"):
            found[(row.learner_id, row.course_run_id)] = row  # type: ignore[attr-defined]
    return found


def _rows_write(model: type[M], created: dict[tuple[int, int], M], updated: dict[tuple[int, int], M]) -> None:
    if updated:
        # Stored rows (locked) written back with one INSERT ... ON CONFLICT (id) DO UPDATE per 500 (MySQL:
        # ON DUPLICATE KEY UPDATE): Django's bulk_update builds a CASE expression per row and field,
        # which cost more than the rest of a batch's writes together.
        rows = list(updated.values())
        created_at = [row.created for row in rows]  # type: ignore[attr-defined]
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if not field.primary_key and field.name not in _KEY_FIELDS
        ]
        with_target = connection.features.supports_update_conflicts_with_target
        model._default_manager.bulk_create(
            rows,
            batch_size=_CHUNK,
            update_conflicts=True,
            update_fields=fields,  # modified included: set by auto_now
            unique_fields=[model._meta.pk.name] if with_target else None,
        )
        for row, when in zip(rows, created_at, strict=True):
            row.created = when  # type: ignore[attr-defined]  # stamped by the insert, kept by the update
    if created:
        model._default_manager.bulk_create(list(created.values()), batch_size=_CHUNK)
        missing = {key: row for key, row in created.items() if row.pk is None}
        if missing:  # MySQL/MariaDB return no ids from a bulk insert: read them back
            for batch in chunked(sorted(missing), _CHUNK):
                stored = model._default_manager.filter(
                    learner_id__in={learner for learner, _ in batch}, course_run_id__in={run for _, run in batch}
                ).values_list("pk", "learner_id", "course_run_id")
                for pk, learner, run in stored:
                    if (learner, run) in missing:
                        missing[(learner, run)].pk = pk


@dataclass(frozen=True)
class RecordRow:
    """One of a learner's records (a ``SourcedRecord``) or one of its history rows, as read for support.

    ``values``: the record's own fields that were asked for; ``at`` and ``history_type``: the history
    row's time and ``+``/``~``/``-`` (``None`` and ``""`` for a record as stored now).
    """

    course_run_id: int | None
    course_run_key: str
    values: Mapping[str, Any]
    source: str
    source_time: datetime | None = None
    changed_by: str = ""
    at: datetime | None = None
    history_type: str = ""


def learner_columns_read(model: type[models.Model], names: Sequence[str], *, learner_id: int) -> list[tuple[Any, ...]]:
    """These columns of all the learner's records of ``model``: one hand-written statement on the learner's
    index (``core.db.columns_read``), read at every program status (issue 17). A learner usually holds
    records in a few runs, a program has hundreds: reading them all costs less than restricting them to the
    program's runs, which PostgreSQL had to plan as a join at every request (1.1-1.3 ms against 0.4)."""
    table = _tables(model)
    sql = f"SELECT {table.select(*names)} FROM {table.table} WHERE {table.column('learner')} = %s"  # noqa: S608
    return columns_read(sql, [learner_id], table.fields(*names))


@cache
def _tables(model: type[models.Model]) -> Table:
    return Table(model._meta)


def learner_record_rows(model: type[models.Model], *, learner_id: int, fields: Sequence[str]) -> list[RecordRow]:
    """The learner's records of ``model`` with their provenance and ``fields``: one query."""
    rows = model._default_manager.filter(learner_id=learner_id).values(  # type: ignore[misc]
        "course_run_id", "course_run__key", "source", "source_time", "changed_by", *fields
    )
    return [
        RecordRow(
            course_run_id=row["course_run_id"],
            course_run_key=row["course_run__key"],
            values={name: row[name] for name in fields},
            source=row["source"],
            source_time=row["source_time"],
            changed_by=row["changed_by"],
        )
        for row in rows
    ]


def learner_history_rows(
    model: type[models.Model], *, learner_id: int, fields: Sequence[str], limit: int
) -> list[RecordRow]:
    """The learner's first ``limit`` history rows of ``model``, oldest first, with ``fields``: one query.

    ``source`` is the history row's ``history_source`` (core.history); a run no longer stored has
    the key ``""``.
    """
    history = model.history.filter(learner_id=learner_id)  # type: ignore[attr-defined]
    rows = history.order_by("history_date", "history_id")[:limit].values(
        "course_run_id", "course_run__key", "history_source", "history_date", "history_type", *fields
    )
    return [
        RecordRow(
            course_run_id=row["course_run_id"],
            course_run_key=row["course_run__key"] or "",
            values={name: row[name] for name in fields},
            source=row["history_source"],
            at=row["history_date"],
            history_type=row["history_type"],
        )
        for row in rows
    ]
