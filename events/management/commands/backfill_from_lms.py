"""python manage.py backfill_from_lms (--username U ... | --course-run KEY ... | --since DATE) [--dry-run]."""

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enrollments.api import LmsClient
from enrollments.exceptions import EnrollmentBackendNotConfigured
from events.backfill import DEFAULT_WORKERS, backfill_from_lms, learners_changed_since


def _date(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Read learners' certificates and enrollments, and runs' grades and enrollments, from the LMS and apply "
        "them here (newer wins). --dry-run prints the drift report: what this service holds that the LMS does "
        "not, and the reverse, per learner and run; it changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", action="append", default=[], metavar="U", help="A learner (repeatable).")
        parser.add_argument("--course-run", action="append", default=[], metavar="KEY", help="A run (repeatable).")
        parser.add_argument(
            "--since", type=_date, metavar="DATE", help="Every learner whose records here changed since DATE (ISO)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Print the drift report; change nothing.")
        parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="LMS calls at once (default 4).")

    def handle(self, *args: Any, **options: Any) -> None:
        usernames: list[str] = list(options["username"])
        if options["since"] is not None:
            usernames += learners_changed_since(options["since"])
        runs: list[str] = options["course_run"]
        if not usernames and not runs:
            raise CommandError("Name learners (--username), runs (--course-run) or --since DATE: nothing to check.")
        try:
            client = LmsClient.from_settings()
        except EnrollmentBackendNotConfigured as exc:
            raise CommandError(str(exc).replace("ENROLLMENT_BACKEND=lms", "backfill_from_lms")) from exc
        dry_run: bool = options["dry_run"]

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // total
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
            if done == total:
                self.stderr.write("")

        report = backfill_from_lms(
            client=client,
            usernames=usernames,
            course_run_keys=runs,
            dry_run=dry_run,
            changed_by="backfill_from_lms",
            workers=options["workers"],
            progress=progress,
        )
        for drift in report.drifts:
            self.stdout.write(
                f"{drift.drift:<12} {drift.kind:<12} {drift.username} {drift.course_run_key}: "
                f"here={drift.here or '-'} lms={drift.lms or '-'}"
            )
        for failure in report.failures:
            self.stderr.write(self.style.ERROR(f"LMS failed: {failure}"))
        outcome = "dry run: nothing changed" if dry_run else f"applied {report.applied}"
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.learners} learners, {report.course_runs} runs checked: {len(report.drifts)} differences, "
                f"{outcome}; {len(report.failures)} LMS failures."
            )
        )
        if report.failures:
            raise CommandError("The LMS did not answer for every learner and run; run again for those.")
