"""The Discovery sync against a fake Discovery at the HTTP boundary (real payload shapes)."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from programs.discovery import DiscoveryClient, UpstreamRateLimited, UpstreamUnavailable
from programs.exceptions import SyncAborted
from programs.models import Course, CourseRun, Organization, Program, ProgramCourse, ProgramSource, ProgramStatus
from programs.services import course_run_remove, course_run_upsert, program_create
from programs.sync import _ProgramSync, program_sync
from tests.factories import CredentialFactory
from tests.programs.fake_discovery import fake_uuid

pytestmark = pytest.mark.django_db

DEMO_1T2024 = "course-v1:edX+DemoX+1T2024"
DEMO_2T2023 = "course-v1:edX+DemoX+2T2023"
STATS_RUNS = ["course-v1:edX+StatsX+1T2025", "course-v1:edX+StatsX+2T2025"]


def sample_catalog(fake):  # type: ignore[no-untyped-def]
    """Discovery's documented sample: DemoX has 2T2023 in /courses/ but not in the program."""
    fake.add_course("edX+DemoX", [DEMO_1T2024, DEMO_2T2023])
    fake.add_course("edX+StatsX", STATS_RUNS)
    return fake.add_program("Data Science Fundamentals", ["edX+DemoX", "edX+StatsX"], excluded=(DEMO_2T2023,))


def excluded_keys(uuid: str) -> set[str]:
    return set(Program.objects.get(uuid=uuid).excluded_course_runs.values_list("key", flat=True))


def test_a_run_missing_from_the_program_payload_is_excluded(discovery, make_client):
    uuid = sample_catalog(discovery)

    result = program_sync(client=make_client())

    program = Program.objects.get(uuid=uuid)
    assert program.source == ProgramSource.DISCOVERY
    assert program.status == ProgramStatus.ACTIVE
    assert (program.title, program.type, program.type_slug) == (
        "Data Science Fundamentals",
        "Professional Certificate",
        "professional-certificate",
    )
    assert [pc.course.key for pc in program.program_courses.select_related("course")] == ["edX+DemoX", "edX+StatsX"]
    assert excluded_keys(uuid) == {DEMO_2T2023}
    assert list(program.authoring_organizations.values_list("key", flat=True)) == ["edX"]
    assert program.data_modified_timestamp.isoformat() == "2025-09-02T10:11:12.345678+00:00"
    run = CourseRun.objects.get(key=DEMO_1T2024)
    assert str(run.uuid) == fake_uuid(f"run:{DEMO_1T2024}")
    assert (run.status, run.type, run.uuid_from_discovery) == ("published", "verified", True)
    assert result.counts.programs_created == 1
    assert result.counts.excluded_runs_found == 1
    assert result.counts.course_runs_created == 4


