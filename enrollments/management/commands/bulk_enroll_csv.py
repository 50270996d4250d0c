"""python manage.py bulk_enroll_csv INPUT.csv --output RESULTS.csv [--notify]

Bulk enrollment for admins without an HTTP client. INPUT rows are ``email,course_run_key[,license_uuid]``
(a header row starting with ``email`` is skipped). Rows go through the same service as
``POST /api/enrollments/v1/bulk_enroll/`` in chunks; all rows of one email stay in one chunk, so a
learner gets at most one email. RESULTS has one line per input row with its outcome and reason,
written as each chunk completes (so a later failure leaves the results of the earlier chunks).
INPUT must be UTF-8 (a byte-order mark is fine).
"""

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.history import history_source
from enrollments.data import (
    MAX_BULK_ENROLLMENT_PAIRS,
    BulkEnrollmentItem,
    EnrollmentFailure,
    EnrollmentPending,
    EnrollmentSuccess,
    Outcome,
)
from enrollments.exceptions import EnrollmentBackendNotConfigured
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
        prefailed: list[dict[str, Any]] = []
        valid: list[tuple[dict[str, Any], BulkEnrollmentItem]] = []
        for number, email, run_key, license_text in rows:
            base = {"row": number, "email": email, "course_run_key": run_key, "license_uuid": license_text}
            try:
                license_uuid = uuid.UUID(license_text) if license_text else None
            except ValueError:
                prefailed.append({**base, "outcome": "failed", "code": "invalid_license_uuid",
                                  "reason": f"{license_text!r} is not a UUID."})  # fmt: skip
                continue
            if not email or not run_key:
                prefailed.append({**base, "outcome": "failed", "code": "malformed_row",
                                  "reason": "A row needs an email and a course_run_key."})  # fmt: skip
                continue
            valid.append((base, BulkEnrollmentItem(email=email, course_run_key=run_key, license_uuid=license_uuid)))

        counts = dict.fromkeys(("enrolled", "pending", "failed"), 0)
        counts["failed"] = len(prefailed)
        done = 0
        total = len(valid)
        # Results are written chunk by chunk (rows of a chunk in input order; the ``row`` column says
        # which): when a chunk fails, the file still holds every row already handled.
        with self._open_output(options["output"]) as handle:
            writer = csv.DictWriter(handle, fieldnames=RESULT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(prefailed)
            handle.flush()
            for chunk in self._chunks(valid, chunk_size):
                try:
                    with history_source(f"bulk_enroll_csv {options['input'].name}"):
                        result = bulk_enroll(items=[item for _, item in chunk], notify=options["notify"])
                except EnrollmentBackendNotConfigured as exc:
                    raise CommandError(str(exc.detail)) from exc
                except Exception as exc:
                    first = min(int(base["row"]) for base, _ in chunk)
                    raise CommandError(
                        f"A chunk of {len(chunk)} pairs (first row {first}) failed: {type(exc).__name__}: {exc}. "
                        f"{done} of {total} pairs were handled and their results are in {options['output']}; "
                        "the rows missing there were not recorded. Running the same file again is safe."
                    ) from exc
                lines = sorted(
                    (
                        {**base, **_describe(outcome)}
                        for (base, _), outcome in zip(chunk, result.item_outcomes, strict=True)
                    ),
                    key=lambda line: int(line["row"]),
                )
                writer.writerows(lines)
                handle.flush()
                for line in lines:
                    counts[line["outcome"]] += 1
                done += len(chunk)
                self._progress(done, total)

        self.stdout.write(
            self.style.SUCCESS(
                f"{len(rows)} rows: {counts['enrolled']} enrolled, {counts['pending']} pending, "
                f"{counts['failed']} failed. Results in {options['output']}"
            )
        )

    def _read(self, path: Path) -> Iterator[tuple[int, str, str, str]]:
        try:
            handle = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        with handle:
            number = 0
            try:
                for number, row in enumerate(csv.reader(handle), start=1):
                    cells = [cell.strip() for cell in row]
                    if not any(cells):
                        continue
                    if number == 1 and cells[0].lower() == "email":
                        continue
                    cells += [""] * (3 - len(cells))
                    yield number, cells[0], cells[1], cells[2]
            except UnicodeDecodeError as exc:
                raise CommandError(
                    f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} near row {number + 1}); "
                    "save it as CSV UTF-8 and run the command again. Nothing was enrolled."
                ) from exc

    @staticmethod
    def _open_output(path: Path) -> TextIO:
        try:
            return path.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc

    @staticmethod
    def _chunks(
        valid: list[tuple[dict[str, Any], BulkEnrollmentItem]], size: int
    ) -> Iterator[list[tuple[dict[str, Any], BulkEnrollmentItem]]]:
        """Chunks of about ``size`` pairs that never split one email's rows (one email per learner)."""
        by_email: dict[str, list[tuple[dict[str, Any], BulkEnrollmentItem]]] = {}
        for entry in valid:
            by_email.setdefault((entry[1].email or "").strip().lower(), []).append(entry)
        chunk: list[tuple[dict[str, Any], BulkEnrollmentItem]] = []
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


def _describe(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, EnrollmentSuccess):
        return {"outcome": "enrolled", "created": outcome.created, "user_id": outcome.user_id}
    if isinstance(outcome, EnrollmentPending):
        return {"outcome": "pending", "created": outcome.created}
    assert isinstance(outcome, EnrollmentFailure)
    return {"outcome": "failed", "code": str(outcome.code), "reason": outcome.reason, "user_id": outcome.user_id}
