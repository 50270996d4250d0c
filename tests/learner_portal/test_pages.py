"""The learner's own program pages and GET /api/credentials/v1/learners/me/programs/."""

import re
from html import unescape
from types import SimpleNamespace

import pytest
from django.test import Client
from rest_framework import status

from tests.conftest import grant
from tests.factories import UserFactory
from tests.learner_portal.conftest import EXCLUDED_EXPLANATION, NEXT_STEP


def text_of(html: bytes) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html.decode())).split())


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("path", ["/learner/programs/", "/learner/programs/00000000-0000-4000-8000-000000000000/"])
def test_anonymous_is_sent_to_sign_in(learner_data: SimpleNamespace, path: str) -> None:
    response = Client().get(path)

    assert response.status_code == status.HTTP_302_FOUND
    assert response["Location"] == f"/learner/login/?next={path}"


def test_the_list_shows_the_learners_programs_progress_next_step_and_explanation(
    learner_data: SimpleNamespace,
) -> None:
    response = client_for(learner_data.sam).get("/learner/programs/")

    assert response.status_code == status.HTTP_200_OK
    text = text_of(response.content)
    assert "Your programs" in text
    assert "Data Science" in text
    assert "1 of 2 courses completed" in text
    assert f"Next step: {NEXT_STEP}" in text
    assert EXCLUDED_EXPLANATION in text
    # Learner words: no run keys, no other program.
    assert "course-v1:" not in text
    assert "Private Other Program" in text  # sam's Statistics certificate belongs to it too


def test_the_detail_page_says_which_run_counts_and_which_does_not(learner_data: SimpleNamespace) -> None:
    response = client_for(learner_data.sam).get(f"/learner/programs/{learner_data.program.uuid}/")

    assert response.status_code == status.HTTP_200_OK
    text = text_of(response.content)
    assert EXCLUDED_EXPLANATION in text
    assert f"Next step: {NEXT_STEP}" in text
    assert "Starts 2 May 2023 · ends 1 August 2023 Does not count toward this program You earned a certificate" in text
    assert "Counts toward this program" in text
    assert "Statistics Completed" in text


def test_a_learner_cannot_open_another_learners_programs(learner_data: SimpleNamespace) -> None:
    kim = client_for(learner_data.kim)

    listed = kim.get("/learner/programs/?username=sam")
    detail = kim.get(f"/learner/programs/{learner_data.program.uuid}/?username=sam")
    own = kim.get(f"/learner/programs/{learner_data.program.uuid}/")

    assert listed.status_code == detail.status_code == status.HTTP_403_FORBIDDEN
    assert b"Data Science Basics" not in listed.content + detail.content
    # Kim's own view of the program: her own (empty) records, never sam's.
    assert own.status_code == status.HTTP_200_OK
    assert "does not count toward this program. To complete" not in text_of(own.content)
    assert "You earned a certificate" not in text_of(own.content)


def test_staff_see_exactly_what_the_learner_sees(learner_data: SimpleNamespace) -> None:
    staff = client_for(UserFactory(username="agent", is_staff=True))
    reader = UserFactory(username="reader")
    grant(reader, "learner_status_readers")

    as_sam = text_of(client_for(learner_data.sam).get("/learner/programs/").content)
    by_staff = text_of(staff.get("/learner/programs/?username=sam").content)
    by_reader = client_for(reader).get(f"/learner/programs/{learner_data.program.uuid}/?username=sam")

    assert "You are seeing exactly what sam sees." in by_staff
    assert by_staff.split("Programs of sam", 1)[1] == as_sam.split("Your programs", 2)[2]
    assert EXCLUDED_EXPLANATION in text_of(by_reader.content)
    assert staff.get("/learner/programs/?username=nobody").status_code == status.HTTP_404_NOT_FOUND


def test_unknown_program_is_a_404_page(learner_data: SimpleNamespace) -> None:
    response = client_for(learner_data.sam).get("/learner/programs/00000000-0000-4000-8000-000000000000/")

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert b"No program has the uuid" in response.content


def test_local_password_signs_a_learner_in(learner_data: SimpleNamespace) -> None:
    client = Client()

    response = client.post(
        "/learner/login/", {"username": "sam", "password": "sam-password-1", "next": "/learner/programs/"}
    )

    assert response.status_code == status.HTTP_302_FOUND
    assert response["Location"] == "/learner/programs/"
    assert client.get("/learner/programs/").status_code == status.HTTP_200_OK


def test_own_programs_api_answers_for_the_signed_in_learner_only(
    learner_data: SimpleNamespace, jwt_client: object
) -> None:
    sam = jwt_client("sam")  # type: ignore[operator]

    response = sam.get("/api/credentials/v1/learners/me/programs/")

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert [item["program"]["title"] for item in body] == ["Data Science", "Private Other Program"]
    data_science = body[0]
    assert data_science["username"] == "sam"
    assert data_science["next_step"]["code"] == "enroll"
    assert data_science["next_step"]["message"] == NEXT_STEP
    [warning] = data_science["warnings"]
    assert warning["code"] == "completed_excluded_run"
    assert warning["learner_message"] == EXCLUDED_EXPLANATION
    assert warning["run"]["timing"] == "ended"
    assert [c["status_label"] for c in data_science["courses"]] == ["In progress", "Completed"]
    assert data_science["courses"][0]["next_step"] == data_science["next_step"]
    assert Client().get("/api/credentials/v1/learners/me/programs/").status_code == status.HTTP_401_UNAUTHORIZED