def test_restricted_runs_are_not_mistaken_for_excluded_ones(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    discovery.courses["edX+DemoX"]["course_runs"].append(
        {
            **discovery.courses["edX+DemoX"]["course_runs"][0],
            "key": "course-v1:edX+DemoX+B2C",
            "uuid": fake_uuid("b2c"),
            "restriction_type": "custom-b2c",
        }
    )
    uuid = discovery.add_program("Restricted", ["edX+DemoX"])

    program_sync(client=make_client())
    assert excluded_keys(uuid) == set()

    # Asked for restricted runs (on both calls), the run is synced and still not excluded.
    program_sync(client=make_client(include_restricted=("custom-b2c", "custom-b2b-enterprise")))
    assert CourseRun.objects.get(key="course-v1:edX+DemoX+B2C").restriction_type == "custom-b2c"
    assert excluded_keys(uuid) == set()
    assert all(
        "include_restricted=custom-b2c" in r for r in discovery.requests[-2:] if "programs" in r or "courses" in r
    )


def test_by_default_restricted_runs_are_synced_and_their_exclusion_seen(discovery):
    b2b = "course-v1:edX+DemoX+B2B"
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    discovery.courses["edX+DemoX"]["course_runs"].append(
        {
            **discovery.courses["edX+DemoX"]["course_runs"][0],
            "key": b2b,
            "uuid": fake_uuid("b2b"),
            "restriction_type": "custom-b2b-enterprise",
        }
    )
    uuid = discovery.add_program("Enterprise excluded", ["edX+DemoX"], excluded=(b2b,))

    program_sync(client=DiscoveryClient.from_settings())  # the settings' defaults

    assert CourseRun.objects.get(key=b2b).restriction_type == "custom-b2b-enterprise"
    assert excluded_keys(uuid) == {b2b}
    catalog_calls = [r for r in discovery.requests if "/courses/" in r or "/programs/" in r]
    assert catalog_calls and all("include_restricted=custom-b2c%2Ccustom-b2b-enterprise" in r for r in catalog_calls)


def test_an_explicit_excluded_course_runs_list_wins_over_inference(discovery, make_client):
    uuid = sample_catalog(discovery)
    # A patched Discovery states the list: StatsX 1T2025 (nested all the same) and not DemoX 2T2023.
    discovery.programs[uuid]["excluded_course_runs"] = [{"key": STATS_RUNS[0]}]

    program_sync(client=make_client())

    assert excluded_keys(uuid) == {STATS_RUNS[0]}


def test_pages_are_followed_with_page_and_page_size(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    uuids = [discovery.add_program(f"Program {i}", ["edX+DemoX"]) for i in range(5)]

    program_sync(client=make_client(page_size=2))

    assert set(Program.objects.values_list("uuid", flat=True)) == {__import__("uuid").UUID(u) for u in uuids}
    program_calls = [r for r in discovery.requests if "/programs/" in r]
    assert len(program_calls) == 3
    assert all("page_size=2" in r and "page=" in r for r in program_calls)


def test_the_token_is_fetched_once_reused_and_refreshed_when_expired_or_refused(discovery, make_client):
    sample_catalog(discovery)
    program_sync(client=make_client(page_size=1))
    assert discovery.tokens_issued == 1  # one token for the ~8 page requests

    with freeze_time(timezone.now() + timedelta(hours=2)):
        program_sync(client=make_client())
    assert discovery.tokens_issued == 2  # the cached one had expired

    discovery.tokens_issued += 1  # Discovery revokes the token we hold: the next call gets a 401
    result = program_sync(client=make_client())
    assert discovery.tokens_issued == 4  # fetched again after the 401, and the sync went through
    assert result.counts.programs_unchanged == 1


def test_429_raises_rate_limited_with_retry_after_and_applies_nothing(discovery, make_client):
    sample_catalog(discovery)
    discovery.fail("programs", 429, headers={"Retry-After": "120"})

    with pytest.raises(UpstreamRateLimited) as caught:
        program_sync(client=make_client())

    assert caught.value.retry_after == 120
    assert caught.value.retryable
    assert not Organization.objects.exists() and not CourseRun.objects.exists() and not Program.objects.exists()


def test_a_500_midway_leaves_the_previous_catalog_intact(discovery, make_client):
    uuids = [discovery.add_program(f"Program {i}", ["edX+DemoX"]) for i in range(4)]
    discovery.add_course("edX+DemoX", [DEMO_1T2024, DEMO_2T2023])
    program_sync(client=make_client(page_size=2))
    discovery.programs[uuids[0]]["title"] = "Renamed"
    discovery.exclusions[uuids[0]] = {DEMO_2T2023}
    discovery.courses["edX+DemoX"]["title"] = "New course title"
    discovery.add_program("Brand new", ["edX+DemoX"])
    discovery.fail("programs", 500, page=2)

    with pytest.raises(UpstreamUnavailable):
        program_sync(client=make_client(page_size=2))

    assert Program.objects.get(uuid=uuids[0]).title == "Program 0"  # page 1 was not half-applied
    assert excluded_keys(uuids[0]) == set()
    assert Course.objects.get(key="edX+DemoX").title == "Course edX+DemoX"
    assert Program.objects.count() == 4


def test_a_failure_while_applying_the_second_program_page_rolls_everything_back(discovery, make_client, monkeypatch):
    uuids = [discovery.add_program(f"Program {i}", ["edX+DemoX"]) for i in range(4)]
    discovery.add_course("edX+DemoX", [DEMO_1T2024, DEMO_2T2023])
    program_sync(client=make_client(page_size=2))
    before = catalog_state()
    # Changes on every stage: a new organization, course and run, a renamed course, a renamed program
    # on page 1 with a new exclusion, a new program on page 3.
    discovery.add_course("MITx+Physics", ["course-v1:MITx+Physics+1T2026"])
    discovery.courses["edX+DemoX"]["title"] = "New course title"
    discovery.programs[uuids[0]]["title"] = "Renamed"
    discovery.exclusions[uuids[0]] = {DEMO_2T2023}
    discovery.add_program("Brand new", ["MITx+Physics"])
    pages_applied = []
    apply = _ProgramSync._apply_programs

    def fail_on_the_second_page(self, items):  # type: ignore[no-untyped-def]
        pages_applied.append(len(items))
        if len(pages_applied) == 2:
            raise RuntimeError("a bug while applying page 2")
        apply(self, items)

    monkeypatch.setattr(_ProgramSync, "_apply_programs", fail_on_the_second_page)
    with pytest.raises(RuntimeError, match="page 2"):
        program_sync(client=make_client(page_size=2))

    assert pages_applied == [2, 2]  # page 1 was applied inside the transaction, then rolled back
    assert catalog_state() == before
    assert Program.objects.get(uuid=uuids[0]).title == "Program 0"


def catalog_state() -> dict[str, object]:
    """Every catalog row a sync writes, as comparable values."""
    return {
        "organizations": sorted(Organization.objects.values_list("key", "name", "uuid")),
        "courses": sorted(Course.objects.values_list("key", "title", "uuid", "organization__key")),
        "runs": sorted(CourseRun.objects.values_list("key", "title", "uuid", "course__key", "start", "end")),
        "programs": sorted(Program.objects.values_list("uuid", "title", "status", "modified")),
        "program_courses": sorted(ProgramCourse.objects.values_list("program__uuid", "course__key", "position")),
        "exclusions": sorted(
            Program.excluded_course_runs.through.objects.values_list("program__uuid", "courserun__key")
        ),
    }


def test_queries_grow_with_pages_and_stay_flat_with_rows(discovery, make_client):
    """Query counts of a first sync: the same for 2 pages of 2 or of 20 programs, and a fixed
    number more per page for 4 and 6 pages."""

    def first_sync_queries(programs: int, page_size: int) -> int:
        Program.objects.all().delete()
        CourseRun.objects.all().delete()
        Course.objects.all().delete()
        Organization.objects.all().delete()
        discovery.programs.clear()
        discovery.courses.clear()
        discovery.organizations.clear()
        discovery.add_course("edX+DemoX", [DEMO_1T2024, DEMO_2T2023])
        for i in range(programs):
            discovery.add_program(f"Program {i}", ["edX+DemoX"], excluded=(DEMO_2T2023,))
        with CaptureQueriesContext(connection) as ctx:
            result = program_sync(client=make_client(page_size=page_size))
        assert result.counts.programs_created == programs and result.counts.excluded_runs_found == programs
        return len(ctx.captured_queries)

    two_small, two_large = first_sync_queries(4, 2), first_sync_queries(40, 20)
    four, six = first_sync_queries(8, 2), first_sync_queries(12, 2)

    assert two_small == two_large, (two_small, two_large)  # flat with rows
    assert six - four == four - two_small, (two_small, four, six)  # linear in pages
    per_page = (four - two_small) / 2
    assert 0 < per_page <= 16, per_page  # a few bulk queries per program page


def test_an_empty_program_list_retires_nothing_and_reports(discovery, make_client):
    uuid = sample_catalog(discovery)
    program_sync(client=make_client())
    discovery.programs.clear()  # an outage answering 200 with no results

    with pytest.raises(SyncAborted) as caught:
        program_sync(client=make_client())

    assert (caught.value.would_retire, caught.value.total) == (1, 1)
    assert "PROGRAM_SYNC_MAX_RETIRE_FRACTION" in str(caught.value)
    assert Program.objects.get(uuid=uuid).status == ProgramStatus.ACTIVE


def test_a_program_removed_upstream_is_retired_never_deleted(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    uuids = [discovery.add_program(f"Program {i}", ["edX+DemoX"]) for i in range(10)]
    program_sync(client=make_client(page_size=5))
    credential = CredentialFactory(course_run=CourseRun.objects.get(key=DEMO_1T2024))
    local = Program.objects.create(title="Defined here")  # local programs are never retired by a sync
    del discovery.programs[uuids[3]]

    result = program_sync(client=make_client(page_size=5))

    gone = Program.objects.get(uuid=uuids[3])
    assert gone.status == ProgramStatus.RETIRED
    assert gone.missing_upstream_since is not None
    assert gone.program_courses.count() == 1
    assert result.counts.programs_retired == 1 and result.counts.programs_unchanged == 9
    assert any(uuids[3] in line and "retire" in line for line in result.changes)
    credential.refresh_from_db()
    local.refresh_from_db()
    assert local.status == ProgramStatus.ACTIVE

    # It comes back: active again, no longer marked missing.
    discovery.add_program("Program 3", ["edX+DemoX"])
    program_sync(client=make_client(page_size=5))
    gone.refresh_from_db()
    assert (gone.status, gone.missing_upstream_since) == (ProgramStatus.ACTIVE, None)


def test_a_run_moved_to_another_course_moves_and_stops_being_excluded(discovery, make_client):
    moving = "course-v1:edX+DemoX+3T2024"
    discovery.add_course("edX+DemoX", [DEMO_1T2024, moving])
    discovery.add_course("edX+StatsX", STATS_RUNS)
    uuid = discovery.add_program("P", ["edX+DemoX"], excluded=(moving,))
    program_sync(client=make_client())
    assert excluded_keys(uuid) == {moving}

    run = discovery.courses["edX+DemoX"]["course_runs"].pop()
    discovery.courses["edX+StatsX"]["course_runs"].append(run)
    discovery.exclusions[uuid] = set()
    program_sync(client=make_client())

    assert CourseRun.objects.get(key=moving).course.key == "edX+StatsX"
    assert CourseRun.objects.filter(key=moving).count() == 1
    assert excluded_keys(uuid) == set()


def test_a_run_moved_away_is_dropped_from_exclusions_the_sync_did_not_infer(discovery, make_client):
    """Local programs, and Discovery programs a ``program_uuids`` sync does not read, keep no exclusion
    of a run that is no longer of their courses."""
    moving = "course-v1:edX+DemoX+3T2024"
    discovery.add_course("edX+DemoX", [DEMO_1T2024, moving])
    discovery.add_course("edX+StatsX", STATS_RUNS)
    named = discovery.add_program("Named", ["edX+StatsX"])
    other = discovery.add_program("Other", ["edX+DemoX"], excluded=(moving,))
    program_sync(client=make_client())
    local = program_create(title="Local", course_keys=["edX+DemoX"], excluded_course_run_keys=[moving, DEMO_1T2024])
    assert excluded_keys(other) == {moving}

    discovery.courses["edX+StatsX"]["course_runs"].append(discovery.courses["edX+DemoX"]["course_runs"].pop())
    result = program_sync(client=make_client(), program_uuids=[named])

    assert CourseRun.objects.get(key=moving).course.key == "edX+StatsX"
    assert excluded_keys(other) == set()
    assert excluded_keys(str(local.uuid)) == {DEMO_1T2024}
    assert excluded_keys(named) == set()  # inferred: the run is nested in Named now
    assert result.counts.exclusions_dropped == 2
    assert f"  program {other} no longer excludes {moving} (no longer a run of its courses)" in result.changes
    assert f"  program {local.uuid} no longer excludes {moving} (no longer a run of its courses)" in result.changes


def test_an_impossible_date_is_dropped_and_counted_not_fatal(discovery, make_client):
    uuid = sample_catalog(discovery)
    demo_runs = discovery.courses["edX+DemoX"]["course_runs"]
    demo_runs[0]["start"] = "2024-02-30T00:00:00Z"
    demo_runs[0]["end"] = "2024-13-01T00:00:00Z"
    demo_runs[1]["start"] = "next spring"
    discovery.programs[uuid]["data_modified_timestamp"] = "2025-00-10T00:00:00Z"

    result = program_sync(client=make_client())

    run = CourseRun.objects.get(key=DEMO_1T2024)
    assert (run.start, run.end) == (None, None)
    assert CourseRun.objects.get(key=DEMO_2T2023).start is None
    assert CourseRun.objects.get(key=STATS_RUNS[0]).start.isoformat() == "2024-01-15T00:00:00+00:00"
    program = Program.objects.get(uuid=uuid)
    assert program.data_modified_timestamp is None
    assert excluded_keys(uuid) == {DEMO_2T2023}
    assert result.counts.errors == 4 and result.counts.programs_created == 1


def test_two_runs_sharing_a_uuid_on_one_page_do_not_fail_the_sync(discovery, make_client):
    uuid = sample_catalog(discovery)
    demo_runs = discovery.courses["edX+DemoX"]["course_runs"]
    demo_runs[1]["uuid"] = demo_runs[0]["uuid"]  # an upstream data error

    result = program_sync(client=make_client())

    first, second = CourseRun.objects.get(key=DEMO_1T2024), CourseRun.objects.get(key=DEMO_2T2023)
    assert str(first.uuid) == fake_uuid(f"run:{DEMO_1T2024}") and first.uuid_from_discovery
    assert first.uuid != second.uuid and not second.uuid_from_discovery  # kept a local uuid
    assert result.counts.errors == 1 and result.counts.course_runs_created == 4
    assert excluded_keys(uuid) == {DEMO_2T2023}

    # Later a new run, listed first, names the uuid an existing run holds: the holder keeps it.
    newcomer = {**demo_runs[0], "key": "course-v1:edX+DemoX+1T2026"}
    demo_runs.insert(0, newcomer)
    result = program_sync(client=make_client())

    first.refresh_from_db()
    assert str(first.uuid) == fake_uuid(f"run:{DEMO_1T2024}")
    assert CourseRun.objects.get(key="course-v1:edX+DemoX+1T2026").uuid not in (first.uuid, second.uuid)
    assert result.counts.errors == 2 and result.counts.course_runs_created == 1


def test_unknown_extra_fields_are_ignored(discovery, make_client):
    uuid = sample_catalog(discovery)
    discovery.organizations[0]["brand_new_field"] = {"nested": [1, 2]}
    for course in discovery.courses.values():
        course["future_field"] = None
        for run in course["course_runs"]:
            run["another_new_field"] = ["x"]
    discovery.programs[uuid]["level_of_awesome"] = 11

    program_sync(client=make_client())

    assert excluded_keys(uuid) == {DEMO_2T2023}


def test_rows_the_lms_created_merge_and_adopt_discoverys_uuid(discovery, make_client):
    sample_catalog(discovery)
    run, _ = course_run_upsert(key=DEMO_2T2023, title="From the LMS")
    course_run_remove(key=DEMO_2T2023)
    local_course_uuid = run.course.uuid

    program_sync(client=make_client())

    run.refresh_from_db()
    assert CourseRun.objects.filter(key=DEMO_2T2023).count() == 1
    assert str(run.uuid) == fake_uuid(f"run:{DEMO_2T2023}")
    assert run.course.uuid != local_course_uuid
    assert str(run.course.uuid) == fake_uuid("course:edX+DemoX") and run.course.uuid_from_discovery
    assert run.removed_at is not None  # the LMS deletion stands: Discovery does not resurrect runs
    assert Course.objects.filter(key="edX+DemoX").count() == 1


def test_a_resync_with_nothing_changed_writes_nothing(discovery, make_client):
    sample_catalog(discovery)
    program_sync(client=make_client())

    with CaptureQueriesContext(connection) as ctx:
        result = program_sync(client=make_client())

    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert result.counts.programs_unchanged == 1 and result.counts.programs_updated == 0
    assert result.changes == []


def test_queries_grow_with_pages_not_rows(discovery, make_client, django_assert_max_num_queries):
    discovery.add_course("edX+DemoX", [DEMO_1T2024, DEMO_2T2023])
    for i in range(3):
        discovery.add_program(f"Small {i}", ["edX+DemoX"], excluded=(DEMO_2T2023,))
    with CaptureQueriesContext(connection) as small:
        program_sync(client=make_client(page_size=100))

    Program.objects.all().delete()
    for i in range(40):
        key = f"edX+C{i}"
        discovery.add_course(key, [f"course-v1:{key}+{n}T2025" for n in range(6)])
        discovery.add_program(f"Large {i}", [key, "edX+DemoX"], excluded=(f"course-v1:{key}+0T2025",))
    # SQLite splits a bulk insert at 999 parameters: the history rows of the 240 new runs take a few more.
    slack = 6 if connection.vendor == "sqlite" else 3
    with django_assert_max_num_queries(len(small.captured_queries) + slack):
        result = program_sync(client=make_client(page_size=100))
    assert result.counts.programs_created == 43


def test_a_dry_run_changes_nothing_and_lists_what_would_change(discovery, make_client):
    uuid = sample_catalog(discovery)

    result = program_sync(client=make_client(), dry_run=True)

    assert not Program.objects.exists() and not CourseRun.objects.exists()
    assert result.counts.programs_created == 1
    assert any(line.startswith(f"create program {uuid}") for line in result.changes)
    assert f"  program {uuid} excludes {DEMO_2T2023}" in result.changes


def test_only_the_named_programs_are_synced_and_nothing_is_retired(discovery, make_client):
    uuid = sample_catalog(discovery)
    other = discovery.add_program("Other", ["edX+StatsX"])
    program_sync(client=make_client())
    discovery.programs[uuid]["title"] = "Renamed"
    discovery.programs[other]["title"] = "Other renamed"

    program_sync(client=make_client(), program_uuids=[uuid])

    assert Program.objects.get(uuid=uuid).title == "Renamed"
    assert Program.objects.get(uuid=other).title == "Other"
    assert any(f"uuids={uuid}" in r for r in discovery.requests)


def test_a_named_program_sync_fetches_only_that_programs_courses(discovery, make_client):
    """``--program``: the program first, then ``/courses/?keys=`` of its courses, never the whole catalog."""
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    discovery.add_course("edX+StatsX", STATS_RUNS)
    discovery.add_course("edX+Unrelated", ["course-v1:edX+Unrelated+1T2024"])
    uuid = discovery.add_program("Named", ["edX+DemoX", "edX+StatsX"])
    discovery.add_program("Other", ["edX+Unrelated"])
    discovery.requests.clear()

    program_sync(client=make_client(), program_uuids=[uuid])

    course_calls = [r for r in discovery.requests if "/courses/" in r]
    assert course_calls and all(f"keys={quote('edX+DemoX,edX+StatsX')}" in r for r in course_calls), course_calls
    assert Program.objects.get(uuid=uuid).title == "Named"
    assert CourseRun.objects.filter(key=DEMO_1T2024).exists()
    assert not CourseRun.objects.filter(key="course-v1:edX+Unrelated+1T2024").exists()


def test_upstream_status_and_hidden_runs_are_kept(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    discovery.courses["edX+DemoX"]["course_runs"].append(
        {
            **discovery.courses["edX+DemoX"]["course_runs"][0],
            "key": DEMO_2T2023,
            "uuid": fake_uuid("hidden"),
            "hidden": True,
            "status": "unpublished",
        }
    )
    uuid = discovery.add_program("Retired upstream", ["edX+DemoX"], status="retired")

    program_sync(client=make_client())

    assert Program.objects.get(uuid=uuid).status == ProgramStatus.RETIRED
    hidden = CourseRun.objects.get(key=DEMO_2T2023)
    assert (hidden.hidden, hidden.status) == (True, "unpublished")
    assert excluded_keys(uuid) == set()  # nested in the program too: not excluded


def test_the_retire_guard_counts_only_live_programs(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    live = [discovery.add_program(f"Live {i}", ["edX+DemoX"]) for i in range(3)]
    for i in range(30):
        discovery.add_program(f"Retired {i}", ["edX+DemoX"], status="retired")
    program_sync(client=make_client(page_size=50))
    del discovery.programs[live[0]]  # 1 of 3 live programs (33%), though only 1 of 33 programs

    with pytest.raises(SyncAborted):
        program_sync(client=make_client(page_size=50))
    assert Program.objects.get(uuid=live[0]).status == ProgramStatus.ACTIVE

    result = program_sync(client=make_client(page_size=50), max_retire_fraction=0.5)
    assert result.counts.programs_retired == 1


def test_the_retire_guard_counts_programs_discovery_reports_retired_or_deleted(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    uuids = [discovery.add_program(f"Program {i}", ["edX+DemoX"]) for i in range(10)]
    program_sync(client=make_client(page_size=50))
    discovery.programs[uuids[0]]["status"] = "deleted"
    discovery.programs[uuids[1]]["status"] = "retired"  # 2 of 10 live programs leave: 20% > 10%

    with pytest.raises(SyncAborted) as caught:
        program_sync(client=make_client(page_size=50))

    assert (caught.value.would_retire, caught.value.total) == (2, 10)
    assert "0 no longer listed by Discovery, 2 reported retired or deleted there" in str(caught.value)
    assert set(Program.objects.values_list("status", flat=True)) == {ProgramStatus.ACTIVE}

    result = program_sync(client=make_client(page_size=50), max_retire_fraction=0.2)
    assert Program.objects.get(uuid=uuids[0]).status == ProgramStatus.DELETED
    assert Program.objects.get(uuid=uuids[1]).status == ProgramStatus.RETIRED
    assert result.counts.programs_updated == 2


def test_an_unknown_upstream_status_keeps_the_stored_one(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    known = discovery.add_program("Known", ["edX+DemoX"], status="retired")
    program_sync(client=make_client())
    discovery.programs[known]["status"] = "archived"
    discovery.programs[known]["title"] = "Known, renamed"
    new = discovery.add_program("New", ["edX+DemoX"], status="archived")

    result = program_sync(client=make_client())

    assert Program.objects.get(uuid=known).status == ProgramStatus.RETIRED
    assert Program.objects.get(uuid=known).title == "Known, renamed"
    assert Program.objects.get(uuid=new).status == ProgramStatus.UNPUBLISHED
    assert result.counts.errors == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_run_one_after_the_other(discovery, make_client):
    """Runs in CI on PostgreSQL; the same race runs on MariaDB in the next test."""
    if connection.vendor != "postgresql":
        pytest.skip("SKIPPED: concurrent syncs need PostgreSQL (SQLite serializes writers by itself)")
    two_syncs_at_once_run_one_after_the_other(discovery, make_client)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_run_one_after_the_other_on_mariadb(discovery, make_client):
    """The same on MySQL/MariaDB, where a named GET_LOCK serializes the syncs."""
    if connection.vendor != "mysql":
        pytest.skip("SKIPPED: needs MySQL/MariaDB (DATABASE_URL=mysql://...)")
    two_syncs_at_once_run_one_after_the_other(discovery, make_client)


def two_syncs_at_once_run_one_after_the_other(discovery, make_client) -> None:  # type: ignore[no-untyped-def]
    import threading

    from django.db import connections

    sample_catalog(discovery)
    program_sync(client=make_client())
    # A new program, and nothing else new: only the program insert can collide.
    uuid = discovery.add_program("New", ["edX+DemoX"], excluded=(DEMO_2T2023,))
    outcomes: list[object] = []
    first_holds_its_transaction, release_first = threading.Event(), threading.Event()
    second_started = threading.Event()

    def pause_first(stage: str, page: int, done: int, total: int | None) -> None:
        if stage == "programs":  # programs written, transaction still open
            first_holds_its_transaction.set()
            release_first.wait(timeout=10)

    def note_second(stage: str, page: int, done: int, total: int | None) -> None:
        if stage == "organizations":  # past the lock: applying
            second_started.set()

    def sync(progress: object) -> None:
        try:
            outcomes.append(program_sync(client=make_client(), progress=progress).counts)  # type: ignore[arg-type]
        except Exception as exc:  # collected for the assertion below
            outcomes.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=sync, args=(pause_first,))
    second = threading.Thread(target=sync, args=(note_second,))
    first.start()
    assert first_holds_its_transaction.wait(timeout=10)
    second.start()
    # It must wait for the first sync's commit, not write alongside it.
    assert not second_started.wait(timeout=1)
    release_first.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert [o.programs_created for o in outcomes] == [1, 0]  # type: ignore[attr-defined]
    assert excluded_keys(uuid) == {DEMO_2T2023}


def test_a_program_skipped_by_shifting_pages_is_not_retired(discovery, make_client):
    discovery.add_course("edX+DemoX", [DEMO_1T2024])
    uuids = [discovery.add_program(f"Program {i}", ["edX+DemoX"]) for i in range(10)]
    program_sync(client=make_client(page_size=5))
    # Discovery's list skips Program 2 this time (an insert upstream shifted the pages), though it exists.
    original_answer = discovery.answer

    def answer_skipping(method, url, headers, body=""):  # type: ignore[no-untyped-def]
        status_code, extra, payload = original_answer(method, url, headers, body)
        if "/programs/" in url and "uuids=" not in url and isinstance(payload, dict):
            payload["results"] = [p for p in payload["results"] if p["uuid"] != uuids[2]]
        return status_code, extra, payload

    discovery.answer = answer_skipping  # type: ignore[method-assign]
    result = program_sync(client=make_client(page_size=5))

    assert Program.objects.get(uuid=uuids[2]).status == ProgramStatus.ACTIVE
    assert result.counts.programs_retired == 0 and result.counts.programs_unchanged == 10
    assert any(f"uuids={uuids[2]}" in r for r in discovery.requests)


def test_a_course_missing_from_the_listing_keeps_its_exclusions(discovery, make_client):
    uuid = sample_catalog(discovery)
    program_sync(client=make_client())
    # This time /courses/ does not carry DemoX (a shifted page): its full run list is unknown.
    demo = discovery.courses.pop("edX+DemoX")
    original_nested = discovery._nested_program

    def nested(program, restricted):  # type: ignore[no-untyped-def]
        discovery.courses["edX+DemoX"] = demo
        try:
            return original_nested(program, restricted)
        finally:
            discovery.courses.pop("edX+DemoX")

    discovery._nested_program = nested  # type: ignore[method-assign]
    result = program_sync(client=make_client())

    assert excluded_keys(uuid) == {DEMO_2T2023}
    assert result.counts.programs_unchanged == 1


def test_discovery_is_never_called_inside_a_database_transaction(discovery, make_client):
    """Pages are fetched before the sync's transaction opens: a slow Discovery holds no locks."""
    sample_catalog(discovery)
    program_sync(client=make_client())  # a first sync, so the second has live programs to confirm
    discovery.programs.clear()
    discovery.add_program("Another", ["edX+DemoX"])
    baseline = len(connection.atomic_blocks)  # the test's own transaction
    depths: list[int] = []
    client = make_client()
    original = client._request

    def recording_request(*args, **kwargs):  # type: ignore[no-untyped-def]
        depths.append(len(connection.atomic_blocks))
        return original(*args, **kwargs)

    client._request = recording_request
    with pytest.raises(SyncAborted):  # the one live program vanished: 100% > 10%, nothing applied
        program_sync(client=client)
    program_sync(client=client, max_retire_fraction=1.0)
    assert depths, "the sync called Discovery"
    assert set(depths) == {baseline}
    assert Program.objects.get(title="Data Science Fundamentals").status == ProgramStatus.RETIRED
