"""core.rendering writes answers exactly as their output serializers do (issue 17's fast path).

Each answer is rendered both ways and compared as data and as the JSON bytes sent: the status answers'
every item shape, and program answers built by the selectors from a catalog with an excluded run, a
credential not yet available, grades, enrollments and a course not started, in UTC and in another zone.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from django.utils import timezone as django_timezone
from django.utils import translation
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from core.rendering import (
    _remembered_by_identity,
    remembered_by_value,
    remembered_per_language,
    render,
    render_many,
    written_with_part,
)
from credentials_status.data import (
    GradeData,
    LearnerRunStatus,
    ProgramRunStatus,
    RunInProgram,
    RunLearnerStatus,
    RunRef,
    RunTiming,
    StatusAnswer,
    StatusItem,
)
from credentials_status.rest_api.v1.serializers import (
    LearnerCertStatusOutput,
    LearnerProgramStatusOutput,
    LearnerProgramSummaryOutput,
    OwnProgramStatusOutput,
    ProgramRunStatusOutput,
    RunInProgramOutput,
    RunLearnerStatusOutput,
)
from credentials_status.selectors import learner_program_status, learner_programs
from programs.models import Program, ProgramCourse
from tests.factories import (
    CourseFactory,
    CourseRunFactory,
    CredentialFactory,
    EnrollmentFactory,
    GradeFactory,
    OrganizationFactory,
    UserFactory,
)

COURSE = UUID("7b1f3c6e-9d2a-4c1e-8f00-1a2b3c4d5e6f")
RUN = UUID("0e5d1c2b-3a49-4f8e-9d7c-6b5a4f3e2d1c")

ITEMS = [
    # An award with a grade whose percent needs rounding and padding, and an available date.
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key="course-v1:edX+DemoX+1T2025"),
        status=LearnerRunStatus.AWARDED,
        type="verified",
        certificate_available_date=datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
        grade=GradeData(letter_grade="A", percent_grade=Decimal("0.91255"), verified=True),
    ),
    # A date given in another time zone (rendered in UTC) with microseconds, a grade of exactly 1.
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key="course-v1:edX+DemoX+2T2025"),
        status=LearnerRunStatus.PENDING_AVAILABILITY,
        type="professional",
        certificate_available_date=datetime(2030, 1, 1, 9, 0, 0, 250, tzinfo=timezone(timedelta(hours=-5))),
        grade=GradeData(letter_grade="", percent_grade=Decimal("1"), verified=False),
    ),
    # A run asked for by key only, unknown here: no uuid, no course, no type, no grade.
    StatusItem(
        course_uuid=None,
        course_run=RunRef(uuid=None, key="course-v1:edX+Gone+1T2020"),
        status=LearnerRunStatus.NOT_ENROLLED,
    ),
    # A course with no run touched.
    StatusItem(course_uuid=COURSE, course_run=None, status=LearnerRunStatus.NOT_ENROLLED),
    # Zero and a tiny percent.
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key=None),
        status=LearnerRunStatus.ENROLLED,
        type="audit",
        grade=GradeData(letter_grade="F", percent_grade=Decimal("0.00004"), verified=False),
    ),
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key="course-v1:edX+DemoX+3T2025"),
        status=LearnerRunStatus.REVOKED,
        type="honor",
        grade=GradeData(letter_grade="Pass", percent_grade=Decimal("0.0000"), verified=True),
    ),
]

ANSWERS = [
    StatusAnswer(lms_user_id=7, username="ana", status=list(ITEMS)),
    StatusAnswer(lms_user_id=None, username="ghost", status=[]),
    StatusAnswer(lms_user_id=12, username=None, status=ITEMS[2:4]),
]


def same_bytes(actual: object, expected: object) -> None:
    assert actual == expected
    assert JSONRenderer().render(actual) == JSONRenderer().render(expected)


@pytest.mark.parametrize("answer", ANSWERS, ids=["every-item-shape", "unknown-learner", "by-lms-id"])
def test_status_answer_renders_as_its_serializer(answer):
    same_bytes(render(LearnerCertStatusOutput, answer), LearnerCertStatusOutput(answer).data)


def test_bulk_status_answers_render_as_the_many_serializer():
    same_bytes(render_many(LearnerCertStatusOutput, ANSWERS), LearnerCertStatusOutput(ANSWERS, many=True).data)


def test_status_json_keeps_the_wire_formats():
    rendered = JSONRenderer().render(render(LearnerCertStatusOutput, ANSWERS[0])).decode()
    # What Credentials' clients read: a number rounded to four places, dates in UTC with a Z.
    assert '"percent_grade":0.9126' in rendered
    assert '"certificate_available_date":"2025-03-01T12:30:00Z"' in rendered
    assert '"certificate_available_date":"2030-01-01T14:00:00.000250Z"' in rendered
    assert '"course_run":null' in rendered


@pytest.fixture
def program_answers(db):
    """A learner in a program: a completion in an excluded run, a counting run open, a credential not yet
    available, a course with an enrollment only and a course not started."""
    now = django_timezone.now()
    org = OrganizationFactory(key="edX")
    demo, stats, art = (
        CourseFactory(organization=org, key=f"edX+{name}", title=title)
        for name, title in (("DemoX", "Demo"), ("StatsX", "Statistics"), ("ArtX", "Art"))
    )
    excluded = CourseRunFactory(course=demo, key="course-v1:edX+DemoX+1T2023", start=now - timedelta(days=700))
    counting = CourseRunFactory(course=demo, key="course-v1:edX+DemoX+1T2026", start=now - timedelta(days=10))
    stats_run = CourseRunFactory(course=stats, key="course-v1:edX+StatsX+1T2026", start=now - timedelta(days=40))
    CourseRunFactory(course=art, key="course-v1:edX+ArtX+3T2030", start=now + timedelta(days=90), end=None)
    program = Program.objects.create(title="Data Science", type="MicroMasters", applicable_seat_types=["verified"])
    for position, course in enumerate((demo, stats, art)):
        ProgramCourse.objects.create(program=program, course=course, position=position)
    program.excluded_course_runs.add(excluded)
    learner = UserFactory(username="ana", lms_user_id=7)
    CredentialFactory(learner=learner, course_run=excluded, type="verified")
    GradeFactory(learner=learner, course_run=excluded, percent_grade=Decimal("0.8125"), letter_grade="B")
    CredentialFactory(
        learner=learner, course_run=stats_run, type="verified", certificate_available_date=now + timedelta(days=3)
    )
    EnrollmentFactory(learner=learner, course_run=counting, mode="verified")
    one = learner_program_status(program_uuid=program.uuid, username="ana")
    every = learner_programs(learner, username="ana")
    assert one.warnings and every, "the scenario must produce warnings and a program list"
    return one, every


@pytest.mark.parametrize("zone", ["UTC", "America/Sao_Paulo"])
def test_program_answers_render_as_their_serializers(program_answers, zone):
    one, every = program_answers
    with django_timezone.override(zone):
        same_bytes(render(LearnerProgramStatusOutput, one), LearnerProgramStatusOutput(one).data)
        same_bytes(render_many(LearnerProgramSummaryOutput, every), LearnerProgramSummaryOutput(every, many=True).data)
        same_bytes(render_many(OwnProgramStatusOutput, every), OwnProgramStatusOutput(every, many=True).data)


def test_remembered_warnings_follow_the_zone_and_the_language(program_answers):
    """Warnings and next steps are remembered per value, zone and language (``remembered_per_language``):
    the same answer written again in another zone or language is written for that zone and language, and
    written again as it was the first time."""
    one, every = program_answers
    for zone, language in [("UTC", "en"), ("America/Sao_Paulo", "en"), ("UTC", "es"), ("UTC", "en")]:
        with django_timezone.override(zone), translation.override(language):
            for _ in range(2):
                same_bytes(render(LearnerProgramStatusOutput, one), LearnerProgramStatusOutput(one).data)
                same_bytes(render_many(OwnProgramStatusOutput, every), OwnProgramStatusOutput(every, many=True).data)
    with translation.override("es"):
        spanish = render(LearnerProgramStatusOutput, one)["warnings"][0]
    english = render(LearnerProgramStatusOutput, one)["warnings"][0]
    with django_timezone.override("America/Sao_Paulo"):
        in_sao_paulo = render(LearnerProgramStatusOutput, one)["warnings"][0]
    assert spanish["learner_message"] != english["learner_message"]
    assert in_sao_paulo["run"]["start"] != english["run"]["start"]
    # Remembered: the same warning is the same written dict.
    assert render(LearnerProgramStatusOutput, one)["warnings"][0] is english


@remembered_per_language
class _Remembered(serializers.Serializer):
    name = serializers.CharField()


def test_a_remembered_serializer_writes_values_it_cannot_remember_each_time():
    value = {"name": "ana"}  # a dict: no hash, nothing remembered
    assert render(_Remembered, value) == {"name": "ana"}
    value["name"] = "bo"
    assert render(_Remembered, value) == {"name": "bo"}


def test_a_learner_side_is_written_once_per_value_and_zone():
    """A learner's side of a run is remembered by value and zone (``remembered_by_value``): equal sides, built
    apart, get the same written dict (runs of one answer, and the next answer); another zone its own."""
    available = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)

    def side(percent: Decimal, date: datetime) -> RunLearnerStatus:
        return RunLearnerStatus(LearnerRunStatus.AWARDED, "verified", date, GradeData("A", percent, True))

    first = side(Decimal("0.9"), available)
    # Equal, not the same objects: the percent at other places, the date in another zone.
    second = side(Decimal("0.90000"), available.astimezone(timezone(timedelta(hours=-3))))
    written = render(RunLearnerStatusOutput, first)
    same_bytes(written, RunLearnerStatusOutput(first).data)
    same_bytes(render(RunLearnerStatusOutput, second), RunLearnerStatusOutput(second).data)
    assert render(RunLearnerStatusOutput, second) is written
    runs = [
        ProgramRunStatus(_run_in_program(f"course-v1:edX+DemoX+{index}T2025", None), learner)
        for index, learner in enumerate([first, second, RunLearnerStatus(LearnerRunStatus.ENROLLED, "verified")])
    ]
    sides = [run["learner"] for run in render_many(ProgramRunStatusOutput, runs)]
    assert sides[0] is sides[1] and sides[0] == written
    assert sides[2] == {"status": "enrolled", "type": "verified", "certificate_available_date": None, "grade": None}
    with django_timezone.override("America/Sao_Paulo"):
        in_sao_paulo = render(RunLearnerStatusOutput, first)
        same_bytes(in_sao_paulo, RunLearnerStatusOutput(first).data)
    assert in_sao_paulo["certificate_available_date"] == "2025-03-01T09:30:00-03:00"
    assert written["certificate_available_date"] == "2025-03-01T12:30:00Z"
    assert render(RunLearnerStatusOutput, first) is written


@remembered_by_value
class _RememberedByValue(serializers.Serializer):
    name = serializers.CharField()


def test_a_serializer_remembered_by_value_writes_values_it_cannot_remember_each_time():
    value = {"name": "ana"}
    assert render(_RememberedByValue, value) == {"name": "ana"}
    value["name"] = "bo"
    assert render(_RememberedByValue, value) == {"name": "bo"}


def test_program_dates_follow_the_current_time_zone(program_answers):
    """Dates are remembered as written (core.rendering._iso_8601_in): the zone is part of what is remembered."""
    one, _ = program_answers

    def first_start() -> str:
        return render(LearnerProgramStatusOutput, one)["courses"][0]["course_runs"][0]["start"]

    in_utc = first_start()
    with django_timezone.override("America/Sao_Paulo"):
        in_sao_paulo = first_start()
    assert in_utc.endswith("Z") and in_sao_paulo.endswith("-03:00")
    assert datetime.fromisoformat(in_utc) == datetime.fromisoformat(in_sao_paulo)
    assert first_start() == in_utc


def test_a_method_field_is_refused():
    class WithMethod(serializers.Serializer):
        name = serializers.SerializerMethodField()

        def get_name(self, obj):
            return "x"

    with pytest.raises(TypeError, match="method field"):
        render(WithMethod, object())


class _Inner(serializers.Serializer):
    name = serializers.CharField()


class _Shapes(serializers.Serializer):
    """Sources the generated writers read directly and those they leave to DRF's lookup."""

    plain = serializers.CharField()
    count = serializers.IntegerField()
    derived = serializers.CharField()  # a property
    called = serializers.CharField(source="shout")  # a method: DRF calls it
    dotted = serializers.CharField(source="inner.name")
    inner = _Inner(allow_null=True)
    flag = serializers.BooleanField()
    choice = serializers.ChoiceField(choices=["open", "ended", 3])


