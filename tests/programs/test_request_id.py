"""A sync queued by an API call: its log lines and its Discovery calls carry the call's request id."""

import logging

import pytest

from core.logging import RequestContextFilter
from tests.programs.test_sync import sample_catalog

# Committed transactions: the sync is queued when the view's transaction commits, inside the request.
pytestmark = pytest.mark.django_db(transaction=True)
REQUEST_ID = "5f0c2b8e9d1a4e3f8b7c6d5e4f3a2b1c"


def test_the_request_id_follows_an_in_process_sync_into_its_logs_and_discovery_calls(discovery, jwt_client, caplog):
    caplog.handler.addFilter(RequestContextFilter())
    caplog.set_level(logging.INFO)
    sample_catalog(discovery)
    publisher = jwt_client("publisher", roles=["catalog_publishers"])
    response = publisher.post("/api/programs/v1/syncs/", {}, format="json", HTTP_X_REQUEST_ID=REQUEST_ID)
    assert response.status_code == 202, response.content
    assert response["X-Request-ID"] == REQUEST_ID, "the in-process task did not replace the request's id"
    ours = [r for r in caplog.records if r.name.startswith("programs.")]
    assert {"program_sync_queued", "program_sync_started", "program_sync_finished"} <= {r.msg for r in ours}
    assert {r.request_id for r in ours} == {REQUEST_ID}
    assert {r.task_name for r in ours if r.msg == "program_sync_finished"} == {"programs.tasks.program_sync_run"}
    assert discovery.request_ids and set(discovery.request_ids) == {REQUEST_ID}
