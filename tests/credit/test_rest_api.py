"""The credit REST API: shapes, roles and JSON errors (docs/decisions/0006-credit.rst)."""

from pathlib import Path

import pytest
from rest_framework import status
from rest_framework.test import APIClient

from core.models import User
from credit import api
from credit.models import CreditCourse, CreditProvider, CreditRequirement
from credit.services import MAX_REQUIREMENTS_PER_COURSE
from tests.credit.conftest import COURSE_KEY, TWO_REQUIREMENTS
from tests.credit.factories import CreditCourseFactory, CreditEligibilityFactory, CreditProviderFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/credit/v1"
COURSE = f"{BASE}/courses/{COURSE_KEY}"
EXAM = {"namespace": "proctored_exam", "name": "i4x://edX/DemoX/proctoring-block/final_uuid"}


@pytest.fixture
def admin(jwt_client):  # type: ignore[no-untyped-def]
    return jwt_client("registrar", roles=["credit_admins"])


# --- authentication and roles ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/providers/"),
        ("post", "/providers/"),
        ("get", "/providers/hogwarts/"),
        ("patch", "/providers/hogwarts/"),
        ("get", f"/courses/{COURSE_KEY}/"),
        ("put", f"/courses/{COURSE_KEY}/"),
        ("get", f"/courses/{COURSE_KEY}/requirements/"),
        ("put", f"/courses/{COURSE_KEY}/requirements/"),
        ("get", f"/courses/{COURSE_KEY}/requirements/status/?username=ron"),
        ("put", f"/courses/{COURSE_KEY}/requirements/status/"),
        ("delete", f"/courses/{COURSE_KEY}/requirements/status/"),
        ("get", "/eligibility/?username=ron"),
        ("post", "/providers/hogwarts/request/"),
        ("get", "/requests/?username=ron"),
    ],
)
def test_anonymous_callers_get_401(method, path):
    response = getattr(APIClient(), method)(BASE + path, {}, format="json")
    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert response.json()["status"] == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/providers/", {"provider_id": "x", "display_name": "X"}),
        ("patch", "/providers/hogwarts/", {"active": False}),
        ("put", f"/courses/{COURSE_KEY}/", {"enabled": True}),
        ("put", f"/courses/{COURSE_KEY}/requirements/", TWO_REQUIREMENTS),
        ("put", f"/courses/{COURSE_KEY}/requirements/status/", {**EXAM, "username": "ron", "status": "satisfied"}),
        ("delete", f"/courses/{COURSE_KEY}/requirements/status/", {**EXAM, "username": "ron"}),
    ],
)
@pytest.mark.parametrize("roles", [[], ["learner_status_readers"], ["credential_issuers"]])
def test_configuration_needs_credit_admins(jwt_client, credit_course, method, path, body, roles):
    client = jwt_client("ron", roles=roles)
    response = getattr(client, method)(BASE + path, body, format="json")
    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert response.json()["code"] == "authz"


@pytest.mark.parametrize(
    "path",
    [
        f"/courses/{COURSE_KEY}/requirements/status/?username=hermione",
        "/eligibility/?username=hermione",
        "/requests/?username=hermione",
    ],
)
def test_a_learner_reads_only_their_own_data(jwt_client, credit_course, path):
    UserFactory(username="hermione")
    assert jwt_client("ron").get(BASE + path).status_code == status.HTTP_403_FORBIDDEN
    assert jwt_client("hermione").get(BASE + path).status_code == status.HTTP_200_OK
    assert jwt_client("support", roles=["learner_status_readers"]).get(BASE + path).status_code == status.HTTP_200_OK
    assert jwt_client("registrar", roles=["credit_admins"]).get(BASE + path).status_code == status.HTTP_200_OK


@pytest.mark.parametrize(
    "path",
    [
        f"/courses/{COURSE_KEY}/requirements/status/?username=hermione",
        "/eligibility/?username=hermione",
        "/requests/?username=hermione",
    ],
)
def test_learner_credit_data_is_read_by_the_roles_the_documented_table_grants_and_no_other(
    jwt_client, credit_course, path
):
    """credit_admins read learners' credit data: a grant docs/roles.rst adds to the contract's table."""
    UserFactory(username="hermione")
    for role in ("catalog_publishers", "credential_issuers", "enrollment_admins"):
        assert jwt_client(f"holder_of_{role}", roles=[role]).get(BASE + path).status_code == status.HTTP_403_FORBIDDEN
    assert jwt_client("registrar", roles=["credit_admins"]).get(BASE + path).status_code == status.HTTP_200_OK
    assert jwt_client("lead", administrator=True).get(BASE + path).status_code == status.HTTP_200_OK
    roles_doc = (Path(__file__).resolve().parents[2] / "docs" / "roles.rst").read_text()
    credit_admins_row = " ".join(roles_doc.split("* - ``credit_admins``")[1].split("* - ")[0].split())
    assert "read any learner's credit requirement statuses, eligibilities and credit requests" in credit_admins_row