class _Item:
    def __init__(self, plain, count, inner, choice):
        self.plain, self.count, self.inner, self.flag, self.choice = plain, count, inner, 1, choice

    @property
    def derived(self):
        return self.plain + "!"

    def shout(self):
        return self.plain.upper()


class _Named:
    def __init__(self, name):
        self.name = name


def test_generated_writers_read_every_kind_of_source_as_drf_does():
    # Choices: a string enum member, the text of an integer choice, a value that is no choice, a blank.
    items = [
        _Item("ana", 3, _Named("x"), RunTiming.OPEN),
        _Item("bo", "4", _Named(7), "3"),
        _Item("cy", 5, _Named("y"), "closed"),
        _Item("di", 6, _Named("z"), ""),
    ]
    mapping = {
        "plain": "m",
        "count": 1,
        "derived": "d",
        "shout": "S",
        "inner": {"name": "n"},
        "flag": True,
        "choice": "ended",
    }
    for instance in [*items, mapping]:
        same_bytes(render(_Shapes, instance), _Shapes(instance).data)
    # The called method is called, not written as its repr; the string count becomes a number.
    assert render(_Shapes, items[1])["called"] == "BO"
    assert render(_Shapes, items[1])["count"] == 4
    # A choice is written as the choice its text names (here the integer 3), a string enum as its text.
    assert render(_Shapes, items[1])["choice"] == 3
    assert type(render(_Shapes, items[0])["choice"]) is str


