"""python manage.py bulk_enroll_csv INPUT.csv --output RESULTS.csv [--notify]

Bulk enrollment for admins without an HTTP client. INPUT rows are ``email,course_run_key[,license_uuid]``
(a header row starting with ``email`` is skipped). Rows go through the same service as
``POST /api/enrollments/v1/bulk_enroll/`` in chunks; all rows of one email stay in one chunk, so a
learner gets at most one email. RESULTS has one line per input row with its outcome and reason.
"""

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enrollments.data import (
    MAX_BULK_ENROLLMENT_PAIRS,
    BulkEnrollmentItem,
    EnrollmentFailure,
    EnrollmentPending,
    EnrollmentSuccess,
    Outcome,
)
from enrollments.services import bulk_enroll

RESULT_FIELDS = ["row", "email", "course_run_key", "license_uuid", "outcome", "created", "user_id", "code", "reason"]


class Command(BaseCommand):
    help = "Enroll learners from a CSV of email,course_run_key[,license_uuid]; writes a results CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path, help="CSV: email,course_run_key[,license_uuid]")
        parser.add_argument("--output", type=Path, required=True, help="Where to write the results CSV.")
        parser.add_argument("--notify", action="store_true", help="Email newly enrolled and newly pending learners.")
        parser.add_argument("--chunk-size", type=int, default=1000, help="Pairs per batch (default 1000).")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = list(self._read(options["input"]))
        chunk_size = max(1, min(options["chunk_size"], MAX_BULK_ENROLLMENT_PAIRS))
        results: dict[int, dict[str, Any]] = {}
        valid: list[tuple[int, BulkEnrollmentItem]] = []
        for number, email, run_key, license_text in rows:
            base = {"row": number, "email": email, "course_run_key": run_key, "license_uuid": license_text}
            try:
                license_uuid = uuid.UUID(license_text) if license_text else None
            except ValueError:
                results[number] = {**base, "outcome": "failed", "code": "invalid_license_uuid",
                                   "reason": f"{license_text!r} is not a UUID."}  # fmt: skip
                continue
            if not email or not run_key:
                results[number] = {**base, "outcome": "failed", "code": "malformed_row",
                                   "reason": "A row needs an email and a course_run_key."}  # fmt: skip
                continue
            valid.append((number, BulkEnrollmentItem(email=email, course_run_key=run_key, license_uuid=license_uuid)))
            results[number] = base

        done = 0
        total = len(valid)
        for chunk in self._chunks(valid, chunk_size):
            result = bulk_enroll(items=[item for _, item in chunk], notify=options["notify"])
            for (number, _), outcome in zip(chunk, result.item_outcomes, strict=True):
                results[number].update(_describe(outcome))
            done += len(chunk)
            self._progress(done, total)

        self._write(options["output"], [results[number] for number in sorted(results)])
        counts = {
            name: sum(1 for r in results.values() if r["outcome"] == name) for name in ("enrolled", "pending", "failed")
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(results)} rows: {counts['enrolled']} enrolled, {counts['pending']} pending, "
                f"{counts['failed']} failed. Results in {options['output']}"
            )
        )

    def _read(self, path: Path) -> Iterator[tuple[int, str, str, str]]:
        try:
            handle = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        with handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                if number == 1 and cells[0].lower() == "email":
                    continue
                cells += [""] * (3 - len(cells))
                yield number, cells[0], cells[1], cells[2]

    @staticmethod
    def _chunks(
        valid: list[tuple[int, BulkEnrollmentItem]], size: int
    ) -> Iterator[list[tuple[int, BulkEnrollmentItem]]]:
        """Chunks of about ``size`` pairs that never split one email's rows (one email per learner)."""
        by_email: dict[str, list[tuple[int, BulkEnrollmentItem]]] = {}
        for entry in valid:
            by_email.setdefault((entry[1].email or "").strip().lower(), []).append(entry)
        chunk: list[tuple[int, BulkEnrollmentItem]] = []
        for group in by_email.values():
            if chunk and len(chunk) + len(group) > size:
                yield chunk
                chunk = []
            chunk.extend(group)
        if chunk:
            yield chunk

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} pairs"
        self.stderr.write(line, ending="\n" if done >= total else "")
        if hasattr(self.stderr, "flush"):
            self.stderr.flush()

    @staticmethod
    def _write(path: Path, rows: list[dict[str, Any]]) -> None:
        try:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=RESULT_FIELDS, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc


def _describe(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, EnrollmentSuccess):
        return {"outcome": "enrolled", "created": outcome.created, "user_id": outcome.user_id}
    if isinstance(outcome, EnrollmentPending):
        return {"outcome": "pending", "created": outcome.created}
    assert isinstance(outcome, EnrollmentFailure)
    return {"outcome": "failed", "code": str(outcome.code), "reason": outcome.reason, "user_id": outcome.user_id}
