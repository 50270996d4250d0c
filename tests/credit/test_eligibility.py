"""Requirements, requirement statuses and eligibility through the Python API (docs/decisions/0006-credit.rst)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from credit import api
from credit.data import StatusOutcome
from credit.models import CreditEligibility, CreditRequirement, CreditRequirementStatus
from credit.services import MAX_REQUIREMENTS_PER_COURSE
from tests.credit.conftest import COURSE_KEY, TWO_REQUIREMENTS
from tests.credit.factories import (
    CreditCourseFactory,
    CreditEligibilityFactory,
    CreditRequestFactory,
    CreditRequirementStatusFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAM = ("proctored_exam", "i4x://edX/DemoX/proctoring-block/final_uuid")


def satisfy_both(user, grade=0.95):  # type: ignore[no-untyped-def]
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
    return api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade", reason={"final_grade": grade})


# --- requirements --------------------------------------------------------------------------------
def test_requirements_come_back_in_the_order_given(credit_course):
    requirements = api.get_credit_requirements(COURSE_KEY)
    assert [(r["namespace"], r["name"]) for r in requirements] == [EXAM, ("grade", "grade")]
    assert requirements[1]["criteria"] == {"min_grade": 0.8}
    assert requirements[1]["display_name"] == "Grade"
    assert api.get_credit_requirements(COURSE_KEY, namespace="grade") == [requirements[1]]


def test_setting_requirements_replaces_the_list_and_deactivates_missing_ones(credit_course):
    user = UserFactory()
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
    api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[1]])
    assert [r["namespace"] for r in api.get_credit_requirements(COURSE_KEY)] == ["grade"]
    exam = CreditRequirement.objects.get(namespace="proctored_exam")
    assert exam.active is False  # kept, not deleted
    assert exam.statuses.count() == 1
    # Putting it back reactivates the same row (with its learners' statuses).
    api.set_credit_requirements(COURSE_KEY, TWO_REQUIREMENTS)
    assert CreditRequirement.objects.filter(namespace="proctored_exam").count() == 1
    assert api.get_credit_requirement_status(COURSE_KEY, user.username)[0]["status"] == "satisfied"


def test_a_requirement_given_twice_is_stored_once(credit_course):
    twice = [TWO_REQUIREMENTS[1], {**TWO_REQUIREMENTS[1], "display_name": "Grade again"}]
    api.set_credit_requirements(COURSE_KEY, twice)
    requirements = api.get_credit_requirements(COURSE_KEY)
    assert len(requirements) == 1
    assert requirements[0]["display_name"] == "Grade again"


@pytest.mark.parametrize(
    ("bad_item", "field"),
    [
        ({"name": "grade", "display_name": "Grade", "criteria": {}}, "namespace"),
        ({"namespace": "grade", "name": "", "display_name": "Grade", "criteria": {}}, "name"),
        ({"namespace": "grade", "name": "grade", "display_name": " ", "criteria": {}}, "display_name"),
        ({"namespace": "grade", "name": "grade", "display_name": "Grade"}, "criteria"),
    ],
)
def test_invalid_requirements_reject_the_whole_call(credit_course, bad_item, field):
    with pytest.raises(api.InvalidCreditRequirements) as excinfo:
        api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0], bad_item])
    assert field in excinfo.value.detail["1"]
    assert len(api.get_credit_requirements(COURSE_KEY)) == 2  # nothing changed


def test_requirements_need_an_enabled_credit_course(db):
    CreditCourseFactory(course_key=COURSE_KEY, enabled=False)
    with pytest.raises(api.InvalidCreditCourse):
        api.set_credit_requirements(COURSE_KEY, TWO_REQUIREMENTS)
    with pytest.raises(api.InvalidCreditCourse):
        api.set_credit_requirements("course-v1:edX+Unknown+1T2015", TWO_REQUIREMENTS)


def test_a_malformed_course_key_is_invalid(db):
    with pytest.raises(api.InvalidCourseKey):
        api.set_credit_requirements("not a course key", TWO_REQUIREMENTS)
    with pytest.raises(api.InvalidCourseKey):
        api.is_credit_course("library-v1:edX+Lib")


def test_is_credit_course_only_for_enabled_courses(db):
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    CreditCourseFactory(course_key="course-v1:edX+Off+1T2015", enabled=False)
    assert api.is_credit_course(COURSE_KEY) is True
    assert api.is_credit_course("course-v1:edX+Off+1T2015") is False
    assert api.is_credit_course("course-v1:edX+Never+1T2015") is False


# --- statuses ----------------------------------------------------------------------------------
def test_status_is_null_until_attempted_and_carries_the_seed_fields(credit_course):
    user = UserFactory()
    before = api.get_credit_requirement_status(COURSE_KEY, user.username)
    assert [item["status"] for item in before] == [None, None]
    api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.95})
    item = api.get_credit_requirement_status(COURSE_KEY, user.username, namespace="grade")[0]
    assert item["status"] == "satisfied"
    assert item["reason"] == {"final_grade": 0.95}
    assert item["criteria"] == {"min_grade": 0.8}
    assert item["order"] == 1
    assert item["status_date"] == CreditRequirementStatus.objects.get().modified


def test_satisfied_never_goes_back_to_failed(credit_course):
    user = UserFactory()
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
    outcome = api.set_credit_requirement_status(user, COURSE_KEY, *EXAM, status="failed")
    assert outcome == StatusOutcome.SATISFIED_NEVER_FAILS
    assert api.get_credit_requirement_status(COURSE_KEY, user.username)[0]["status"] == "satisfied"


def test_failed_can_become_satisfied_and_declined(credit_course):
    user = UserFactory()
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM, status="failed")
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM, status="declined")
    assert api.get_credit_requirement_status(COURSE_KEY, user.username)[0]["status"] == "declined"
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM, status="satisfied")
    assert api.get_credit_requirement_status(COURSE_KEY, user.username)[0]["status"] == "satisfied"


def test_an_eligible_learner_cannot_be_marked_failed(credit_course):
    user = UserFactory()
    satisfy_both(user)
    api.remove_credit_requirement_status(user.username, COURSE_KEY, *EXAM)
    outcome = api.set_credit_requirement_status(user, COURSE_KEY, *EXAM, status="failed")
    assert outcome == StatusOutcome.ELIGIBLE_NEVER_FAILS
    assert api.get_credit_requirement_status(COURSE_KEY, user.username)[0]["status"] is None


def test_statuses_are_frozen_once_the_learner_has_a_credit_request(credit_course):
    user = UserFactory()
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM, status="failed")
    CreditRequestFactory(learner=user, course=credit_course)
    outcome = api.set_credit_requirement_status(user, COURSE_KEY, *EXAM, status="satisfied")
    assert outcome == StatusOutcome.FROZEN_BY_REQUEST
    assert api.get_credit_requirement_status(COURSE_KEY, user.username)[0]["status"] == "failed"


def test_an_unknown_status_is_refused(credit_course):
    with pytest.raises(api.InvalidCreditStatus):
        api.set_credit_requirement_status(UserFactory(), COURSE_KEY, *EXAM, status="passed")


def test_status_for_an_unknown_or_inactive_requirement_changes_nothing(credit_course):
    """As the LMS: a requirement the course does not have (e.g. not yet published) is skipped, not an error."""
    user = UserFactory()
    api.set_credit_requirement_status(user, COURSE_KEY, "grade", "nope")
    api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[1]])
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
    api.remove_credit_requirement_status(user.username, COURSE_KEY, *EXAM)
    assert not CreditRequirementStatus.objects.exists()


def test_set_status_accepts_a_username_and_creates_the_learner(credit_course):
    api.set_credit_requirement_status("newcomer", COURSE_KEY, *EXAM)
    assert api.get_credit_requirement_status(COURSE_KEY, "newcomer")[0]["status"] == "satisfied"


def test_removing_a_status_deletes_it_but_eligibility_stays(credit_course):
    user = UserFactory()
    satisfy_both(user)
    api.remove_credit_requirement_status(user.username, COURSE_KEY, "grade", "grade")
    assert api.get_credit_requirement_status(COURSE_KEY, user.username)[1]["status"] is None
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is True


# --- eligibility -------------------------------------------------------------------------------
def test_eligible_only_when_every_active_requirement_is_satisfied(credit_course):
    user = UserFactory()
    api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is False
    api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade", status="declined")
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is False
    api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade")
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is True
    [eligibility] = api.get_eligibilities_for_user(user.username)
    assert eligibility["course_key"] == COURSE_KEY


def test_an_inactive_requirement_does_not_count(credit_course):
    user = UserFactory()
    api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[1]])
    api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade")
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is True


def test_eligibility_is_granted_once_with_a_deadline(credit_course, settings):
    settings.CREDIT_ELIGIBILITY_EXPIRATION_DAYS = 10
    user = UserFactory()
    with freeze_time("2026-01-01 12:00:00"):
        satisfy_both(user)
    with freeze_time("2026-01-05 12:00:00"):
        api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.99})
        [eligibility] = api.get_eligibilities_for_user(user.username, course_key=COURSE_KEY)
    assert CreditEligibility.objects.count() == 1
    assert eligibility["deadline"].isoformat().startswith("2026-01-11T12:00:00")


def test_eligibility_expires_at_the_deadline(credit_course, settings):
    settings.CREDIT_ELIGIBILITY_EXPIRATION_DAYS = 365
    user = UserFactory()
    with freeze_time("2026-01-01"):
        satisfy_both(user)
    with freeze_time("2026-12-31"):
        assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is True
    with freeze_time("2027-01-02"):
        assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is False
        assert api.get_eligibilities_for_user(user.username) == []


def test_a_disabled_course_makes_nobody_eligible(credit_course):
    user = UserFactory()
    satisfy_both(user)
    credit_course.enabled = False
    credit_course.save()
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is False
    assert api.get_eligibilities_for_user(user.username) == []


# --- eligibility email -------------------------------------------------------------------------
def test_the_first_grant_mails_the_learner_after_commit(credit_course, django_capture_on_commit_callbacks):
    user = UserFactory(email="ron@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
        assert mail.outbox == []
        satisfy_both(user)
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ron@example.com"]
    assert COURSE_KEY in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade", reason={"final_grade": 1.0})
    assert len(mail.outbox) == 1  # not granted again, not mailed again


def test_a_mail_failure_is_logged_and_keeps_the_grant(
    credit_course, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken_send_mail(**kwargs):  # type: ignore[no-untyped-def]
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr("credit.services.send_mail", broken_send_mail)
    user = UserFactory(email="ron@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        satisfy_both(user)
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is True
    assert "credit_eligibility_email_failed" in caplog.messages


def test_an_expired_eligibility_is_not_regranted(credit_course, settings):
    user = UserFactory()
    with freeze_time(timezone.now() - timedelta(days=400)):
        satisfy_both(user)
    api.set_credit_requirement_status(user, COURSE_KEY, "grade", "grade", reason={"final_grade": 1.0})
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is False


# --- lengths and the list cap (Python API) ---------------------------------------------------------
@pytest.mark.parametrize("field", ["namespace", "name", "display_name"])
def test_a_requirement_text_longer_than_its_column_is_invalid(credit_course, field):
    too_long = {**TWO_REQUIREMENTS[1], field: "x" * 256}
    with pytest.raises(api.InvalidCreditRequirements) as excinfo:
        api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0], too_long])
    assert excinfo.value.detail == {"1": {field: ["Ensure this field has no more than 255 characters."]}}
    assert api.get_credit_requirements(COURSE_KEY) == [
        {**TWO_REQUIREMENTS[0], "order": 0},
        {**TWO_REQUIREMENTS[1], "order": 1},
    ]
    longest = {**TWO_REQUIREMENTS[1], field: "x" * 255}
    api.set_credit_requirements(COURSE_KEY, [longest])
    assert api.get_credit_requirements(COURSE_KEY) == [{**longest, "order": 0}]


def test_a_course_key_longer_than_its_column_is_invalid(db):
    too_long = "course-v1:edX+" + "N" * 300 + "+1T2015"
    with pytest.raises(api.InvalidCourseKey):
        api.set_credit_requirements(too_long, TWO_REQUIREMENTS)
    with pytest.raises(api.InvalidCourseKey):
        api.is_credit_course(too_long)


def test_a_requirement_list_over_the_cap_is_invalid(credit_course):
    requirements = [
        {"namespace": "exam", "name": f"exam-{index}", "display_name": "Exam", "criteria": {}}
        for index in range(MAX_REQUIREMENTS_PER_COURSE + 1)
    ]
    with pytest.raises(api.InvalidCreditRequirements) as excinfo:
        api.set_credit_requirements(COURSE_KEY, requirements)
    assert excinfo.value.detail == {"requirements": ["A course has at most 100 requirements; got 101."]}
    assert CreditRequirement.objects.count() == 2
    api.set_credit_requirements(COURSE_KEY, requirements[:MAX_REQUIREMENTS_PER_COURSE])
    assert len(api.get_credit_requirements(COURSE_KEY)) == MAX_REQUIREMENTS_PER_COURSE


def test_an_unchanged_requirement_is_not_rewritten(credit_course):
    before = dict(CreditRequirement.objects.values_list("namespace", "modified"))
    later = timezone.now() + timedelta(hours=1)
    with freeze_time(later):
        api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0], {**TWO_REQUIREMENTS[1], "display_name": "New"}])
    exam, grade = CreditRequirement.objects.order_by("order")
    assert exam.modified == before["proctored_exam"]  # same values, same position: left alone
    assert grade.modified == later
    assert grade.display_name == "New"


# --- eligibility re-checked ------------------------------------------------------------------------
def test_a_repeated_satisfied_grants_an_eligibility_that_was_missed(credit_course, django_capture_on_commit_callbacks):
    # Both statuses exist but no eligibility: as left by a status written before the requirement
    # list reached its current shape (or by any write that missed the moment of completion).
    user = UserFactory(email="ron@example.com")
    for requirement in CreditRequirement.objects.all():
        CreditRequirementStatusFactory(learner=user, requirement=requirement, status="satisfied")
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is False
    with django_capture_on_commit_callbacks(execute=True):
        outcome = api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
    assert outcome == StatusOutcome.UNCHANGED
    assert api.is_user_eligible_for_credit(user.username, COURSE_KEY) is True
    assert [message.to for message in mail.outbox] == [["ron@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        api.set_credit_requirement_status(user, COURSE_KEY, *EXAM)
    assert CreditEligibility.objects.count() == 1
    assert len(mail.outbox) == 1  # granted and mailed once


def test_removing_the_requirement_a_learner_lacked_makes_them_eligible(
    credit_course, django_capture_on_commit_callbacks
):
    """The audit's case: exam satisfied, grade not; the admin drops grade; the LMS re-sends the exam."""
    ron = UserFactory(email="ron@example.com")
    hermione = UserFactory(email="hermione@example.com")
    api.set_credit_requirement_status(ron, COURSE_KEY, *EXAM)
    api.set_credit_requirement_status(hermione, COURSE_KEY, "grade", "grade")  # lacks the exam: stays out
    with django_capture_on_commit_callbacks(execute=True):
        api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0]])
    assert api.is_user_eligible_for_credit(ron.username, COURSE_KEY) is True
    assert api.is_user_eligible_for_credit(hermione.username, COURSE_KEY) is False
    assert [message.to for message in mail.outbox] == [["ron@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.set_credit_requirement_status(ron, COURSE_KEY, *EXAM) == StatusOutcome.UNCHANGED
    assert CreditEligibility.objects.filter(learner=ron).count() == 1
    assert len(mail.outbox) == 1


def test_a_shorter_list_grants_everyone_it_completes_in_a_fixed_number_of_queries(
    credit_course, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    exam = CreditRequirement.objects.get(namespace="proctored_exam")
    grade = CreditRequirement.objects.get(namespace="grade")
    completed = UserFactory.create_batch(30)
    for user in completed:
        CreditRequirementStatusFactory(learner=user, requirement=exam, status="satisfied")
    failed_exam = UserFactory()
    CreditRequirementStatusFactory(learner=failed_exam, requirement=exam, status="failed")
    CreditRequirementStatusFactory(learner=failed_exam, requirement=grade, status="satisfied")
    with freeze_time(timezone.now() - timedelta(days=400)):
        expired = CreditEligibilityFactory(course=credit_course)
    CreditRequirementStatusFactory(learner=expired.learner, requirement=exam, status="satisfied")
    with django_assert_max_num_queries(15):  # 14, and one INSERT of the 30 grants' history rows
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0]])
        assert len(callbacks) == 1  # the grant runs after the list is committed
        with django_capture_on_commit_callbacks(execute=False) as emails:
            callbacks[0]()
    eligible = set(CreditEligibility.objects.filter(deadline__gt=timezone.now()).values_list("learner", flat=True))
    assert eligible == {user.pk for user in completed}
    assert not api.is_user_eligible_for_credit(expired.learner.username, COURSE_KEY)  # not granted again
    assert len(emails) == 1  # one after-commit callback queues the 30 emails
    emails[0]()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(user.email for user in completed)


def test_batches_of_learners_are_granted_each_under_their_own_lock(
    credit_course, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("credit.services.ELIGIBILITY_GRANT_BATCH", 4)
    exam = CreditRequirement.objects.get(namespace="proctored_exam")
    users = UserFactory.create_batch(10)
    for user in users:
        CreditRequirementStatusFactory(learner=user, requirement=exam, status="satisfied")
    with django_capture_on_commit_callbacks(execute=True):
        api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0]])
    assert CreditEligibility.objects.count() == 10
