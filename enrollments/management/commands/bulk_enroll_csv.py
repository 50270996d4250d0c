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
        prefailed, valid = _rows_check(rows)
        with self._open_output(options["output"]) as handle, logging_redirect_tqdm():
            results = _Results(handle, order=[number for number, *_ in rows])
            for line in prefailed:
                results.add(line)
            results.write_ready()
            # The bar writes to the raw stream: Django's OutputWrapper would end every redraw with a newline.
            progress = tqdm(
                total=len(rows), initial=len(prefailed), unit="row", file=self.stderr._out, disable=False, mininterval=0
            )
            with progress:
                if options["dry_run"]:
                    for base, _ in valid:
                        results.add({**base, "outcome": "valid"})
                    progress.update(len(valid))
                    results.write_ready()
                else:
                    self._enroll(valid, chunk_size, results, progress, options)
        self.stdout.write(self.style.SUCCESS(_summary(len(rows), results.counts, options)))

    def _enroll(
        self,
        valid: list[tuple[dict[str, Any], BulkEnrollmentItem]],
        chunk_size: int,
        results: "_Results",
        progress: Any,
        options: dict[str, Any],
    ) -> None:
        """The valid rows through ``bulk_enroll``, a chunk at a time; a failing chunk stops the command
        after the results so far are written."""
        done = 0
        for chunk in self._chunks(valid, chunk_size):
            try:
                with history_source(f"bulk_enroll_csv {options['input'].name}"):
                    result = bulk_enroll(items=[item for _, item in chunk], notify=options["notify"])
            except EnrollmentBackendNotConfigured as exc:
                results.write_ready(everything=True)
                raise CommandError(str(exc.detail)) from exc
            except Exception as exc:
                results.write_ready(everything=True)
                first = min(int(base["row"]) for base, _ in chunk)
                raise CommandError(
                    f"A chunk of {len(chunk)} pairs (first row {first}) failed: {type(exc).__name__}: "
                    f"{exc}. {done} of {len(valid)} pairs were handled and their results are in "
                    f"{options['output']}; the rows missing there were not recorded. "
                    "Running the same file again is safe."
                ) from exc
            for (base, _), outcome in zip(chunk, result.item_outcomes, strict=True):
                results.add({**base, **_describe(outcome)})
            done += len(chunk)
            progress.update(len(chunk))
            results.write_ready()

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


def _rows_check(
    rows: list[tuple[int, str, str, str]],
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], BulkEnrollmentItem]]]:
    """(result lines of the rows that cannot be tried, the others with their items)."""
    prefailed: list[dict[str, Any]] = []
    valid: list[tuple[dict[str, Any], BulkEnrollmentItem]] = []
    for number, email, run_key, license_text in rows:
        base: dict[str, Any] = {"row": number, "email": email, "course_run_key": run_key, "license_uuid": license_text}
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
    return prefailed, valid


class _Results:
    """The results CSV, written in input order: a line once every row before it is done."""

    def __init__(self, handle: TextIO, *, order: list[int]) -> None:
        self.handle, self.order, self.cursor = handle, order, 0
        self.writer = csv.DictWriter(handle, fieldnames=RESULT_FIELDS, extrasaction="ignore")
        self.writer.writeheader()
        self.finished: dict[int, dict[str, Any]] = {}
        self.counts = dict.fromkeys(("enrolled", "pending", "failed", "valid"), 0)

    def add(self, line: dict[str, Any]) -> None:
        self.finished[int(line["row"])] = line
        self.counts[line["outcome"]] += 1

    def write_ready(self, everything: bool = False) -> None:
        """Write the lines whose earlier rows are all done (``everything``: every done line, in row order)."""
        while self.cursor < len(self.order) and self.order[self.cursor] in self.finished:
            self.writer.writerow(self.finished.pop(self.order[self.cursor]))
            self.cursor += 1
        if everything:
            self.writer.writerows(self.finished.pop(row) for row in sorted(self.finished))
        self.handle.flush()


def _summary(rows: int, counts: dict[str, int], options: dict[str, Any]) -> str:
    if options["dry_run"]:
        return (
            f"Dry run, nothing enrolled. {rows} rows: {counts['valid']} valid, "
            f"{counts['failed']} invalid. Results in {options['output']}"
        )
    return (
        f"{rows} rows: {counts['enrolled']} enrolled, {counts['pending']} pending, "
        f"{counts['failed']} failed. Results in {options['output']}"
    )


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
