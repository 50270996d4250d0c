"""An API answer is freed as soon as the server is done with it (core.middleware.ReleaseRenderedResponseMiddleware).

DRF ties each response into reference cycles (its renderer context names the view and the response; the view
keeps the response), so without the middleware every answer waited for the cyclic garbage collector: in a
gunicorn worker, a 100-course program status's thousands of dicts aged through the collector's generations
and were scanned at each collection (issue 17). The requests go through Django's WSGI handler as gunicorn
calls it: the test client adds cycles of its own (``response.json``).
"""

import gc
import json
import weakref
from collections.abc import Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test.client import RequestFactory

from core.jwt import encode_jwt
from core.models import User
from programs.models import Program, ProgramCourse
from tests.factories import CourseFactory, CourseRunFactory, EnrollmentFactory, UserFactory


@pytest.fixture
def served() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, with the cyclic garbage collector off: what is freed is freed by reference counts.
    The test's database connection stays open across requests, as the test client keeps it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    gc.collect()
    gc.disable()
    try:
        yield WSGIHandler()
    finally:
        gc.enable()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _sent(handler: WSGIHandler, environ: dict) -> tuple[str, bytes, "weakref.ref[object]"]:
    """Serve one request as gunicorn does (iterate, close) and drop the response: its status, body and a
    weak reference to it."""
    statuses: list[str] = []
    response = handler(environ, lambda status, headers: statuses.append(status))
    body = b"".join(response)
    response.close()
    released = weakref.ref(response)
    del response
    return statuses[0], body, released


@pytest.mark.django_db
def test_a_program_status_answer_is_freed_once_sent(served):
    learner = UserFactory(username="ana", lms_user_id=7)
    course = CourseFactory()
    run = CourseRunFactory(course=course)
    program = Program.objects.create(title="Data Science", type="MicroMasters")
    ProgramCourse.objects.create(program=program, course=course, position=0)
    EnrollmentFactory(learner=learner, course_run=run, mode="verified")
    User.objects.create(username="reader", is_staff=True)
    environ = (
        RequestFactory()
        .post(
            "/api/credentials/v1/learner_program_status/",
            json.dumps({"username": "ana", "program_uuid": str(program.uuid)}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"JWT {encode_jwt(username='reader', administrator=True)}",
        )
        .environ
    )

    status, body, released = _sent(served, environ)

    assert status.startswith("200"), body
    assert json.loads(body)["courses"][0]["course_runs"][0]["learner"]["status"] == "enrolled"
    assert released() is None, "the answer is held by a reference cycle until the garbage collector runs"


@pytest.mark.django_db
def test_a_refusal_is_freed_once_sent_too(served):
    environ = (
        RequestFactory()
        .post("/api/credentials/v1/learner_program_status/", "{}", content_type="application/json")
        .environ
    )

    status, body, released = _sent(served, environ)

    assert status.startswith("401"), body
    assert released() is None
