"""Identifiers compare exactly on every database: ``SAM``, ``sám`` and ``sam `` are not ``sam``.

These run on SQLite, PostgreSQL and MariaDB alike (MariaDB's default ``utf8mb4_general_ci`` used to
merge them); the ``mysql`` test checks the columns themselves.
"""

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from rest_framework import status
from rest_framework.test import APIClient

from core.collation import identifier_collation, identifier_fields, project_models
from core.jwt import encode_jwt
from core.models import User
from credit.models import CreditCourse, CreditProvider
from programs.models import Course, CourseRun, Organization
from support.selectors import learner_search
from tests.factories import CourseRunFactory, CredentialFactory

STATUS_URL = "/api/credentials/v1/learner_cert_status/"
RUN_KEY = "course-v1:edX+DemoX+1T2024"
SHOUTED_RUN_KEY = "course-v1:EDX+DEMOX+1T2024"


@pytest.fixture
def sam(db):
    learner = User.objects.create(username="sam", lms_user_id=1, email="sam@example.com")
    CredentialFactory(learner=learner, course_run=CourseRunFactory(key=RUN_KEY))
    return learner


def status_of(token: str, username: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    return client.post(STATUS_URL, {"username": username, "course_runs": [RUN_KEY]}, format="json")


def assert_sam_untouched(sam: User) -> None:
    row = User.objects.get(pk=sam.pk)
    assert (row.username, row.email, row.lms_user_id) == ("sam", "sam@example.com", 1)


@pytest.mark.django_db
@pytest.mark.parametrize("lms_user_id", [2, None], ids=["with-user_id", "without-user_id"])
@pytest.mark.parametrize("username", ["SAM", "sám", "Sam"])
def test_a_learner_named_like_another_is_a_learner_of_their_own(sam, username, lms_user_id):
    token = encode_jwt(username=username, lms_user_id=lms_user_id, email="intruder@example.org")

    own = status_of(token, username)
    assert own.status_code == status.HTTP_200_OK, own.content
    assert own.json()["status"] == []  # not sam's certificate
    assert status_of(token, "sam").status_code == status.HTTP_403_FORBIDDEN

    intruder = User.objects.get(username=username)
    assert intruder.pk != sam.pk
    assert (intruder.email, intruder.lms_user_id) == ("intruder@example.org", lms_user_id)
    assert_sam_untouched(sam)
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_a_trailing_space_never_reaches_sams_row(sam):
    """``sam `` is refused or a learner of its own; it never reads or changes sam (PAD SPACE collations merge it)."""
    token = encode_jwt(username="sam ", lms_user_id=2, email="intruder@example.org")
    own = status_of(token, "sam ")
    assert own.status_code < 500, own.content
    if own.status_code == status.HTTP_200_OK:
        assert own.json()["status"] == []
    assert status_of(token, "sam").status_code in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN)
    assert not User.objects.filter(username="sam ", pk=sam.pk).exists()
    assert_sam_untouched(sam)


@pytest.mark.django_db
def test_run_keys_differing_in_case_are_two_runs(jwt_client):
    publisher = jwt_client("lms_catalog", roles=["catalog_publishers"])
    url = "/api/programs/v1/course_runs/{}/"
    assert publisher.put(url.format(RUN_KEY), {"title": "Demo"}, format="json").status_code == 201

    response = publisher.put(url.format(SHOUTED_RUN_KEY), {"title": "Other"}, format="json")

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["key"] == SHOUTED_RUN_KEY
    assert dict(CourseRun.objects.values_list("key", "title")) == {RUN_KEY: "Demo", SHOUTED_RUN_KEY: "Other"}
    assert sorted(Course.objects.values_list("key", flat=True)) == ["EDX+DEMOX", "edX+DemoX"]
    assert sorted(Organization.objects.values_list("key", flat=True)) == ["EDX", "edX"]


@pytest.mark.django_db
def test_credit_course_keys_and_provider_ids_differing_in_case_are_two(jwt_client):
    admin = jwt_client("registrar", roles=["credit_admins"])
    base = "/api/credit/v1"
    assert admin.put(f"{base}/courses/{RUN_KEY}/", {"enabled": True}, format="json").status_code == 201

    response = admin.put(f"{base}/courses/{SHOUTED_RUN_KEY}/", {"enabled": False}, format="json")

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert dict(CreditCourse.objects.values_list("course_key", "enabled")) == {RUN_KEY: True, SHOUTED_RUN_KEY: False}
    for provider_id in ("hogwarts", "HOGWARTS"):
        response = admin.post(f"{base}/providers/", {"provider_id": provider_id, "display_name": "X"}, format="json")
        assert response.status_code == status.HTTP_201_CREATED, response.content
    assert sorted(CreditProvider.objects.values_list("provider_id", flat=True)) == ["HOGWARTS", "hogwarts"]


@pytest.mark.django_db
def test_searches_stay_case_insensitive(sam):
    """The console (and the admin) search with ``iexact``/``icontains``: binary columns must not make them exact."""
    User.objects.create(username="Samantha", email="Samantha@Example.com")
    assert [user.username for user in learner_search("SAM")] == ["sam"]
    assert [user.username for user in learner_search("SAM@EXAMPLE.COM")] == ["sam"]
    assert sorted(user.username for user in learner_search("AMANTHA")) == ["Samantha"]
    assert User.objects.filter(email__istartswith="SAMANTHA@").count() == 1
    assert User.objects.filter(username__iendswith="THA").count() == 1


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)  # DDL commits on MySQL/MariaDB
def test_every_identifier_column_is_binary_without_pad_space_and_stays_so():
    if connection.vendor != "mysql":
        pytest.skip("SKIPPED: needs MySQL/MariaDB (DATABASE_URL=mysql://...)")
    collation = identifier_collation(connection)
    assert collation == ("utf8mb4_nopad_bin" if connection.mysql_is_mariadb else "utf8mb4_0900_bin")

    def collations() -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME), COLLATION_NAME FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL"
            )
            return dict(cursor.fetchall())

    identifiers = {
        f"{model._meta.db_table}.{field.column}" for model in project_models() for field in identifier_fields(model)
    }
    found = collations()
    text_identifiers = {column: found[column] for column in identifiers if column in found}
    assert {
        "core_user.username",
        "core_user.email",
        "enrollments_pendingenrollment.email",
        "programs_organization.key",
        "programs_course.key",
        "programs_courserun.key",
        "credit_creditcourse.course_key",
        "credit_creditprovider.provider_id",
        "credit_creditrequest.uuid",
        "credit_creditrequirement.namespace",
        "credit_creditrequirement.name",
    } <= set(text_identifiers)
    assert {column for column, name in text_identifiers.items() if name != collation} == set()

    # Django's AlterField re-creates a column as MODIFY without a collation: the table default comes
    # back. The next migrate (post_migrate) puts the binary collation back.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE programs_courserun MODIFY `key` varchar(255) COLLATE utf8mb4_general_ci NOT NULL")
    try:
        assert collations()["programs_courserun.key"] == "utf8mb4_general_ci"
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
        assert collations()["programs_courserun.key"] == collation
    finally:
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
