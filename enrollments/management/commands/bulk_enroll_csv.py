"""python manage.py bulk_enroll_csv INPUT.csv --output RESULTS.csv [--notify]

Bulk enrollment for admins without an HTTP client. INPUT rows are ``email,course_run_key[,license_uuid]``
(a header row starting with ``email`` is skipped). Rows go through the same service as
``POST /api/enrollments/v1/bulk_enroll/`` in chunks; all rows of one email stay in one chunk, so a
learner gets at most one email. RESULTS has one line per input row with its outcome and reason, in
input order; lines are written as soon as every row before them is done, and when a chunk fails the
rows already handled are written before the command stops. ``--dry-run`` validates every row (email,
course run key, license UUID) and writes what would be tried, without calling the LMS or storing
anything. A tqdm progress bar on stderr counts rows; log lines go above it without tearing it.
INPUT must be UTF-8 (a byte-order mark is fine).
"""

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

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
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate every row and write the results; enroll nobody."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = list(self._read(options["input"]))
        chunk_size = max(1, min(options["chunk_size"], MAX_BULK_ENROLLMENT_PAIRS))
        prefailed: list[dict[str, Any]] = []
        valid: list[tuple[dict[str, Any], BulkEnrollmentItem]] = []
        for number, email, run_key, license_text in rows:
            base: dict[str, Any] = {
                "row": number,
                "email": email,
                "course_run_key": run_key,
                "license_uuid": license_text,
            }
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
            problem = _row_problem(email, run_key)
            if problem:
                prefailed.append({**base, "outcome": "failed", **problem})
                continue
            valid.append((base, BulkEnrollmentItem(email=email, course_run_key=run_key, license_uuid=license_uuid)))

        counts = dict.fromkeys(("enrolled", "pending", "failed", "valid"), 0)
        order = [number for number, *_ in rows]
        finished: dict[int, dict[str, Any]] = {}
        for line in prefailed:
            finished[int(line["row"])] = line
            counts["failed"] += 1
        total = len(valid)
        with self._open_output(options["output"]) as handle, logging_redirect_tqdm():
            writer = csv.DictWriter(handle, fieldnames=RESULT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            cursor = 0

            def write_ready(everything: bool = False) -> None:
                """Write lines in input order: each one once every row before it is done (or all done ones)."""
                nonlocal cursor
                while cursor < len(order) and order[cursor] in finished:
                    writer.writerow(finished.pop(order[cursor]))
                    cursor += 1
                if everything:
                    writer.writerows(finished.pop(row) for row in sorted(finished))
                handle.flush()

            write_ready()
            # The bar writes to the raw stream: Django's OutputWrapper would end every redraw with a newline.
            progress = tqdm(
                total=len(rows), initial=len(prefailed), unit="row", file=self.stderr._out, disable=False, mininterval=0
            )
            with progress:
                if options["dry_run"]:
                    for base, _ in valid:
                        finished[int(base["row"])] = {**base, "outcome": "valid"}
                        counts["valid"] += 1
                    progress.update(total)
                    write_ready()
                done = 0
                for chunk in [] if options["dry_run"] else self._chunks(valid, chunk_size):
                    try:
                        with history_source(f"bulk_enroll_csv {options['input'].name}"):
                            result = bulk_enroll(items=[item for _, item in chunk], notify=options["notify"])
                    except EnrollmentBackendNotConfigured as exc:
                        write_ready(everything=True)
                        raise CommandError(str(exc.detail)) from exc
                    except Exception as exc:
                        write_ready(everything=True)
                        first = min(int(base["row"]) for base, _ in chunk)
                        raise CommandError(
                            f"A chunk of {len(chunk)} pairs (first row {first}) failed: {type(exc).__name__}: "
                            f"{exc}. {done} of {total} pairs were handled and their results are in "
                            f"{options['output']}; the rows missing there were not recorded. "
                            "Running the same file again is safe."
                        ) from exc
                    for (base, _), outcome in zip(chunk, result.item_outcomes, strict=True):
                        line = {**base, **_describe(outcome)}
                        finished[int(base["row"])] = line
                        counts[line["outcome"]] += 1
                    done += len(chunk)
                    progress.update(len(chunk))
                    write_ready()

        if options["dry_run"]:
            summary = (
                f"Dry run, nothing enrolled. {len(rows)} rows: {counts['valid']} valid, "
                f"{counts['failed']} invalid. Results in {options['output']}"
            )
        else:
            summary = (
                f"{len(rows)} rows: {counts['enrolled']} enrolled, {counts['pending']} pending, "
                f"{counts['failed']} failed. Results in {options['output']}"
            )
        self.stdout.write(self.style.SUCCESS(summary))

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


def _row_problem(email: str, run_key: str) -> dict[str, str] | None:
    """Why a row cannot be tried (code and reason), or None when it looks enrollable."""
    try:
        validate_email(email)
    except ValidationError:
        return {"code": "invalid_email", "reason": f"{email!r} is not an email address."}
    try:
        CourseKey.from_string(run_key)
    except InvalidKeyError:
        return {"code": "invalid_course_run_key", "reason": f"{run_key!r} is not a course run key."}
    return None


def _describe(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, EnrollmentSuccess):
        return {"outcome": "enrolled", "created": outcome.created, "user_id": outcome.user_id}
    if isinstance(outcome, EnrollmentPending):
        return {"outcome": "pending", "created": outcome.created}
    assert isinstance(outcome, EnrollmentFailure)
    return {"outcome": "failed", "code": str(outcome.code), "reason": outcome.reason, "user_id": outcome.user_id}
