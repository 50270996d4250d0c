"""python manage.py bulk_enroll_csv: the same service from a CSV, with progress and a results CSV."""

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from enrollments.models import Enrollment, PendingEnrollment
from tests.factories import CourseRunFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_backend(settings):
    settings.ENROLLMENT_BACKEND = "local"


def run_command(tmp_path, text, *args):
    source = tmp_path / "in.csv"
    source.write_text(text)
    output = tmp_path / "out.csv"
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("bulk_enroll_csv", str(source), "--output", str(output), *args, stdout=stdout, stderr=stderr)
    with output.open() as handle:
        rows = list(csv.DictReader(handle))
    return rows, stdout.getvalue(), stderr.getvalue()


def test_csv_rows_are_enrolled_pending_or_failed_with_a_results_file(tmp_path):
    run = CourseRunFactory(key="course-v1:edX+DemoX+1T2024")
    ana = UserFactory(email="ana@example.com")
    license_uuid = uuid.uuid4()
    rows, stdout, stderr = run_command(
        tmp_path,
        "email,course_run_key,license_uuid\n"
        f" Ana@Example.com ,{run.key},{license_uuid}\n"
        f"new@example.com,{run.key}\n"
        "\n"
        f"bad-email,{run.key}\n"
        f"x@example.com,{run.key},not-a-uuid\n"
        f"ana@example.com,{run.key},{license_uuid}\n",
    )
    assert [(r["row"], r["outcome"], r["code"]) for r in rows] == [
        ("2", "enrolled", ""),
        ("3", "pending", ""),
        ("5", "failed", "invalid_email"),
        ("6", "failed", "invalid_license_uuid"),
        ("7", "enrolled", ""),  # the same pair again: handled once, reported for both rows
    ]
    assert rows[0]["created"] == "True" and rows[0]["user_id"] == str(ana.lms_user_id)
    assert rows[2]["reason"]
    assert Enrollment.objects.get(learner=ana).license_uuid == license_uuid
    assert PendingEnrollment.objects.filter(email="new@example.com").exists()
    assert "2 enrolled, 1 pending, 2 failed" in stdout
    assert "5/5" in stderr and "row" in stderr  # tqdm counts every data row, failed ones included


def test_chunks_keep_one_learners_rows_together_and_notify_once(tmp_path, django_capture_on_commit_callbacks):
    runs = [CourseRunFactory() for _ in range(3)]
    lines = [f"l{i}@example.com,{run.key}" for run in runs for i in range(4)]  # emails interleaved across runs
    with django_capture_on_commit_callbacks(execute=True):
        rows, _, stderr = run_command(tmp_path, "\n".join(lines) + "\n", "--notify", "--chunk-size", "5")
    assert all(r["outcome"] == "pending" and r["created"] == "True" for r in rows)
    assert sorted(m.to[0] for m in mail.outbox) == [f"l{i}@example.com" for i in range(4)]
    assert "12/12" in stderr


def test_missing_input_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("bulk_enroll_csv", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "out.csv"))


def test_an_email_longer_than_254_characters_is_a_failed_row_and_the_rest_is_enrolled(tmp_path):
    """validate_email allows up to 320 characters; the pending row holds 254 (PostgreSQL would refuse it)."""
    run = CourseRunFactory()
    long_email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com"
    rows, stdout, _ = run_command(tmp_path, f"{long_email},{run.key}\nnew@example.com,{run.key}\n")
    assert [(r["row"], r["outcome"], r["code"]) for r in rows] == [
        ("1", "failed", "invalid_email"),
        ("2", "pending", ""),
    ]
    assert "254 characters" in rows[0]["reason"]
    assert list(PendingEnrollment.objects.values_list("email", flat=True)) == ["new@example.com"]
    assert "0 enrolled, 1 pending, 1 failed" in stdout


