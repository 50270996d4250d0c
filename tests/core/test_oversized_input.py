"""Oversized input costs a worker almost nothing and changes nothing.

An attack pass sent ``{"course_runs": ["x"] * 250000}`` (1.25 MB): DRF validated every item before it
looked at the list's cap, which cost 16.6 s of a worker and produced a 19.9 MB error body. Every cap
is now checked before any item (``core.fields.BoundedListField`` / ``BoundedListSerializer``), the
bulk status endpoint also caps the keys of all its items together, and an error body lists at most
50 field errors (``core.errors``). These probes run on every database of CI.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from rest_framework import serializers

from core.fields import BoundedListField, BoundedListSerializer, StrictCharField, StrictUUIDField
from credentials_status.rest_api.v1.serializers import (
    MAX_ITEMS_PER_LIST,
    MAX_KEYS_PER_BULK_REQUEST,
    CourseRunRefField,
)
from credit.rest_api.v1.serializers import MAX_JSON_OBJECT_KEYS
from credit.services import MAX_REQUIREMENTS_PER_COURSE
from enrollments.data import MAX_BULK_ENROLLMENT_PAIRS
from programs.rest_api.v1.serializers import MAX_EXCLUSIONS, MAX_PROGRAM_COURSES
from tests.credit.conftest import COURSE_KEY
from tests.credit.factories import CreditCourseFactory

pytestmark = pytest.mark.django_db

STATUS_URL = "/api/credentials/v1/learner_cert_status/"
BULK_STATUS_URL = "/api/credentials/v1/bulk_learner_cert_status/"
BULK_ENROLL_URL = "/api/enrollments/v1/bulk_enroll/"
RUN_KEY = "course-v1:edX+DemoX+1T2024"
PROGRAM_UUID = "5b1f2c3d-0000-4000-8000-00000000a001"
PROJECT_APPS = ("core", "credentials_status", "programs", "enrollments", "credit", "support")
# A refusal of an over-long list is one short message; the old answers were megabytes.
SMALL_BODY = 1_000


@pytest.fixture
def staff(jwt_client):
    return jwt_client("staff_user", administrator=True)


@pytest.fixture
def local_program(staff):
    response = staff.post("/api/programs/v1/programs/", {"uuid": PROGRAM_UUID, "title": "P"}, format="json")
    assert response.status_code == 201, response.content
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS or model._meta.label == "auth.Group"
    }


@contextmanager
def item_validations() -> Iterator[list[Any]]:
    """Every call of the strict fields' ``to_internal_value`` while the block runs (one per list item)."""
    calls: list[Any] = []
    patches = []
    for field_class in (StrictCharField, StrictUUIDField, CourseRunRefField):
        original = field_class.__dict__["to_internal_value"]

        def counted(self: Any, data: Any, _original: Callable[..., Any] = original) -> Any:
            calls.append(data)
            return _original(self, data)

        patches.append(mock.patch.object(field_class, "to_internal_value", counted))
    for patch in patches:
        patch.start()
    try:
        yield calls
    finally:
        for patch in patches:
            patch.stop()


def send(client, method: str, url: str, body: Any):
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data, content_type="application/json")


