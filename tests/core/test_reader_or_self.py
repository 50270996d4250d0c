"""Reader-or-self is one DRF permission class declared on every view that reads one learner's data.

A view that forgets it (or checks by hand) fails here: each route is asked about another learner by
a plain learner (403), by that learner (not 403) and by a reader (not 403).
"""

import pytest
from rest_framework import status

from core.permissions import IsReaderOrSelf
from credentials_status.rest_api.v1 import views as status_views
from credit.rest_api.v1 import views as credit_views
from credit.rest_api.v1.permissions import IsCreditReaderOrSelf

PROGRAM = "00000000-0000-0000-0000-000000000001"
CREDIT_COURSE = "course-v1:edX+DemoX+1T2024"


def _ask(client, username):
    return {
        "cert status": client.post(
            "/api/credentials/v1/learner_cert_status/",
            {"username": username, "courses": [PROGRAM]},
            format="json",
        ),
        "bulk cert status": client.post(
            "/api/credentials/v1/bulk_learner_cert_status/",
            [{"username": username, "courses": [PROGRAM]}],
            format="json",
        ),
        "program status": client.post(
            "/api/credentials/v1/learner_program_status/",
            {"username": username, "program_uuid": PROGRAM},
            format="json",
        ),
        "learner programs": client.get(f"/api/credentials/v1/learners/{username}/programs/"),
        "credit eligibility": client.get("/api/credit/v1/eligibility/", {"username": username}),
        "credit requests": client.get("/api/credit/v1/requests/", {"username": username}),
        "credit requirement status": client.get(
            f"/api/credit/v1/courses/{CREDIT_COURSE}/requirements/status/", {"username": username}
        ),
    }


@pytest.mark.django_db
def test_a_learner_reads_only_their_own_and_a_reader_anyones(jwt_client):
    other = jwt_client("bo")
    own = _ask(jwt_client("ana"), "ana")
    refused = _ask(other, "ana")
    reader = _ask(jwt_client("support", roles=["learner_status_readers"]), "ana")

    for name, response in refused.items():
        assert response.status_code == status.HTTP_403_FORBIDDEN, (name, response.content)
    for name, response in (own | {f"{k} (reader)": v for k, v in reader.items()}).items():
        assert response.status_code != status.HTTP_403_FORBIDDEN, (name, response.content)


def test_the_views_declare_the_permission_class():
    declared = {
        status_views.LearnerCertStatusView: IsReaderOrSelf,
        status_views.BulkLearnerCertStatusView: IsReaderOrSelf,
        status_views.LearnerProgramStatusView: IsReaderOrSelf,
        status_views.LearnerProgramsView: IsReaderOrSelf,
        credit_views.EligibilityView: IsCreditReaderOrSelf,
        credit_views.CreditRequestsView: IsCreditReaderOrSelf,
    }
    for view, permission in declared.items():
        assert permission in view.permission_classes, view.__name__