def test_decimals_written_by_their_text_as_the_serializer_writes_them():
    """``core.rendering`` remembers a decimal's writing by its text: equal numbers at other places, a float
    and an integer of the same text, a negative zero and values rounding either way are each written as
    DRF writes them, again and again."""
    percents = [Decimal("0.9"), Decimal("0.90000"), 0.9, 1, Decimal("1"), Decimal("-0"), Decimal("0.99995")]
    percents += [Decimal("0.00005"), Decimal("0.12345"), Decimal("0.12355"), Decimal("0.9")]
    answer = StatusAnswer(
        lms_user_id=7,
        username="ana",
        status=[
            StatusItem(
                course_uuid=COURSE,
                course_run=RunRef(uuid=RUN, key=f"course-v1:edX+DemoX+{index}T2025"),
                status=LearnerRunStatus.AWARDED,
                grade=GradeData(letter_grade="A", percent_grade=percent, verified=True),  # type: ignore[arg-type]
            )
            for index, percent in enumerate(percents)
        ],
    )

    for _ in range(2):
        same_bytes(render(LearnerCertStatusOutput, answer), LearnerCertStatusOutput(answer).data)


# --- written_with_part: a program's runs written once, shared by every learner's answer -----------------------


def _run_in_program(key: str, start: datetime | None) -> RunInProgram:
    return RunInProgram(
        uuid=RUN,
        key=key,
        title="Demo",
        start=start,
        end=None,
        excluded=False,
        removed=False,
        counts_toward_program=True,
    )


