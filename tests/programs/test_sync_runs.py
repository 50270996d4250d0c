"""How a sync runs: the API (202 + status), the Celery task's retries, the command, and the not-configured case."""

import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.management import CommandError, call_command
from django.utils import timezone
from kombu import pools as kombu_pools
from rest_framework import status

from core.upstream import TASK_RETRY
from programs.discovery import UpstreamRateLimited, UpstreamUnavailable
from programs.models import CourseRun, Program, SyncRun, SyncStatus
from programs.tasks import program_sync_run, program_sync_scheduled
from settings.celery import app as celery_app
from tests.programs.test_sync import DEMO_2T2023, sample_catalog

pytestmark = pytest.mark.django_db

SYNCS = "/api/programs/v1/syncs/"


@pytest.fixture
def publisher(jwt_client):  # type: ignore[no-untyped-def]
    return jwt_client("publisher", roles=["catalog_publishers"])


@pytest.fixture
def queue_sync(publisher, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """POST /syncs/ (202), let the request's on_commit queue the task (it runs in-process: no broker
    in tests), then GET the sync's detail."""

    def queue(body: dict | None = None) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = publisher.post(SYNCS, body or {}, format="json")
        assert response.status_code == status.HTTP_202_ACCEPTED, response.json()
        assert response.json()["status"] == "queued"
        return publisher.get(f"{SYNCS}{response.json()['id']}/").json()

    return queue


@pytest.fixture
def unreachable_broker():  # type: ignore[no-untyped-def]
    """A broker configured (tasks are sent, not run in-process) but down: nothing listens on port 1."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    _reset_broker_connections()
    yield
    celery_app.conf.update(**saved)
    _reset_broker_connections()


def _reset_broker_connections() -> None:
    """Forget pooled connections and producers, so the next publish connects to the current broker_url."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()  # producer pools are cached per connection, process-wide


@pytest.fixture
def no_discovery(settings):  # type: ignore[no-untyped-def]
    settings.DISCOVERY_API_URL = None


def test_post_sync_queues_it_and_get_reports_counts(discovery, queue_sync):
    uuid = sample_catalog(discovery)

    detail = queue_sync()

    assert detail["status"] == "succeeded"
    assert (detail["created"], detail["updated"], detail["unchanged"], detail["retired"], detail["errors"]) == (
        1,
        0,
        0,
        0,
        0,
    )
    assert detail["counts"]["excluded_runs_found"] == 1
    assert detail["requested_by"] == "publisher" and detail["attempts"] == 1
    assert Program.objects.get(uuid=uuid).excluded_course_runs.get().key == DEMO_2T2023


def test_a_dry_run_through_the_api_changes_nothing(discovery, queue_sync):
    sample_catalog(discovery)
    body = queue_sync({"dry_run": True})
    assert body["status"] == "succeeded" and body["dry_run"] and body["created"] == 1
    assert not Program.objects.exists()


def test_sync_endpoints_refuse_anonymous_and_other_roles(api_client, jwt_client, discovery):
    other = jwt_client("issuer", roles=["credential_issuers"])
    assert api_client.post(SYNCS, {}, format="json").status_code == status.HTTP_401_UNAUTHORIZED
    assert other.post(SYNCS, {}, format="json").status_code == status.HTTP_403_FORBIDDEN
    assert other.get(f"{SYNCS}1/").status_code == status.HTTP_403_FORBIDDEN
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize("body", ["[]", "null", '"sync"', "[{}]"])
def test_a_body_that_is_not_an_object_is_400(discovery, publisher, body):
    response = publisher.post(SYNCS, body, content_type="application/json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["code"] == "validation"
    assert not SyncRun.objects.exists()


def test_an_empty_body_is_a_full_sync(discovery, publisher):
    sample_catalog(discovery)
    response = publisher.post(SYNCS)  # no body at all, no content type
    assert response.status_code == status.HTTP_202_ACCEPTED
    assert (response.json()["dry_run"], response.json()["program_uuids"]) == (False, [])


def test_unknown_sync_is_404(publisher):
    assert publisher.get(f"{SYNCS}999/").status_code == status.HTTP_404_NOT_FOUND


def test_without_discovery_the_api_says_the_sync_is_not_configured(no_discovery, publisher):
    response = publisher.post(SYNCS, {}, format="json")

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert (response.json()["code"], response.json()["reason"]) == ("sync-not-configured", "sync_not_configured")
    assert response.json()["title"] == "Discovery Sync Not Configured"
    assert "DISCOVERY_API_URL" in response.json()["detail"]
    assert not SyncRun.objects.exists()


# Autocommit, as in production (no ATOMIC_REQUESTS): the task is sent inside the request.
@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_answers_503_and_the_sync_is_recorded_failed(discovery, publisher, unreachable_broker):
    sample_catalog(discovery)

    response = publisher.post(SYNCS, {}, format="json")

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    body = response.json()
    assert (body["code"], body["reason"], body["title"]) == (
        "sync-queue-unavailable",
        "sync_queue_unavailable",
        "Sync Could Not Be Queued",
    )
    sync_run = SyncRun.objects.get()
    assert f"Sync {sync_run.pk} could not be queued" in body["detail"]
    assert sync_run.status == SyncStatus.FAILED and sync_run.finished_at is not None
    assert sync_run.error.startswith("Could not queue the sync, the task broker is unavailable: OperationalError")
    assert publisher.get(f"{SYNCS}{sync_run.pk}/").json()["status"] == "failed"
    assert not Program.objects.exists() and discovery.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_schedule_with_the_broker_down_records_a_failed_sync(discovery, unreachable_broker):
    sample_catalog(discovery)

    sync_run_id = program_sync_scheduled()

    sync_run = SyncRun.objects.get()
    assert sync_run_id == sync_run.pk
    assert (sync_run.trigger, sync_run.status) == ("schedule", SyncStatus.FAILED)
    assert "task broker is unavailable" in sync_run.error


def test_without_discovery_the_command_and_the_schedule_say_so(no_discovery):
    with pytest.raises(CommandError, match="DISCOVERY_API_URL"):
        call_command("sync_programs")
    assert program_sync_scheduled() is None
    assert not SyncRun.objects.exists()


def test_transient_errors_are_retried_then_succeed(discovery, queue_sync):
    sample_catalog(discovery)
    discovery.fail("programs", 503, times=2)

    body = queue_sync()

    sync_run = SyncRun.objects.get(pk=body["id"])
    assert (sync_run.status, sync_run.attempts) == (SyncStatus.SUCCEEDED, 3)
    assert Program.objects.count() == 1


def test_without_a_broker_a_429_is_not_retried_at_once_and_says_when_to_retry(discovery, queue_sync):
    sample_catalog(discovery)
    discovery.fail("programs", 429, times=6, headers={"Retry-After": "120"})

    before = timezone.now().replace(microsecond=0)
    body = queue_sync()

    sync_run = SyncRun.objects.get(pk=body["id"])
    assert (sync_run.status, sync_run.attempts) == (SyncStatus.FAILED, 1)
    prefix = "UpstreamRateLimited: Discovery throttled us (retry after 120.0 s). Not retried: run the sync again after "
    assert body["error"].startswith(prefix) and body["error"].endswith(".")
    retry_at = datetime.fromisoformat(body["error"][len(prefix) : -1])
    assert before + timedelta(seconds=120) <= retry_at <= timezone.now() + timedelta(seconds=120)
    assert len([r for r in discovery.requests if "/programs/" in r]) == 1
    assert not Program.objects.exists()


def test_with_a_broker_a_429_is_retried_no_sooner_than_retry_after(discovery, settings):
    sample_catalog(discovery)
    discovery.fail("programs", 429, headers={"Retry-After": "600"})
    sync_run = SyncRun.objects.create()

    # Called as a worker calls it (not eager): the task asks Celery to retry, with a countdown.
    with mock.patch.object(program_sync_run, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        program_sync_run(sync_run.pk)

    assert retry.call_args.kwargs["countdown"] >= 600
    assert isinstance(retry.call_args.kwargs["exc"], UpstreamRateLimited)
    sync_run.refresh_from_db()
    assert (sync_run.status, sync_run.attempts, sync_run.finished_at) == (SyncStatus.RETRYING, 1, None)


def test_with_a_broker_a_5xx_is_retried_by_celery_with_the_policys_backoff(discovery):
    sample_catalog(discovery)
    discovery.fail("programs", 503)
    sync_run = SyncRun.objects.create()

    with mock.patch.object(program_sync_run, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        program_sync_run(sync_run.pk)

    # Celery's autoretry_for: the first retry waits at most retry_backoff seconds (full jitter).
    assert 0 <= retry.call_args.kwargs["countdown"] <= TASK_RETRY.retry_backoff
    assert isinstance(retry.call_args.kwargs["exc"], UpstreamUnavailable)
    sync_run.refresh_from_db()
    assert sync_run.status == SyncStatus.RETRYING


def test_a_4xx_is_never_retried(discovery, queue_sync, settings):
    sample_catalog(discovery)
    settings.OAUTH2_CLIENT_SECRET = "wrong"  # the token endpoint answers 401

    body = queue_sync()

    sync_run = SyncRun.objects.get(pk=body["id"])
    assert (sync_run.status, sync_run.attempts) == (SyncStatus.FAILED, 1)
    assert "UpstreamUnauthorized" in sync_run.error
    assert discovery.tokens_issued == 0


def test_a_sync_stopped_by_the_retire_guard_is_recorded_as_aborted(discovery, queue_sync):
    sample_catalog(discovery)
    queue_sync()
    discovery.programs.clear()

    body = queue_sync()

    assert body["status"] == "aborted"
    assert "1 of 1" in body["error"]
    assert Program.objects.get().status == "active"


def test_backoff_grows_has_jitter_and_honours_retry_after():
    error = UpstreamUnavailable("x")
    first = [TASK_RETRY.countdown(0, error) for _ in range(50)]
    fourth = [TASK_RETRY.countdown(3, error) for _ in range(50)]
    assert max(first) <= 30 and max(fourth) <= 240 and max(fourth) > 30
    assert len(set(fourth)) > 1, "the countdown has jitter"
    assert TASK_RETRY.countdown(0, UpstreamRateLimited("x", retry_after=600)) == 600
    assert max(TASK_RETRY.countdown(20, error) for _ in range(50)) <= 30 * 60


def test_the_sync_task_declares_the_shared_retry_policy():
    assert program_sync_run.autoretry_for == TASK_RETRY.autoretry_for
    assert (program_sync_run.max_retries, program_sync_run.retry_backoff) == (5, 30)
    assert program_sync_run.retry_jitter is True


def test_the_command_dry_run_prints_what_would_change_and_changes_nothing(discovery, capsys):
    uuid = sample_catalog(discovery)

    call_command("sync_programs", "--dry-run")

    out = capsys.readouterr().out
    assert "dry run" in out
    assert f"would create program {uuid}" in out
    assert f"program {uuid} excludes {DEMO_2T2023}" in out
    assert "Dry run: would have created 1, updated 0, unchanged 0, retired 0 programs; 1 excluded runs found" in out
    # Progress while downloading (before the transaction opens), then while applying.
    assert "  download organizations: page 1, 1 of 1 read\n" in out
    assert "  download courses: page 1, 2 of 2 read\n" in out
    assert "  download programs: page 1, 1 of 1 read\n" in out
    assert out.index("download programs: page 1") < out.index("  programs: page 1, 1 of 1 applied\n")
    assert not Program.objects.exists() and not CourseRun.objects.exists()
    assert SyncRun.objects.get().dry_run


def test_the_command_shows_totals_and_the_time_left_while_it_reads_and_applies(discovery, capsys):
    for number in range(5):
        discovery.add_course(f"edX+C{number}", [f"course-v1:edX+C{number}+1T2024"])
    discovery.add_program("Five courses", [f"edX+C{number}" for number in range(5)])

    call_command("sync_programs")  # pages of 2 (PROGRAM_SYNC_PAGE_SIZE in the tests' settings)

    out = capsys.readouterr().out
    # The total comes from Discovery's ``count`` while downloading, from what was downloaded while applying.
    assert re.search(r"  download courses: page 1, 2 of 5 read, about \d+:\d\d:\d\d left\n", out), out
    assert re.search(r"  download courses: page 2, 4 of 5 read, about \d+:\d\d:\d\d left\n", out), out
    assert "  download courses: page 3, 5 of 5 read\n" in out  # done: no time left to show
    assert re.search(r"  courses: page 1, 2 of 5 applied, about \d+:\d\d:\d\d left\n", out), out
    assert "  courses: page 3, 5 of 5 applied\n" in out


def test_a_truncated_change_list_keeps_the_exclusion_lines_first(discovery, monkeypatch, capsys):
    monkeypatch.setattr("programs.sync.MAX_RECORDED_CHANGES", 3)
    uuid = sample_catalog(discovery)  # one program excluding one run
    for number in range(4):
        discovery.add_program(f"Program {number}", ["edX+StatsX"])

    call_command("sync_programs", "--dry-run")

    changes = SyncRun.objects.get().changes
    assert changes[0] == f"  program {uuid} excludes {DEMO_2T2023}"
    assert [line.split(" ")[0] for line in changes[1:]] == ["create", "create", "..."]
    out = capsys.readouterr().out
    assert out.index(f"  program {uuid} excludes {DEMO_2T2023}\n") < out.index("would create program")


def test_the_command_syncs_named_programs(discovery, capsys):
    uuid = sample_catalog(discovery)
    other = discovery.add_program("Other", ["edX+StatsX"])

    call_command("sync_programs", "--program", uuid)

    assert [str(u) for u in Program.objects.values_list("uuid", flat=True)] == [uuid]
    assert other not in capsys.readouterr().out


def test_the_command_fails_loudly_on_an_upstream_error(discovery):
    sample_catalog(discovery)
    discovery.fail("courses", 500)
    with pytest.raises(CommandError, match="failed: UpstreamUnavailable"):
        call_command("sync_programs")
    assert SyncRun.objects.get().status == SyncStatus.FAILED


def test_the_schedule_queues_a_full_sync(discovery, django_capture_on_commit_callbacks, settings):
    sample_catalog(discovery)
    with django_capture_on_commit_callbacks(execute=True):
        sync_run_id = program_sync_scheduled()

    sync_run = SyncRun.objects.get(pk=sync_run_id)
    assert (sync_run.trigger, sync_run.status, sync_run.program_uuids) == ("schedule", SyncStatus.SUCCEEDED, [])
    entry = settings.CELERY_BEAT_SCHEDULE["program-sync"]
    assert entry["task"] == "programs.tasks.program_sync_scheduled"
    assert entry["schedule"] == settings.PROGRAM_SYNC_INTERVAL_MINUTES * 60


def _running_since(minutes: int) -> SyncRun:
    run = SyncRun.objects.create(status=SyncStatus.RUNNING, trigger="command", attempts=1)
    SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(minutes=minutes))
    return run


def test_a_sync_killed_while_running_is_recorded_failed_when_the_next_one_is_requested(discovery, queue_sync, settings):
    settings.PROGRAM_SYNC_STALE_MINUTES = 30
    sample_catalog(discovery)
    killed, live = _running_since(31), _running_since(29)

    assert queue_sync()["status"] == "succeeded"

    killed.refresh_from_db()
    live.refresh_from_db()
    assert killed.status == SyncStatus.FAILED
    assert killed.finished_at is not None
    assert "stopped (killed or lost)" in killed.error
    assert live.status == SyncStatus.RUNNING  # younger than the limit: may still be working


def test_the_command_and_the_schedule_also_fail_stale_syncs(discovery, settings, django_capture_on_commit_callbacks):
    settings.PROGRAM_SYNC_STALE_MINUTES = 30
    sample_catalog(discovery)
    first = _running_since(45)
    call_command("sync_programs", "--dry-run")
    first.refresh_from_db()
    assert first.status == SyncStatus.FAILED
    second = _running_since(45)
    with django_capture_on_commit_callbacks(execute=True):
        program_sync_scheduled()
    second.refresh_from_db()
    assert second.status == SyncStatus.FAILED


def test_a_worker_stops_a_sync_at_the_stale_age(settings):
    assert program_sync_run.soft_time_limit == settings.PROGRAM_SYNC_STALE_MINUTES * 60
