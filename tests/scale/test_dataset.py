"""scale.dataset / generate_scale_dataset: a consistent synthetic data set, on every database."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.db.models import Count, F

from core.identifiers import is_storable_email, username_invalid_reason
from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from credit.models import CreditEligibility, CreditRequirementStatus
from enrollments.models import Enrollment, PendingEnrollment
from programs.models import CourseRun, Program, ProgramCourse, ProgramExcludedCourseRun
from scale.dataset import (
    FIRST_NAMES,
    LAST_NAMES,
    Shape,
    _check_foreign_keys,
    _row_foreign_key_checks_off,
    generate,
    generated_learners,
    learner_name,
)
from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

SHAPE = Shape(learners=120, credentials_per_learner=6, programs=12, courses=40, seed=7)


@pytest.fixture
def dataset():
    return generate(SHAPE)


def test_counts_follow_the_shape(dataset):
    learners = generated_learners()
    assert learners.count() == 120
    assert CourseRun.objects.count() == 40 * 5
    assert Program.objects.count() == 12
    assert CourseRunCredential.objects.count() == 120 * 6
    assert Grade.objects.count() == 120 * round(6 * 1.25)
    assert Enrollment.objects.count() == 120 * round(6 * 1.5)
    assert PendingEnrollment.objects.exists()
    assert CreditRequirementStatus.objects.exists() and CreditEligibility.objects.exists()
    assert dataset.rows["credentials"] == 720 and dataset.total_rows == sum(dataset.rows.values())
    # Every learner has an LMS id and an email; no two share either.
    assert learners.exclude(lms_user_id=None).values("lms_user_id").distinct().count() == 120
    assert learners.values("email").distinct().count() == 120


def test_learners_have_names_as_a_site_has_them(dataset):
    """Usernames the LMS accepts, varied the way a site's are: no shared prefix that would put the same
    trigrams in every row (the name searches of bench/scale.py would all be worst cases)."""
    learners = list(generated_learners().values_list("username", "email", "full_name"))
    assert all(username_invalid_reason(username) is None for username, _, _ in learners)
    assert all(is_storable_email(email) for _, email, _ in learners)
    most_shared = Counter(username[:4] for username, _, _ in learners).most_common(1)[0][1]
    assert most_shared <= len(learners) // 10
    assert all(" " in full_name and "Learner" not in full_name for _, _, full_name in learners)


def test_learner_names_stay_distinct_past_the_name_pairs():
    """Past every first and last name pair a number is appended: still one username and email per learner."""
    numbers = range(0, 3 * len(FIRST_NAMES) * len(LAST_NAMES) + 500, 7)
    names = [learner_name(number) for number in numbers]
    assert len({name.username for name in names}) == len({name.email for name in names}) == len(names)
    assert not set(FIRST_NAMES) & set(LAST_NAMES)


def test_every_certificate_has_its_enrollment_and_a_passing_grade(dataset):
    for credential in CourseRunCredential.objects.all():
        assert Enrollment.objects.filter(learner=credential.learner_id, course_run=credential.course_run_id).exists()
        grade = Grade.objects.get(learner=credential.learner_id, course_run=credential.course_run_id)
        assert grade.percent_grade >= 0.7
    # Failed grades exist too (a grade without a certificate).
    assert Grade.objects.filter(percent_grade__lt=0.7).count() == 120 * (round(6 * 1.25) - 6)


def test_certificates_of_every_status_and_most_types(dataset):
    statuses = Counter(CourseRunCredential.objects.values_list("status", flat=True))
    types = Counter(CourseRunCredential.objects.values_list("type", flat=True))
    assert statuses["awarded"] > statuses["revoked"] > 0
    assert len(types) >= 5 and types.most_common(1)[0][0] == "verified"
    assert not CourseRunCredential.objects.filter(status="revoked", revoked_at=None).exists()


def test_programs_have_3_to_30_courses_and_exclude_only_their_own_runs(dataset):
    sizes = ProgramCourse.objects.values("program").annotate(n=Count("id")).values_list("n", flat=True)
    assert len(sizes) == 12 and all(3 <= n <= 30 for n in sizes)
    exclusions = ProgramExcludedCourseRun.objects.all()
    assert exclusions.exists()
    outside = exclusions.exclude(
        courserun__course__in=ProgramCourse.objects.filter(program=F("program")).values("course")
    )
    for exclusion in exclusions:
        assert ProgramCourse.objects.filter(program=exclusion.program_id, course=exclusion.courserun.course_id).exists()
    assert not outside.exists()


def test_learners_take_runs_of_programs(dataset):
    """Half of each learner's runs come from one program, so program status has something to reconcile."""
    program_runs = set(
        CourseRun.objects.filter(course__program_courses__isnull=False).values_list("id", flat=True).distinct()
    )
    enrolled = Enrollment.objects.values_list("course_run", flat=True)
    assert sum(1 for run in enrolled if run in program_runs) >= len(enrolled) / 2


