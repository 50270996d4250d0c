"""python manage.py sync_programs [--dry-run] [--program UUID]... : sync from Discovery now, in this process."""

import time
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs.discovery import DiscoveryNotConfigured, discovery_config_from_settings
from programs.models import SyncRun, SyncStatus
from programs.services import sync_run_execute


class Command(BaseCommand):
    help = (
        "Sync organizations, courses, runs and programs (with their exclusion lists) from Discovery, "
        "recording a SyncRun. --dry-run prints what would change and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Change nothing; print what would change.")
        parser.add_argument(
            "--program",
            action="append",
            default=[],
            metavar="UUID",
            type=UUID,
            help="Sync only this program (repeatable). Nothing is retired in this mode.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            discovery_config_from_settings()
        except DiscoveryNotConfigured as exc:
            raise CommandError(f"{exc} Nothing was synced.") from exc
        dry_run: bool = options["dry_run"]
        sync_run = SyncRun.objects.create(
            trigger="command", dry_run=dry_run, program_uuids=[str(u) for u in options["program"]]
        )
        self.stdout.write(f"Sync {sync_run.pk}{' (dry run: nothing will be changed)' if dry_run else ''}")

        sync_run, _ = sync_run_execute(sync_run_id=sync_run.pk, progress=self._progress_printer())
        for line in sync_run.changes:
            self.stdout.write(line if line.startswith(" ") or not dry_run else f"would {line}")
        if sync_run.status != SyncStatus.SUCCEEDED:
            raise CommandError(f"Sync {sync_run.pk} {sync_run.status}: {sync_run.error}")
        counts = sync_run.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Dry run: would have ' if dry_run else ''}"
                f"created {counts['programs_created']}, updated {counts['programs_updated']}, "
                f"unchanged {counts['programs_unchanged']}, retired {counts['programs_retired']} programs; "
                f"{counts['excluded_runs_found']} excluded runs found; "
                f"courses {counts['courses_created']} created / {counts['courses_updated']} updated; "
                f"runs {counts['course_runs_created']} created / {counts['course_runs_updated']} updated; "
                f"{counts['errors']} errors; {counts['discovery_requests']} Discovery requests."
            )
        )

    def _progress_printer(self) -> Any:
        """A progress callback printing each page with the stage's total and the time left, when known."""
        started: dict[str, float] = {}
        last = [time.monotonic()]

        def progress(stage: str, page: int, done: int, total: int | None) -> None:
            now = time.monotonic()
            began = started.setdefault(stage, last[0])  # a stage starts when the one before it ended
            last[0] = now
            verb = "read" if stage.startswith("download") else "applied"
            if not total:
                self.stdout.write(f"  {stage}: page {page}, {done:,} {verb}")
                return
            line = f"  {stage}: page {page}, {done:,} of {total:,} {verb}"
            if 0 < done < total:
                left = (now - began) / done * (total - done)
                line += f", about {timedelta(seconds=round(left))} left"
            self.stdout.write(line)

        return progress