def test_a_file_that_is_not_utf8_is_a_command_error_and_enrolls_nothing(tmp_path):
    run = CourseRunFactory()
    source = tmp_path / "in.csv"
    source.write_bytes(f"ana@example.com,{run.key}\nren\xe9@example.com,{run.key}\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"not UTF-8 text .*save it as CSV UTF-8"):
        call_command("bulk_enroll_csv", str(source), "--output", str(tmp_path / "out.csv"), stderr=io.StringIO())
    assert not PendingEnrollment.objects.exists()


def test_results_of_the_chunks_done_are_written_when_a_later_chunk_fails(tmp_path, monkeypatch):
    from enrollments.management.commands import bulk_enroll_csv
    from enrollments.services import bulk_enroll

    run = CourseRunFactory()
    calls = []

    def second_chunk_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return bulk_enroll(**kwargs)

    monkeypatch.setattr(bulk_enroll_csv, "bulk_enroll", second_chunk_fails)
    source = tmp_path / "in.csv"
    source.write_text("".join(f"l{i}@example.com,{run.key}\n" for i in range(4)))
    output = tmp_path / "out.csv"
    with pytest.raises(CommandError, match=r"2 of 4 pairs were handled .*Running the same file again is safe"):
        call_command("bulk_enroll_csv", str(source), "--output", str(output), "--chunk-size", "2", stderr=io.StringIO())
    with output.open() as handle:
        written = list(csv.DictReader(handle))
    assert [(r["row"], r["email"], r["outcome"]) for r in written] == [
        ("1", "l0@example.com", "pending"),
        ("2", "l1@example.com", "pending"),
    ]
    assert sorted(PendingEnrollment.objects.values_list("email", flat=True)) == ["l0@example.com", "l1@example.com"]


def test_a_misconfigured_backend_is_a_command_error_naming_the_setting(tmp_path, settings):
    settings.ENROLLMENT_BACKEND = "lms"
    settings.LMS_URL = None
    run = CourseRunFactory()
    source = tmp_path / "in.csv"
    source.write_text(f"ana@example.com,{run.key}\n")
    with pytest.raises(CommandError, match="LMS_URL"):
        call_command("bulk_enroll_csv", str(source), "--output", str(tmp_path / "out.csv"))


def test_results_are_in_input_order_even_when_chunks_group_rows_by_email(tmp_path):
    """Chunks gather one email's rows together; the results file still follows the input."""
    runs = [CourseRunFactory() for _ in range(3)]
    lines = [f"l{i}@example.com,{run.key}" for run in runs for i in range(4)]
    lines.insert(5, "not-an-email,course-v1:edX+X+1")
    rows, _, _ = run_command(tmp_path, "\n".join(lines) + "\n", "--chunk-size", "3")
    assert [int(r["row"]) for r in rows] == list(range(1, 14))
    assert [r["email"] for r in rows] == [line.split(",")[0] for line in lines]
    assert rows[5]["code"] == "invalid_email"


def test_dry_run_validates_every_row_and_stores_nothing(tmp_path, settings):
    settings.ENROLLMENT_BACKEND = "lms"  # a dry run must not reach it
    settings.LMS_URL = "http://127.0.0.1:9/"  # nothing listens on the discard port
    run = CourseRunFactory()
    rows, stdout, stderr = run_command(
        tmp_path,
        f"ana@example.com,{run.key}\nbad-email,{run.key}\nbo@example.com,not a key\nx@example.com,{run.key},nope\n",
        "--dry-run",
    )
    assert [(r["row"], r["outcome"], r["code"]) for r in rows] == [
        ("1", "valid", ""),
        ("2", "failed", "invalid_email"),
        ("3", "failed", "invalid_course_run_key"),
        ("4", "failed", "invalid_license_uuid"),
    ]
    assert "Dry run, nothing enrolled. 4 rows: 1 valid, 3 invalid" in stdout
    assert "4/4" in stderr
    assert not Enrollment.objects.exists() and not PendingEnrollment.objects.exists()
    assert not mail.outbox


def test_progress_bar_counts_rows_as_chunks_complete(tmp_path, monkeypatch):
    """tqdm redraws with carriage returns; every chunk moves the count, a log line in between included."""
    import logging

    from enrollments.management.commands import bulk_enroll_csv
    from enrollments.services import bulk_enroll

    def logging_bulk_enroll(**kwargs):
        logging.getLogger("enrollments").warning("chunk of %d", len(kwargs["items"]))
        return bulk_enroll(**kwargs)

    monkeypatch.setattr(bulk_enroll_csv, "bulk_enroll", logging_bulk_enroll)
    run = CourseRunFactory()
    _, _, stderr = run_command(
        tmp_path, "".join(f"l{i}@example.com,{run.key}\n" for i in range(6)), "--chunk-size", "2"
    )
    frames = stderr.replace("\n", "\r").split("\r")
    counts = [frame.split("|")[-1].split()[0] for frame in frames if "row" in frame and "|" in frame]
    assert counts[0] == "0/6" and counts[-1] == "6/6" and "2/6" in counts and "4/6" in counts


def test_log_lines_go_above_the_progress_bar_in_a_real_process(tmp_path):
    """The JSON log lines and the bar share stderr; each log line stays whole on its own line.

    A subprocess under settings.local (JSON logs to stderr, as in production), because under pytest
    the log goes to pytest's capture, not to the stream the bar draws on. Without tqdm's logging
    redirect the first log line is glued to the bar's last frame.
    """
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "settings.local",
        "ENROLLMENT_BACKEND": "local",
        "LOG_LEVEL": "INFO",
    }
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=root, check=True, timeout=240)  # noqa: S603
    create_run = "from tests.factories import CourseRunFactory; CourseRunFactory(key='course-v1:edX+DemoX+1T2024')"
    subprocess.run([*manage, "shell", "-c", create_run], env=env, cwd=root, check=True, timeout=120)  # noqa: S603
    source = tmp_path / "in.csv"
    source.write_text("".join(f"l{i}@example.com,course-v1:edX+DemoX+1T2024\n" for i in range(6)))

    done = subprocess.run(  # noqa: S603
        [*manage, "bulk_enroll_csv", str(source), "--output", str(tmp_path / "out.csv"), "--chunk-size", "2"],
        env=env, cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    logged = [line for line in done.stderr.split("\n") if '"level":' in line]
    records = [json.loads(line.split("\r")[-1]) for line in logged]  # what is left once the bar is cleared
    assert [r["message"] for r in records].count("bulk_enrollment_done") == 3  # one per chunk of 2
    assert "6/6" in done.stderr