def test_the_service_answers_for_a_generated_learner_and_keeps_writing(dataset, jwt_client):
    learner = generated_learners().order_by("id").first()
    runs = list(CourseRunCredential.objects.filter(learner=learner).select_related("course_run__course"))
    reader = jwt_client("support", roles=["learner_status_readers"])
    response = reader.post(
        "/api/credentials/v1/learner_cert_status/",
        {"username": learner.username, "courses": [str(c.course_run.course.uuid) for c in runs]},
        format="json",
    )
    assert response.status_code == 200, response.content
    answered = {s["course_run"]["key"] for s in response.json()["status"]}
    # The Credentials answer lists the visible awards only.
    assert answered == {c.course_run.key for c in runs if c.status == "awarded"} != set()
    # Ids were chosen by the generator: the sequences moved past them, so ordinary writes still work.
    CredentialFactory(learner=UserFactory())
    assert User.objects.count() == 120 + 2


def test_same_seed_same_choices():
    """A second data set with the same seed, written after the first, repeats its choices under new ids."""

    def choices(users, runs):
        first_user, first_run = min(u.id for u in users), min(r.id for r in runs)
        return sorted(
            (c.learner_id - first_user, c.course_run_id - first_run, c.status, c.type)
            for c in CourseRunCredential.objects.filter(learner__in=users)
        )

    first = generate(SHAPE)
    users, runs = list(User.objects.all()), list(CourseRun.objects.all())
    second = generate(SHAPE)
    new_users = list(User.objects.exclude(id__in=[u.id for u in users]))
    new_runs = list(CourseRun.objects.exclude(id__in=[r.id for r in runs]))
    assert first.rows == second.rows
    assert choices(users, runs) == choices(new_users, new_runs)


def test_command_refuses_a_database_with_other_learners(capsys):
    UserFactory(username="real_learner")
    with pytest.raises(CommandError, match="--into-existing-data"):
        call_command("generate_scale_dataset", "--learners", "3")
    assert not generated_learners().exists()
    call_command(
        "generate_scale_dataset", "--learners", "3", "--courses", "10", "--programs", "2", "--into-existing-data"
    )
    assert generated_learners().count() == 3
    assert "rows in" in capsys.readouterr().out


def test_impossible_shapes_are_refused():
    with pytest.raises(ValueError, match="runs"):
        generate(Shape(learners=1, credentials_per_learner=100, courses=2))
    assert not User.objects.exists()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="LOUD SKIP: the set-based foreign key check is PostgreSQL's path"
)
def test_set_based_foreign_key_check_finds_a_dangling_reference():
    """With row triggers off (as the generator turns them off), a reference to a missing learner is caught."""
    generate(SHAPE)
    assert _row_foreign_key_checks_off()
    _check_foreign_keys()  # the generated data set is consistent
    credential = CourseRunCredential.objects.first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE credentials_status_courseruncredential SET learner_id = %s WHERE id = %s",
            [10**9, credential.pk],
        )
    with pytest.raises(IntegrityError, match="learner_id points at a missing core_user row"):
        _check_foreign_keys()