def test_runs_sharing_a_part_are_each_written_whole_in_their_own_dict(program_answers):
    """Two learners' statuses in the same run share its part: each is written as the serializer writes it,
    with the part's fields first, into a dict of its own (changing one answer leaves the next as it was; the
    learner's side is remembered by value, only read, as warnings are)."""
    one, _ = program_answers
    in_program = one.courses[0].course_runs[0].in_program
    enrolled = ProgramRunStatus(in_program, RunLearnerStatus(LearnerRunStatus.ENROLLED, "verified"))
    idle = ProgramRunStatus(in_program, RunLearnerStatus(LearnerRunStatus.NOT_ENROLLED))
    first, second = render(ProgramRunStatusOutput, enrolled), render(ProgramRunStatusOutput, idle)
    same_bytes(first, ProgramRunStatusOutput(enrolled).data)
    same_bytes(second, ProgramRunStatusOutput(idle).data)
    assert list(first) == list(ProgramRunStatusOutput(enrolled).data) and list(first)[-1] == "learner"
    first["key"] = "changed by a caller"
    same_bytes(render(ProgramRunStatusOutput, enrolled), ProgramRunStatusOutput(enrolled).data)
    same_bytes(render(ProgramRunStatusOutput, idle), ProgramRunStatusOutput(idle).data)