def test_a_learner_requests_credit_only_for_themselves(jwt_client, credit_course, provider):
    for caller in ("ron", "registrar"):
        client = jwt_client(caller, roles=["credit_admins", "learner_status_readers"] if caller != "ron" else [])
        response = client.post(
            f"{BASE}/providers/hogwarts/request/", {"username": "hermione", "course_key": COURSE_KEY}, format="json"
        )
        assert response.status_code == status.HTTP_403_FORBIDDEN


# --- providers ---------------------------------------------------------------------------------
def test_credit_admin_creates_and_updates_a_provider(admin):
    body = {
        "provider_id": "hogwarts",
        "display_name": "Hogwarts",
        "provider_url": "https://credit.example.com/",
        "enable_integration": True,
        "fulfillment_instructions": "<p>Owl us.</p>",
    }
    response = admin.post(f"{BASE}/providers/", body, format="json")
    assert response.status_code == status.HTTP_201_CREATED, response.json()
    assert response.json()["id"] == "hogwarts"
    assert response.json()["url"] == "https://credit.example.com/"
    again = admin.post(f"{BASE}/providers/", body, format="json")
    assert again.status_code == status.HTTP_409_CONFLICT
    assert again.json()["code"] == "conflict"
    response = admin.patch(
        f"{BASE}/providers/hogwarts/", {"active": False, "display_name": "Hogwarts U"}, format="json"
    )
    assert response.status_code == status.HTTP_200_OK
    provider = CreditProvider.objects.get()
    assert (provider.active, provider.display_name, provider.enable_integration) == (False, "Hogwarts U", True)
    assert admin.patch(f"{BASE}/providers/nope/", {"active": True}, format="json").status_code == 404


