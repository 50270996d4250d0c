"""core.db.columns_read gives what the ORM's values_list gives, on every database CI runs (issue 17).

The learner status reads are hand-written statements; their values must still be what the ORM would
return: UUIDs (text on SQLite, native on PostgreSQL and MariaDB), aware datetimes and missing ones,
decimals at their field's places, booleans stored as integers, and text as stored.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, models

from core.db import Table, columns_read, in_list, rows_converted, rows_fetched
from credentials_status.models import CourseRunCredential, Grade
from programs.models import CourseRun
from tests.factories import CourseRunFactory, CredentialFactory, GradeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _select(model, names, where_column, values, field=None):
    table = connection.ops.quote_name(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    condition, params = in_list(f"{table}.{connection.ops.quote_name(where_column)}", values, field)
    return columns_read(f"SELECT {columns} FROM {table} WHERE {condition} ORDER BY {table}.id", params, fields)  # noqa: S608


def test_credentials_read_as_the_orm_reads_them():
    learner = UserFactory()
    available = datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    CredentialFactory(learner=learner, certificate_available_date=available, type="professional")
    CredentialFactory(learner=learner, certificate_available_date=None, status="revoked")
    names = ["id", "learner", "course_run", "status", "type", "certificate_available_date", "created"]

    rows = _select(CourseRunCredential, names, "learner_id", [learner.pk])

    expected = (
        CourseRunCredential.objects.filter(learner=learner)
        .order_by("id")
        .values_list("id", "learner_id", "course_run_id", "status", "type", "certificate_available_date", "created")
    )
    assert rows == list(expected)
    assert rows[0][5] == available and rows[0][5].tzinfo is not None and rows[1][5] is None


def test_grades_read_as_the_orm_reads_them():
    learner = UserFactory()
    # Values repeated: SQLite's decimals are converted once per stored value (core.db._per_value).
    percents = ["0.9", "1", "0.0001", "0.9", "1", "0.25"]
    for index, percent in enumerate(percents):
        GradeFactory(learner=learner, percent_grade=Decimal(percent), verified=index % 2 == 0, letter_grade="Pass ✓")

    def read() -> list[tuple]:
        return _select(Grade, ["learner", "percent_grade", "letter_grade", "verified"], "learner_id", [learner.pk])

    rows = read()
    expected = Grade.objects.filter(learner=learner).order_by("id")
    assert rows == list(expected.values_list("learner_id", "percent_grade", "letter_grade", "verified"))
    assert [str(row[1]) for row in rows] == ["0.9000", "1.0000", "0.0001", "0.9000", "1.0000", "0.2500"]
    assert [row[3] for row in rows] == [True, False, True, False, True, False]
    assert {type(row[3]) for row in rows} == {bool}, "booleans, not the integers a database stores"
    assert read() == rows


def test_uuids_go_in_and_come_out_as_the_orm_takes_and_gives_them():
    runs = [CourseRunFactory() for _ in range(3)]
    uuid_field = runs[0]._meta.get_field("uuid")
    model = type(runs[0])

    rows = _select(model, ["uuid", "key"], "uuid", [runs[0].uuid, runs[2].uuid], uuid_field)

    assert rows == [(runs[0].uuid, runs[0].key), (runs[2].uuid, runs[2].key)]


def test_columns_selected_as_stored_convert_as_the_orm_reads_them():
    """``Table.select_as_stored`` (rows compared raw, converted when they change): on SQLite the driver gives
    a date's stored text, not Django's parsed value; once converted, every value is the ORM's."""
    started = datetime(2025, 9, 1, 8, 30, tzinfo=UTC)
    runs = [
        CourseRunFactory(start=started, end=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)),
        CourseRunFactory(start=None, end=None, removed_at=started, hidden=True),
    ]
    table = Table(CourseRun._meta)
    names = ("id", "uuid", "key", "start", "end", "removed_at", "hidden")
    condition, params = in_list(table.column("id"), [run.pk for run in runs])

    raw = rows_fetched(
        f"SELECT {table.select_as_stored(*names)} FROM {table.table} WHERE {condition} ORDER BY {table.column('id')}",  # noqa: S608
        params,
    )

    expected = CourseRun.objects.filter(pk__in=[run.pk for run in runs]).order_by("id")
    converted = rows_converted(raw, table.fields(*names))
    assert converted == list(expected.values_list(*names))
    assert {type(row[-1]) for row in converted} == {bool}, "booleans, not the integers SQLite stores"
    if connection.vendor == "sqlite":
        assert isinstance(raw[0][3], str), "the stored text, not a value Django's driver converters parsed"


class _NegatedBoolean(models.BooleanField):
    def from_db_value(self, value, expression, connection):  # type: ignore[no-untyped-def]
        return None if value is None else not value


def test_a_boolean_fields_own_conversion_is_always_applied():
    """A boolean the driver gives as one skips only the backend's converter (``core.db._rows_converter``);
    a field's own ``from_db_value`` still runs (on PostgreSQL it is the only converter)."""
    field = _NegatedBoolean()
    field.set_attributes_from_name("hidden")
    field.model = CourseRun

    assert rows_converted([(True,), (False,), (None,)], [field]) == [(False,), (True,), (None,)]