def test_a_part_is_written_for_the_zone_of_each_answer():
    status = ProgramRunStatus(
        _run_in_program("course-v1:edX+DemoX+1T2026", datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        RunLearnerStatus(LearnerRunStatus.NOT_ENROLLED),
    )
    for zone in ["UTC", "America/Sao_Paulo", "Asia/Kolkata", "UTC"]:
        with django_timezone.override(zone):
            for _ in range(2):
                same_bytes(render(ProgramRunStatusOutput, status), ProgramRunStatusOutput(status).data)
    with django_timezone.override("Asia/Kolkata"):
        assert render(ProgramRunStatusOutput, status)["start"] == "2026-01-02T08:34:00+05:30"


def test_parts_remembered_are_bounded_whatever_the_zones():
    """The parts' memo holds at most its size, however many zones the answers are written in; a part asked in
    another zone is written again for that zone, and again for the first."""
    written: list[tuple[int, str]] = []
    write = _remembered_by_identity(lambda value, zone: written.append((value[0], zone)) or (value[0], zone), size=3)
    parts = [(index,) for index in range(5)]
    for zone in ["UTC", "America/Sao_Paulo", "Asia/Kolkata", "UTC"]:
        for part in parts:
            assert write(part, zone) == (part[0], zone)
    assert len(write.remembered) == 3  # type: ignore[attr-defined]
    assert len(written) == 20  # five parts in four zones, each written for its zone
    assert write(parts[4], "UTC") == (4, "UTC") and len(written) == 20  # the last ones written are remembered


def test_parts_that_follow_each_other_in_memory_are_written_as_themselves():
    """A part is remembered by identity: a part dropped and a new one made (which may take the same
    address) is written with its own values, never another's."""
    for index in range(300):
        status = ProgramRunStatus(
            _run_in_program(f"course-v1:edX+DemoX+{index}T2026", None), RunLearnerStatus(LearnerRunStatus.ENROLLED)
        )
        assert render(ProgramRunStatusOutput, status)["key"] == f"course-v1:edX+DemoX+{index}T2026"
        del status


def test_a_value_without_the_part_is_written_field_by_field_as_drf_reads_it():
    flat = {
        "uuid": RUN,
        "key": "course-v1:edX+DemoX+1T2026",
        "title": "Demo",
        "start": None,
        "end": datetime(2026, 5, 1, tzinfo=UTC),
        "excluded": True,
        "removed": False,
        "counts_toward_program": False,
        "learner": {"status": "enrolled", "type": "audit", "certificate_available_date": None, "grade": None},
    }

    class Flat:
        def __init__(self, values):
            self.__dict__.update(values)

    for value in [flat, Flat(flat)]:
        same_bytes(render(ProgramRunStatusOutput, value), ProgramRunStatusOutput(value).data)


def test_a_part_marker_refuses_a_serializer_that_would_write_other_fields():
    class Unrelated(serializers.Serializer):
        key = serializers.CharField()

    class Redeclared(RunInProgramOutput):
        key = serializers.CharField(source="other")

    class Before(serializers.Serializer):
        first = serializers.CharField()

    class FieldBefore(Before, RunInProgramOutput):
        pass

    for serializer_class in [Unrelated, Redeclared, FieldBefore]:
        with pytest.raises(TypeError, match="must"):
            written_with_part("in_program", RunInProgramOutput)(serializer_class)