@pytest.mark.parametrize("provider_id", ["has space", "semi;colon", "ü-nicode", ""])
def test_provider_ids_are_letters_digits_and_hyphens(admin, provider_id):
    response = admin.post(f"{BASE}/providers/", {"provider_id": provider_id, "display_name": "X"}, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "provider_id" in response.json()["errors"]


def test_learners_see_active_providers_and_admins_all(jwt_client, admin):
    CreditProviderFactory(provider_id="hogwarts")
    CreditProviderFactory(provider_id="asu")
    CreditProviderFactory(provider_id="closed", active=False)
    learner = jwt_client("ron")
    assert [p["id"] for p in learner.get(f"{BASE}/providers/").json()] == ["asu", "hogwarts"]
    assert [p["id"] for p in learner.get(f"{BASE}/providers/?provider_ids=hogwarts,closed").json()] == ["hogwarts"]
    assert learner.get(f"{BASE}/providers/closed/").status_code == status.HTTP_404_NOT_FOUND
    assert learner.get(f"{BASE}/providers/asu/").json()["id"] == "asu"
    assert [p["id"] for p in admin.get(f"{BASE}/providers/").json()] == ["asu", "closed", "hogwarts"]
    assert admin.get(f"{BASE}/providers/closed/").json()["active"] is False


def test_provider_list_costs_one_query_however_many(jwt_client, django_assert_max_num_queries):
    for index in range(20):
        CreditProviderFactory(provider_id=f"p{index}")
    client = jwt_client("ron")
    client.get(f"{BASE}/providers/")
    # Authentication (user, and pending enrollments of the token's email: ADR 0007), the role check, the list.
    with django_assert_max_num_queries(4):
        assert len(client.get(f"{BASE}/providers/").json()) == 20


# --- courses and requirements ------------------------------------------------------------------
def test_credit_course_put_and_get(admin):
    response = admin.put(f"{COURSE}/", {"enabled": True}, format="json")
    assert response.status_code == status.HTTP_201_CREATED
    assert response.json() == {"course_key": COURSE_KEY, "enabled": True}
    response = admin.put(f"{COURSE}/", {"enabled": False}, format="json")
    assert response.status_code == status.HTTP_200_OK
    assert admin.get(f"{COURSE}/").json() == {"course_key": COURSE_KEY, "enabled": False}
    assert admin.get(f"{BASE}/courses/course-v1:edX+Nope+1T2015/").status_code == status.HTTP_404_NOT_FOUND


def test_course_key_must_be_a_course_run_key(admin):
    response = admin.put(f"{BASE}/courses/not-a-key/", {"enabled": True}, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "course_key" in response.json()["errors"]
    assert admin.put(f"{COURSE}/", {"enabled": "yes"}, format="json").status_code == status.HTTP_400_BAD_REQUEST


def test_requirements_put_and_get(admin, jwt_client):
    CreditCourseFactory(course_key=COURSE_KEY)
    response = admin.put(f"{COURSE}/requirements/", TWO_REQUIREMENTS, format="json")
    assert response.status_code == status.HTTP_200_OK, response.json()
    assert [(r["namespace"], r["order"]) for r in response.json()] == [("proctored_exam", 0), ("grade", 1)]
    learner = jwt_client("ron")
    assert len(learner.get(f"{COURSE}/requirements/").json()) == 2
    [grade] = learner.get(f"{COURSE}/requirements/?namespace=grade").json()
    assert grade == {**TWO_REQUIREMENTS[1], "order": 1}


def test_invalid_requirements_name_the_item_and_field(admin, credit_course):
    bad = [TWO_REQUIREMENTS[0], {"namespace": "grade", "name": "grade", "display_name": "Grade"}]
    response = admin.put(f"{COURSE}/requirements/", bad, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "1.criteria" in response.json()["errors"]
    assert admin.put(f"{COURSE}/requirements/", {"a": 1}, format="json").status_code == 400


def test_requirements_of_a_disabled_course_are_refused(admin):
    CreditCourseFactory(course_key=COURSE_KEY, enabled=False)
    response = admin.put(f"{COURSE}/requirements/", TWO_REQUIREMENTS, format="json")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["code"] == "not-found"
    assert response.json()["reason"] == "invalid_credit_course"


# --- statuses ----------------------------------------------------------------------------------
def test_status_put_get_delete(admin, jwt_client, credit_course):
    body = {**EXAM, "username": "ron", "status": "satisfied", "reason": {"proctored": True}}
    response = admin.put(f"{COURSE}/requirements/status/", body, format="json")
    assert response.status_code == status.HTTP_200_OK, response.json()
    assert response.json()["applied"] is True
    assert response.json()["status"] == "satisfied"
    items = jwt_client("ron").get(f"{COURSE}/requirements/status/?username=ron").json()
    assert [item["status"] for item in items] == ["satisfied", None]
    assert items[0]["reason"] == {"proctored": True}
    assert {"namespace", "name", "display_name", "criteria", "order", "status_date"} <= set(items[0])
    response = admin.delete(f"{COURSE}/requirements/status/", {**EXAM, "username": "ron"}, format="json")
    assert response.status_code == status.HTTP_204_NO_CONTENT
    items = jwt_client("ron").get(f"{COURSE}/requirements/status/?username=ron").json()
    assert items[0]["status"] is None


def test_a_refused_status_change_says_which_rule(admin, credit_course):
    admin.put(f"{COURSE}/requirements/status/", {**EXAM, "username": "ron", "status": "satisfied"}, format="json")
    response = admin.put(
        f"{COURSE}/requirements/status/", {**EXAM, "username": "ron", "status": "failed"}, format="json"
    )
    assert response.status_code == status.HTTP_200_OK
    assert response.json()["applied"] is False
    assert response.json()["outcome"] == "satisfied_never_fails"
    assert response.json()["status"] == "satisfied"


def test_status_errors(admin, credit_course):
    url = f"{COURSE}/requirements/status/"
    response = admin.put(url, {**EXAM, "username": "ron", "status": "passed"}, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "status" in response.json()["errors"]
    # As the LMS: a requirement the course does not have is skipped (200), and says so.
    response = admin.put(url, {**EXAM, "name": "other", "username": "ron", "status": "failed"}, format="json")
    assert response.status_code == status.HTTP_200_OK
    assert (response.json()["applied"], response.json()["outcome"]) == (False, "requirement_not_found")
    response = admin.delete(url, {**EXAM, "name": "other", "username": "ron"}, format="json")
    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert admin.get(url).status_code == status.HTTP_400_BAD_REQUEST  # username is required
    unknown = f"{BASE}/courses/course-v1:edX+Nope+1T2015/requirements/status/?username=ron"
    assert admin.get(unknown).status_code == status.HTTP_404_NOT_FOUND


def test_status_read_costs_a_fixed_number_of_queries(jwt_client, credit_course, django_assert_max_num_queries):
    requirements = [
        {"namespace": "exam", "name": f"exam-{index}", "display_name": f"Exam {index}", "criteria": {}}
        for index in range(15)
    ]
    api.set_credit_requirements(COURSE_KEY, requirements)
    user = UserFactory(username="ron")
    for requirement in requirements:
        api.set_credit_requirement_status(user, COURSE_KEY, "exam", requirement["name"])
    client = jwt_client("ron")
    client.get(f"{COURSE}/requirements/status/?username=ron")
    with django_assert_max_num_queries(6):
        assert len(client.get(f"{COURSE}/requirements/status/?username=ron").json()) == 15


# --- eligibility and requests --------------------------------------------------------------------
def test_eligibility_lists_current_eligibilities(jwt_client, credit_course):
    user = UserFactory(username="ron")
    CreditEligibilityFactory(learner=user, course=credit_course)
    CreditEligibilityFactory(learner=user, course=CreditCourseFactory(enabled=False))
    client = jwt_client("ron")
    [item] = client.get(f"{BASE}/eligibility/?username=ron").json()
    assert item["username"] == "ron"
    assert item["course_key"] == COURSE_KEY
    assert item["deadline"]
    assert client.get(f"{BASE}/eligibility/", {"username": "ron", "course_key": COURSE_KEY}).json() == [item]
    # A client that forgot to encode the '+' of the key is understood too.
    assert client.get(f"{BASE}/eligibility/?username=ron&course_key={COURSE_KEY}").json() == [item]
    other = "course-v1:edX+Other+1T2015"
    assert client.get(f"{BASE}/eligibility/?username=ron&course_key={other}").json() == []
    assert client.get(f"{BASE}/eligibility/").status_code == status.HTTP_400_BAD_REQUEST


def test_request_errors_are_json(jwt_client, credit_course, provider):
    client = jwt_client("ron")
    url = f"{BASE}/providers/hogwarts/request/"
    response = client.post(url, {"username": "ron", "course_key": COURSE_KEY}, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["reason"] == "user_not_eligible"
    assert response.json()["code"] == "invalid-credit-request"
    assert "not eligible" in response.json()["detail"]
    response = client.post(
        f"{BASE}/providers/nope/request/", {"username": "ron", "course_key": COURSE_KEY}, format="json"
    )
    assert response.status_code == status.HTTP_404_NOT_FOUND
    response = client.post(url, {"username": "ron", "course_key": "bogus"}, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert client.post(url, {"username": "ron"}, format="json").status_code == status.HTTP_400_BAD_REQUEST


def test_request_for_a_provider_without_a_secret_is_400(jwt_client, credit_course, settings):
    settings.CREDIT_PROVIDER_SECRET_KEYS = {}
    CreditProviderFactory(provider_id="hogwarts", enable_integration=True)
    CreditEligibilityFactory(learner=UserFactory(username="ron"), course=credit_course)
    response = jwt_client("ron").post(
        f"{BASE}/providers/hogwarts/request/", {"username": "ron", "course_key": COURSE_KEY}, format="json"
    )
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["reason"] == "credit_provider_not_configured"


def test_a_completed_request_is_a_400(jwt_client, credit_course, provider):
    ron = UserFactory(username="ron")
    api.set_credit_requirement_status(ron, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.9})
    CreditEligibilityFactory(learner=ron, course=credit_course)
    client = jwt_client("ron")
    url = f"{BASE}/providers/hogwarts/request/"
    request_uuid = client.post(url, {"username": "ron", "course_key": COURSE_KEY}, format="json").json()["parameters"][
        "request_uuid"
    ]
    api.update_credit_request_status(request_uuid, "hogwarts", "rejected")
    response = client.post(url, {"username": "ron", "course_key": COURSE_KEY}, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["reason"] == "request_already_completed"
    [listed] = client.get(f"{BASE}/requests/?username=ron").json()
    assert listed["status"] == "rejected"
    assert listed["provider"] == {"id": "hogwarts", "display_name": "Hogwarts School"}


def test_a_status_for_an_unknown_course_creates_no_learner(admin):
    body = {**EXAM, "username": "ghost", "status": "satisfied"}
    response = admin.put(f"{BASE}/courses/course-v1:edX+Nope+1T2015/requirements/status/", body, format="json")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert not User.objects.filter(username="ghost").exists()


# --- lengths the database could not hold -------------------------------------------------------------
def course_key_of_length(length: int) -> str:
    prefix, suffix = "course-v1:edX+", "+1T2015"
    return prefix + "N" * (length - len(prefix) - len(suffix)) + suffix


def test_a_course_key_longer_than_its_column_is_the_invalid_course_key_400(admin):
    longest = course_key_of_length(255)
    response = admin.put(f"{BASE}/courses/{longest}/", {"enabled": True}, format="json")
    assert response.status_code == status.HTTP_201_CREATED, response.json()
    assert response.json() == {"course_key": longest, "enabled": True}
    too_long = course_key_of_length(256)
    response = admin.put(f"{BASE}/courses/{too_long}/", {"enabled": True}, format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["errors"] == {"course_key": ["The course run key is longer than 255 characters."]}
    assert list(CreditCourse.objects.values_list("course_key", flat=True)) == [longest]
    # The same check guards every path that takes a key (here: a query string and a request body).
    assert admin.get(f"{BASE}/courses/{too_long}/requirements/").status_code == status.HTTP_400_BAD_REQUEST
    assert admin.get(f"{BASE}/requests/?username=ron&course_key={too_long}").status_code == 400


@pytest.mark.parametrize(
    "provider_path",
    [
        "has%20space",
        "semi;colon",
        "%C3%BC-nicode",
        "under_score",
        "p" * 256,
    ],
)
@pytest.mark.parametrize("suffix", ["", "request/", "callback/"])
def test_a_provider_id_outside_its_alphabet_or_length_is_the_json_404(admin, provider_path, suffix):
    response = admin.post(f"{BASE}/providers/{provider_path}/{suffix}", {}, format="json")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    body = response.json()
    # Django's JSON 404 (no view was reached), not the view's credit_provider_not_found.
    assert (body["code"], body["status"]) == ("not-found", 404)
    assert "reason" not in body


def test_the_longest_provider_id_reaches_the_view(admin):
    provider_id = "p" * 255
    response = admin.post(f"{BASE}/providers/", {"provider_id": provider_id, "display_name": "P"}, format="json")
    assert response.status_code == status.HTTP_201_CREATED, response.json()
    assert admin.get(f"{BASE}/providers/{provider_id}/").json()["id"] == provider_id
    response = admin.get(f"{BASE}/providers/{'q' * 255}/")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["reason"] == "credit_provider_not_found"


# --- the requirement list cap and bulk writes ------------------------------------------------------
def many_requirements(count: int, display: str = "Exam") -> list[dict]:
    return [
        {"namespace": "exam", "name": f"exam-{index}", "display_name": f"{display} {index}", "criteria": {}}
        for index in range(count)
    ]


def test_a_requirement_list_over_the_cap_is_a_400_naming_the_limit(admin, credit_course):
    response = admin.put(f"{COURSE}/requirements/", many_requirements(MAX_REQUIREMENTS_PER_COURSE + 1), format="json")
    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["errors"] == {
        "non_field_errors": [
            f"At most {MAX_REQUIREMENTS_PER_COURSE} items; this list has {MAX_REQUIREMENTS_PER_COURSE + 1}."
        ]
    }
    # Nothing changed: the two requirements of the fixture are still the active list.
    assert [(r["namespace"], r["order"]) for r in admin.get(f"{COURSE}/requirements/").json()] == [
        ("proctored_exam", 0),
        ("grade", 1),
    ]
    assert CreditRequirement.objects.count() == 2


def test_a_list_at_the_cap_is_written_in_a_fixed_number_of_queries(admin, credit_course, django_assert_max_num_queries):
    assert MAX_REQUIREMENTS_PER_COURSE == 100
    url = f"{COURSE}/requirements/"
    # 14: the token's first request stores its claims (one read more than a returning learner's).
    with django_assert_max_num_queries(14):
        response = admin.put(url, many_requirements(MAX_REQUIREMENTS_PER_COURSE), format="json")
    assert response.status_code == status.HTTP_200_OK, response.json()
    assert len(response.json()) == MAX_REQUIREMENTS_PER_COURSE
    assert response.json()[99] == {
        "namespace": "exam",
        "name": "exam-99",
        "display_name": "Exam 99",
        "criteria": {},
        "order": 99,
    }
    # Renaming all of them, in reverse order, is one bulk update too.
    with django_assert_max_num_queries(13):
        response = admin.put(url, many_requirements(MAX_REQUIREMENTS_PER_COURSE, "Quiz")[::-1], format="json")
    assert [(r["name"], r["display_name"], r["order"]) for r in response.json()[:2]] == [
        ("exam-99", "Quiz 99", 0),
        ("exam-98", "Quiz 98", 1),
    ]
    assert CreditRequirement.objects.filter(active=True).count() == MAX_REQUIREMENTS_PER_COURSE
    assert CreditRequirement.objects.filter(active=False).count() == 2  # the fixture's, kept inactive