def assert_refused_small(response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert len(response.content) < SMALL_BODY, len(response.content)
    return response.json()


def test_a_250000_item_list_is_refused_without_validating_one_item(staff):
    body = {"username": "ana", "course_runs": ["x"] * 250_000}  # 1.25 MB, as in the attack
    with item_validations() as calls:
        response = send(staff, "post", STATUS_URL, body)
    answer = assert_refused_small(response)
    assert answer["errors"] == {"course_runs": ["At most 1,000 items; this list has 250,000."]}
    # Only the username was validated: no run ref, so no per-item work and no per-item message.
    assert calls == ["ana"]


def test_an_over_long_run_key_is_refused_without_being_quoted(staff):
    response = send(staff, "post", STATUS_URL, {"username": "ana", "course_runs": ["y" * 1_000_000]})
    answer = assert_refused_small(response)
    assert answer["errors"] == {"course_runs.0": ["Ensure this field has no more than 255 characters."]}


# (method, url, body, error path): one list over its cap on every operation that takes a list. Items
# are of the wrong type, so validating any of them would add an error of its own.
WRONG = {"wrong": "type"}
OVER_LONG_LISTS = [
    ("post", STATUS_URL, {"username": "a", "courses": [WRONG] * (MAX_ITEMS_PER_LIST + 1)}, "courses"),
    ("post", STATUS_URL, {"username": "a", "course_runs": [WRONG] * (MAX_ITEMS_PER_LIST + 1)}, "course_runs"),
    ("post", BULK_STATUS_URL, [WRONG] * (MAX_ITEMS_PER_LIST + 1), "non_field_errors"),
    (
        "post",
        BULK_STATUS_URL,
        [{"username": "a", "course_runs": [WRONG] * (MAX_ITEMS_PER_LIST + 1)}],
        "0.course_runs",
    ),
    ("post", BULK_ENROLL_URL, {"enrollments_info": [7] * (MAX_BULK_ENROLLMENT_PAIRS + 1)}, "enrollments_info"),
    (
        "post",
        "/api/programs/v1/programs/",
        {"title": "t", "applicable_seat_types": [WRONG] * 21},
        "applicable_seat_types",
    ),
    (
        "post",
        "/api/programs/v1/programs/",
        {"title": "t", "authoring_organizations": [WRONG] * 101},
        "authoring_organizations",
    ),
    ("post", "/api/programs/v1/programs/", {"title": "t", "courses": [WRONG] * (MAX_PROGRAM_COURSES + 1)}, "courses"),
    (
        "post",
        "/api/programs/v1/programs/",
        {"title": "t", "excluded_course_run_keys": [WRONG] * (MAX_EXCLUSIONS + 1)},
        "excluded_course_run_keys",
    ),
    (
        "patch",
        f"/api/programs/v1/programs/{PROGRAM_UUID}/",
        {"courses": [WRONG] * (MAX_PROGRAM_COURSES + 1)},
        "courses",
    ),
    (
        "put",
        f"/api/programs/v1/programs/{PROGRAM_UUID}/excluded_course_runs/",
        {"course_run_keys": [WRONG] * (MAX_EXCLUSIONS + 1)},
        "course_run_keys",
    ),
    ("post", "/api/programs/v1/syncs/", {"program_uuids": [WRONG] * 101}, "program_uuids"),
    (
        "put",
        f"/api/credit/v1/courses/{COURSE_KEY}/requirements/",
        [WRONG] * (MAX_REQUIREMENTS_PER_COURSE + 1),
        "non_field_errors",
    ),
    (
        "put",
        f"/api/credit/v1/courses/{COURSE_KEY}/requirements/",
        [
            {
                "namespace": "grade",
                "name": "grade",
                "display_name": "Grade",
                "criteria": {str(i): WRONG for i in range(MAX_JSON_OBJECT_KEYS + 1)},
            }
        ],
        "0.criteria",
    ),
    (
        "put",
        f"/api/credit/v1/courses/{COURSE_KEY}/requirements/status/",
        {
            "username": "ana",
            "namespace": "grade",
            "name": "grade",
            "status": "satisfied",
            "reason": {str(i): i for i in range(MAX_JSON_OBJECT_KEYS + 1)},
        },
        "reason",
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "path"), OVER_LONG_LISTS, ids=lambda v: str(v)[:60])
def test_every_list_over_its_cap_is_one_short_400_that_changes_nothing(staff, local_program, method, url, body, path):
    before = row_counts()
    response = send(staff, method, url, body)
    answer = assert_refused_small(response)
    assert list(answer["errors"]) in ([path], [f"{path}.non_field_errors"]), answer
    assert "more_errors" not in answer
    (message,) = next(iter(answer["errors"].values()))
    assert message.startswith("At most "), message
    assert row_counts() == before


def test_the_provider_id_list_of_a_query_string_is_capped(staff):
    response = staff.get("/api/credit/v1/providers/", {"provider_ids": ",".join(f"p{i}" for i in range(101))})
    answer = assert_refused_small(response)
    assert answer["errors"] == {"provider_ids": ["At most 100 provider ids."]}
    assert (
        staff.get("/api/credit/v1/providers/", {"provider_ids": ",".join(f"p{i}" for i in range(100))}).status_code
        == 200
    )


def test_bulk_status_caps_the_keys_of_all_items_together_before_validating_any(staff):
    per_item = MAX_KEYS_PER_BULK_REQUEST // 10  # each item within its own cap of 1,000
    body = [{"username": f"l{i}", "course_runs": [RUN_KEY] * per_item} for i in range(10)]
    body.append({"username": "one_more", "courses": [str(uuid.uuid4())]})
    with item_validations() as calls:
        response = send(staff, "post", BULK_STATUS_URL, body)
    answer = assert_refused_small(response)
    assert answer["errors"] == {
        "non_field_errors": [
            "At most 10,000 courses and course_runs across all items together; this request has 10,001."
        ]
    }
    assert calls == []


def test_bulk_status_at_the_key_cap_is_answered(staff):
    body = [{"username": f"l{i}", "course_runs": [RUN_KEY] * 1000} for i in range(MAX_KEYS_PER_BULK_REQUEST // 1000)]
    response = send(staff, "post", BULK_STATUS_URL, body)
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()) == 10


def test_the_key_cap_is_in_the_openapi_description(staff):
    schema = staff.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][BULK_STATUS_URL]["post"]
    assert "10,000" in operation["description"] and "1,000" in operation["description"]
    assert "more_errors" in schema["components"]["schemas"]["Error"]["properties"]


def test_an_error_body_lists_50_errors_and_counts_the_rest(staff):
    body = [{"username": 7, "course_runs": [RUN_KEY]} for _ in range(120)]
    response = send(staff, "post", BULK_STATUS_URL, body)
    assert response.status_code == 400
    answer = response.json()
    assert list(answer["errors"]) == [f"{index}.username" for index in range(50)]
    assert answer["more_errors"] == 70
    assert answer["detail"] == "0.username: Not a valid string."


def test_an_error_body_within_the_bound_has_no_count(staff):
    response = send(staff, "post", BULK_STATUS_URL, [{"username": 7, "course_runs": [RUN_KEY]}] * 50)
    assert response.status_code == 400
    assert len(response.json()["errors"]) == 50
    assert "more_errors" not in response.json()


# --- The other oversized-input probes --------------------------------------------------------------
LIST_ENDPOINTS = [(method, url) for method, url, _, _ in OVER_LONG_LISTS]


@pytest.mark.parametrize(("method", "url"), sorted(set(LIST_ENDPOINTS)))
def test_a_10_mb_body_is_a_json_413_that_changes_nothing(staff, local_program, method, url):
    before = row_counts()
    body = {"username": "a", "padding": "x" * (10 * 1024 * 1024)}
    response = send(staff, method, url, body)
    answer = assert_refused_small(response, 413)
    assert answer["code"] == "payload-too-large"
    assert row_counts() == before


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/credentials/v1/course_run_credentials/"),
        ("post", "/api/enrollments/v1/enrollments/"),
        ("post", BULK_ENROLL_URL),
        ("put", f"/api/credit/v1/courses/{COURSE_KEY}/requirements/"),
        ("post", "/api/programs/v1/programs/"),
    ],
)
def test_deep_nesting_is_a_json_400_that_changes_nothing(staff, local_program, method, url):
    before = row_counts()
    depth = 100_000
    response = send(staff, method, url, '{"username": "a", "deep": ' + "[" * depth + "]" * depth + "}")
    answer = assert_refused_small(response)
    assert answer["code"] == "parse-error"
    assert row_counts() == before


