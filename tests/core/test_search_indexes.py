"""Learner and record search is served by indexes on PostgreSQL (docs/scaling.rst).

At test sizes the planner prefers sequential scans, so each test turns them off (``enable_seqscan``)
and asks for the plan of every statement the search ran: a ``Seq Scan`` on a table that grows with
learners then means no index can serve that condition, which at a million learners meant seconds per
search (bench/scale.py). Behaviour (what each search finds) is tested on every database below.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enrollments.selectors import learners_by_email
from support.selectors import learner_search
from tests.factories import CredentialFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

IS_POSTGRES = connection.vendor == "postgresql"
GROWING = ("core_user", "credentials_status_courseruncredential", "enrollments_enrollment")


@pytest.fixture
def records():
    ana = UserFactory(username="ana_lovelace", email="ana@example.org", lms_user_id=4242, full_name="Ana Lovelace")
    CredentialFactory(learner=ana, course_run__key="course-v1:edX+DemoX+1T2024")
    EnrollmentFactory(learner=ana, course_run__key="course-v1:edX+Other+1T2024")
    CredentialFactory(learner=UserFactory(username="bob", email="bob@example.net"))
    return ana


@pytest.fixture
def admin_client(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def _sequential_scans(call):
    with CaptureQueriesContext(connection) as captured:
        call()
    scans = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.startswith("SELECT") or not any(table in sql for table in GROWING):
                    continue
                cursor.execute(f"EXPLAIN {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                scans += [f"{t}: {sql[:200]}" for t in GROWING if f"Seq Scan on {t}" in plan]
                if " WHERE " not in sql:  # e.g. the admin's COUNT(*) of the whole table: a full read by any plan
                    scans.append(f"unfiltered: {sql[:200]}")
        finally:
            cursor.execute("SET enable_seqscan = on")
    return scans


SEARCHES = {
    "console, username": lambda c: learner_search("ANA_LOVELACE"),
    "console, email": lambda c: learner_search("ana@example.org"),
    "console, LMS id": lambda c: learner_search("4242"),
    "console, part of an email": lambda c: learner_search("lovel"),
    "bulk enrollment, learners by email": lambda c: learners_by_email(emails=["ana@example.org", "x@example.org"]),
    "admin users": lambda c: c.get("/admin/core/user/", {"q": "lovel"}),
    "admin users, LMS id": lambda c: c.get("/admin/core/user/", {"q": "4242"}),
    "admin credentials": lambda c: c.get("/admin/credentials_status/courseruncredential/", {"q": "lovel"}),
    "admin credentials, run": lambda c: c.get("/admin/credentials_status/courseruncredential/", {"q": "DemoX"}),
    "admin enrollments": lambda c: c.get("/admin/enrollments/enrollment/", {"q": "ana@example"}),
}


@pytest.mark.postgres
@pytest.mark.skipif(
    not IS_POSTGRES, reason="LOUD SKIP: query plans are checked on PostgreSQL (DATABASE_URL=postgres://...)"
)
@pytest.mark.parametrize("name", SEARCHES)
def test_search_reads_growing_tables_by_index(records, admin_client, name):
    assert _sequential_scans(lambda: SEARCHES[name](admin_client)) == []


TRIGRAM_INDEXES = (
    "core_user_username_trgm_idx",
    "core_user_email_trgm_idx",
    "core_user_full_name_trgm_idx",
    "enrollments_pending_email_trgm_idx",
)


@pytest.mark.postgres
@pytest.mark.skipif(
    not IS_POSTGRES, reason="LOUD SKIP: GIN index settings exist on PostgreSQL only (DATABASE_URL=postgres://...)"
)
def test_trigram_indexes_keep_a_short_pending_list():
    # A search reads an index's whole pending list: up to 4 MB by default, which doubled the admin's user
    # search at a million learners until a vacuum merged it (core.indexes).
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)", [list(TRIGRAM_INDEXES)])
        options = dict(cursor.fetchall())
    assert set(options) == set(TRIGRAM_INDEXES)
    assert all(found and "gin_pending_list_limit=64" in found for found in options.values()), options


@pytest.mark.parametrize("query", ["ana_lovelace", "ANA@EXAMPLE.ORG", "4242", "lovel", "ace"])
def test_console_search_finds_by_username_email_lms_id_or_part(records, query):
    assert [u.username for u in learner_search(query)] == ["ana_lovelace"]


@pytest.mark.parametrize("query", ["lovel", "4242", "Ana Love", "example.org"])
def test_admin_user_search(records, admin_client, query):
    page = admin_client.get("/admin/core/user/", {"q": query}).content
    assert b"ana_lovelace" in page and b"bob@example.net" not in page


@pytest.mark.parametrize("query", ["lovel", "4242", "ana@example", "DemoX", "edX+DemoX"])
def test_admin_credential_search_by_learner_or_run(records, admin_client, query):
    page = admin_client.get("/admin/credentials_status/courseruncredential/", {"q": query}).content.decode()
    assert "course-v1:edX+DemoX+1T2024" in page and ">bob<" not in page
    assert "1 result" in page or "1 course run credential" in page


def test_bulk_enrollment_finds_learners_by_email_in_any_case(records):
    found = learners_by_email(emails=["ana@example.org", "nobody@example.org"])
    assert [learner.username for learner in found["ana@example.org"]] == ["ana_lovelace"]
    assert "nobody@example.org" not in found


def test_admin_search_text_that_matches_nothing(records, admin_client):
    page = admin_client.get("/admin/enrollments/enrollment/", {"q": "zzz-nobody"}).content.decode()
    assert "course-v1:edX+Other+1T2024" not in page
    assert "0 results" in page
