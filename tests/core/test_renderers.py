"""core.renderers.JSONRenderer writes the bytes DRF's JSONRenderer writes (issue 17's orjson path).

Every value is rendered by both and the bytes compared: the types the API's answers hold (nested
dicts and lists, text in many scripts with quotes, backslashes, control characters and the two line
separators JavaScript refuses, UUIDs, dates, decimals, lazy translations, non-text keys) and the
cases orjson hands back to DRF (huge integers, lone surrogates, an indented answer). A real bulk
status response is compared too, and the service answers with the new renderer.
"""

import datetime
from collections import OrderedDict
from decimal import Decimal
from uuid import UUID

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.renderers import JSONRenderer
from credentials_status.data import LearnerRunStatus
from tests.factories import CourseRunFactory, CredentialFactory, GradeFactory, UserFactory


class _Percent(Decimal):
    """A decimal of another class: written as DRF writes it."""


AWARE = datetime.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=datetime.UTC)
ELSEWHERE = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))

VALUES = [
    {"status": [], "username": "ana", "lms_user_id": 7},
    {"text": 'quote " backslash \\ slash / tab \t newline \n nul \x00 bell \x07 del \x7f'},
    {"scripts": "Zoë Łukasz 王芳 محمد Ωμέγα 🎓", "separators": "a\u2028b\u2029c"},
    {"line separator only": "a\u2028b"},
    {"paragraph separator only": "\u2029"},
    # The same first two UTF-8 bytes as the separators (E2 80), left as they are.
    {"same lead bytes": "… — ‰ \u2027\u202a"},
    {"uuid": UUID("7b1f3c6e-9d2a-4c1e-8f00-1a2b3c4d5e6f"), "uuids": [UUID(int=0), UUID(int=2**128 - 1)]},
    {"aware": AWARE, "elsewhere": ELSEWHERE, "naive": datetime.datetime(2026, 1, 2, 3, 4, 5)},
    {"date": datetime.date(2026, 12, 4), "time": datetime.time(9, 30), "delta": datetime.timedelta(days=1, seconds=5)},
    {"decimal": Decimal("0.9000"), "decimals": [Decimal("1"), Decimal("0.0001")]},
    # Written by the renderer's own decimal branch: signs, exponents, many digits, and a subclass (DRF's path).
    {"decimals": [Decimal("-0.5"), Decimal("1E+3"), Decimal("12345.678901234567"), Decimal("-0"), _Percent("0.25")]},
    {"lazy": gettext_lazy("This field is required.")},
    {3: "int key", 2.5: "float key", True: "bool key", None: "none key"},
    {"enum": LearnerRunStatus.AWARDED, "ints": [0, -1, 2**63 - 1, -(2**63)], "floats": [0.5, 0.92, 1.0, 0.0001]},
    {"nested": {"a": [{"b": [None, True, False, ""]}]}, "tuple": (1, "two"), "set": sorted({3, 1, 2})},
    OrderedDict([("z", 1), ("a", 2)]),
    ReturnDict({"serializer": "data"}, serializer=None),
    ReturnList([{"many": True}], serializer=None),
    [],
    {},
    "plain text",
    12,
]
HANDED_BACK = [
    {"huge": 2**70},
    {"negative huge": -(2**70)},
]


@pytest.mark.parametrize("value", VALUES + HANDED_BACK, ids=range(len(VALUES + HANDED_BACK)))
def test_the_bytes_are_drfs(value):
    assert JSONRenderer().render(value) == DrfJSONRenderer().render(value)


def test_a_lone_surrogate_fails_as_it_does_in_drf():
    with pytest.raises(UnicodeEncodeError):
        DrfJSONRenderer().render({"broken": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render({"broken": "\ud800"})


def test_an_indented_answer_is_drfs():
    value = {"a": [1, {"b": AWARE}]}
    indented = "application/json; indent=4"
    assert JSONRenderer().render(value, indented) == DrfJSONRenderer().render(value, indented)
    assert b"\n    " in JSONRenderer().render(value, indented)


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_a_bulk_status_response_is_drfs_byte_for_byte(jwt_client):
    learner = UserFactory(username="ana", lms_user_id=41)
    runs = [CourseRunFactory() for _ in range(3)]
    for run in runs:
        CredentialFactory(learner=learner, course_run=run)
        GradeFactory(learner=learner, course_run=run, percent_grade=Decimal("0.8125"), letter_grade="B")
    body = [
        {"username": "ana", "course_runs": [run.key for run in runs], "include_incomplete": True},
        {"lms_user_id": 99, "courses": [str(runs[0].course.uuid)], "include_incomplete": True},
    ]

    response = jwt_client("reader", roles=["learner_status_readers"]).post(
        "/api/credentials/v1/bulk_learner_cert_status/", body, format="json"
    )

    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == DrfJSONRenderer().render(response.data)
    assert [len(answer["status"]) for answer in response.json()] == [3, 1]
