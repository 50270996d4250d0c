"""Credential and grade ingest write history naming the caller; the console's timeline reads it."""

import pytest

from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from support.selectors import learner_record_timeline

pytestmark = pytest.mark.django_db

RUN_KEY = "course-v1:HarvardX+CS50+2T2026"


def test_awarded_revoked_and_grade_changes_are_a_timeline_with_their_source(jwt_client):
    issuer = jwt_client("lms_worker", roles=["credential_issuers"])
    credential = {"username": "ana", "lms_user_id": 7, "course_run_key": RUN_KEY, "type": "verified"}
    grade = {"username": "ana", "course_run_key": RUN_KEY}
    assert issuer.post("/api/credentials/v1/grades/", grade | {"percent_grade": 0.7}, format="json").status_code == 201
    for body in (
        credential | {"status": "awarded"},
        credential | {"status": "awarded"},
        credential | {"status": "revoked"},
    ):
        assert issuer.post("/api/credentials/v1/course_run_credentials/", body, format="json").status_code in (200, 201)
    assert issuer.post("/api/credentials/v1/grades/", grade | {"percent_grade": 0.9}, format="json").status_code == 200

    sources = set(CourseRunCredential.history.values_list("history_source", flat=True))  # type: ignore[attr-defined]
    assert sources == {"API lms_worker"}
    assert Grade.history.count() == 2  # type: ignore[attr-defined]

    timeline = learner_record_timeline(learner=User.objects.get(username="ana"))
    # Newest first; the replayed award changed nothing and is not an event.
    assert [(event.event, event.run_key, event.source) for event in timeline] == [
        ("grade changed", RUN_KEY, "API lms_worker"),
        ("revoked", RUN_KEY, "API lms_worker"),
        ("awarded", RUN_KEY, "API lms_worker"),
        ("grade recorded", RUN_KEY, "API lms_worker"),
    ]