MEGABYTE = "z" * 1_000_000


@pytest.mark.parametrize(
    ("method", "url", "body", "path"),
    [
        (
            "post",
            "/api/credentials/v1/course_run_credentials/",
            {"username": MEGABYTE, "course_run_key": RUN_KEY, "status": "awarded", "type": "verified"},
            "username",
        ),
        (
            "post",
            "/api/credentials/v1/grades/",
            {"username": "a", "course_run_key": MEGABYTE, "percent_grade": 1},
            "course_run_key",
        ),
        ("post", "/api/enrollments/v1/enrollments/", {"username": "a", "course_run_key": MEGABYTE}, "course_run_key"),
        (
            "post",
            BULK_ENROLL_URL,
            {"enrollments_info": [{"email": MEGABYTE, "course_run_key": RUN_KEY}]},
            "enrollments_info.0.email",
        ),
        ("post", STATUS_URL, {"username": MEGABYTE, "course_runs": [RUN_KEY]}, "username"),
        ("post", "/api/programs/v1/programs/", {"title": MEGABYTE}, "title"),
        ("post", "/api/credit/v1/providers/", {"provider_id": MEGABYTE, "display_name": "P"}, "provider_id"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_an_over_long_string_is_a_short_json_400_that_changes_nothing(staff, local_program, method, url, body, path):
    before = row_counts()
    response = send(staff, method, url, body)
    answer = assert_refused_small(response)
    assert path in answer["errors"], answer
    assert row_counts() == before


def _input_serializers() -> Iterator[type[serializers.Serializer]]:
    seen: set[type] = set()
    stack: list[type] = [serializers.Serializer]
    while stack:
        for subclass in stack.pop().__subclasses__():
            if subclass not in seen:
                seen.add(subclass)
                stack.append(subclass)
                if subclass.__module__.split(".")[0] in PROJECT_APPS and not subclass.__name__.endswith("Output"):
                    yield subclass


def test_every_list_an_input_serializer_takes_is_bounded():
    """A new input list must use the bounded fields: DRF's own check the cap after every item."""
    checked = []
    for serializer_class in _input_serializers():
        for name, field in serializer_class().fields.items():
            if isinstance(field, serializers.ListField):
                assert isinstance(field, BoundedListField), f"{serializer_class.__name__}.{name}"
                checked.append(name)
            if isinstance(field, serializers.ListSerializer):
                assert isinstance(field, BoundedListSerializer), f"{serializer_class.__name__}.{name}"
                checked.append(name)
            if isinstance(field, serializers.DictField):
                assert getattr(field, "max_length", None), f"{serializer_class.__name__}.{name}"
                checked.append(name)
    assert {"courses", "course_runs", "enrollments_info", "course_run_keys", "criteria", "reason"} <= set(checked)
