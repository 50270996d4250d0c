"""A synthetic Open edX-shaped data set, large enough to measure how each cost grows (docs/scaling.rst).

``generate(Shape(...))`` writes a catalog (organizations, courses with about five runs each, programs of
3-30 courses with exclusions) and, per learner, enrollments, grades and course-run certificates of every
type and status, plus pending enrollments and credit records for a slice of learners. Every learner's
choices come from a random generator seeded by ``(seed, learner number)``, so each table is written in
its own pass (one PostgreSQL ``COPY`` per table) and the passes agree without holding the data set in
memory; the same seed gives the same data set.

Rows are written with ids chosen here (after the table's current highest id), so no insert returns ids;
PostgreSQL's sequences are moved past them at the end. PostgreSQL checks each foreign key row by row at
commit (Django's constraints are deferred): for 38 million rows that took longer than the load itself.
Where the session may (a superuser: ``session_replication_role``), those row triggers are off for this
transaction and every foreign key of the written tables is checked instead by one anti-join each,
before the commit; a dangling reference aborts the whole load. No history rows are written: the data set stands
for records that existed before history was kept.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.core.management.color import no_style
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Max

from core.models import User
from credentials_status.models import CertificateType, CourseRunCredential, CredentialStatus, Grade
from credit.models import CreditCourse, CreditEligibility, CreditRequirement, CreditRequirementStatus
from enrollments.models import Enrollment, PendingEnrollment
from programs.models import Course, CourseRun, Organization, Program, ProgramCourse, ProgramExcludedCourseRun

# Learners get names as a site's learners have them: a first and a last name joined three ways, with a
# number only once the name pairs run out (every 9,800 learners). A shared prefix such as ``scale_``
# would put the same trigrams in every row and make every name search of the benchmark a worst case.
# fmt: off
FIRST_NAMES = (
    "aaliyah", "abebe", "adaeze", "ahmed", "aiko", "alejandro", "amara", "amina", "anders", "andrea", "aniket",
    "anna", "arjun", "astrid", "aylin", "beatriz", "bilal", "bruno", "camila", "carlos", "chen", "chiara", "chidi",
    "chloe", "daniel", "darius", "dmitri", "elena", "elif", "emeka", "emma", "esther", "fatima", "felipe", "freya",
    "gabriel", "giulia", "hana", "hassan", "helena", "hiroshi", "ibrahim", "ingrid", "isabel", "ivan", "jakub",
    "jamal", "javier", "jia", "jonas", "jose", "julia", "kaito", "karim", "kateryna", "kenji", "khadija", "kofi",
    "lars", "laura", "leila", "liam", "lucia", "luis", "maja", "malik", "marco", "maria", "mateo", "mei",
    "mohammed", "nadia", "naledi", "nia", "nikhil", "noah", "olga", "omar", "oscar", "pablo", "priya", "rafael",
    "rania", "ravi", "rosa", "sakura", "samir", "sara", "sebastian", "sofia", "sven", "tariq", "tomas",
    "valentina", "wei", "yara", "yusuf", "zainab", "zara", "zoe",
)
LAST_NAMES = (
    "abdullah", "acheampong", "adeyemi", "alvarez", "andersen", "bakker", "banerjee", "becker", "bianchi",
    "boateng", "castillo", "chatterjee", "costa", "dang", "de-vries", "demir", "diallo", "dubois", "eriksson",
    "esposito", "fernandez", "fischer", "garcia", "gomez", "gonzalez", "gupta", "haddad", "hansen", "hernandez",
    "hoang", "hoffmann", "huang", "ibrahimovic", "ivanova", "jansen", "jensen", "jimenez", "johansson", "kamau",
    "kaya", "khan", "kim", "kowalski", "kruger", "kumar", "larsen", "lee", "lopez", "martin", "meyer", "moreau",
    "mueller", "murphy", "mwangi", "nakamura", "nguyen", "novak", "nowak", "obi", "okafor", "oliveira", "olsen",
    "ortiz", "osei", "park", "patel", "perez", "petrov", "popescu", "quispe", "ramirez", "reddy", "rodriguez",
    "romero", "rossi", "sanchez", "santos", "sato", "schmidt", "shah", "silva", "singh", "smith", "suzuki",
    "takahashi", "tanaka", "torres", "tran", "virtanen", "wagner", "walker", "wang", "weber", "williams", "wojcik",
    "yamamoto", "yilmaz", "zhang",
)
# fmt: on
# Reserved names (RFC 2606): what marks a learner as generated (``generated_learners``).
GENERATED_EMAIL_DOMAIN = "scale.example"
EMAIL_DOMAINS = tuple(f"{host}.{GENERATED_EMAIL_DOMAIN}" for host in ("mail", "campus", "post", "learners"))
RUNS_PER_COURSE = 5
# Certificate types as an Open edX site holds them: mostly verified, a tail of the others.
CERTIFICATE_TYPES = [
    (CertificateType.VERIFIED, 55),
    (CertificateType.HONOR, 15),
    (CertificateType.PROFESSIONAL, 10),
    (CertificateType.NO_ID_PROFESSIONAL, 5),
    (CertificateType.MASTERS, 5),
    (CertificateType.AUDIT, 10),
]
REVOKED_PERCENT = 8
BASE_TIME = datetime(2019, 1, 1, tzinfo=UTC)


def generated_learners() -> models.QuerySet[User]:
    """The learners ``generate`` wrote (their email's domain; a retired one's email no longer says)."""
    return User.objects.filter(email__endswith=f".{GENERATED_EMAIL_DOMAIN}")


@dataclass(frozen=True)
class LearnerName:
    first: str
    last: str
    username: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.first.capitalize()} {self.last.capitalize()}"


def learner_name(number: int) -> LearnerName:
    """The generated learner ``number``'s name: distinct numbers give distinct usernames and emails.

    ``number`` picks a first name, a last name, how they are joined and, past the name pairs, a number
    appended; the name lists share no name and hold no digit or joining character, so each username
    and email can be read back to one ``number``.
    """
    cycle, pair = divmod(number, len(FIRST_NAMES) * len(LAST_NAMES))
    first = FIRST_NAMES[pair % len(FIRST_NAMES)]
    # Neighbours get different last names too. With ``pair = q * 100 + a`` (``a`` the first name), the index
    # is ``q * 1401 + 7 * a`` modulo 98: 1401 and 98 share no factor, so for one first name ``q`` runs over
    # every last name once.
    last = LAST_NAMES[(pair // len(FIRST_NAMES) * 701 + 7 * pair) % len(LAST_NAMES)]
    suffix = str(cycle) if cycle else ""
    username = (f"{first}.{last}", f"{first}_{last}", f"{last}.{first}")[number % 3] + suffix
    email = f"{first}.{last}{suffix}@{EMAIL_DOMAINS[number % len(EMAIL_DOMAINS)]}"
    return LearnerName(first=first, last=last, username=username, email=email)


@dataclass(frozen=True)
class Shape:
    """What to generate. Grades and enrollments scale with ``credentials_per_learner``."""

    learners: int
    credentials_per_learner: int = 10
    programs: int = 200
    courses: int = 1_000
    seed: int = 1
    # Per learner: grades = 1.25 x credentials, enrollments = 1.5 x credentials (not every enrollment
    # ends in a grade, not every grade in a certificate).
    pending_enrollment_fraction: float = 0.01
    credit_learner_fraction: float = 0.01
    credit_courses: int = 20


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class Catalog:
    """Ids of what the catalog pass wrote, which the learner passes point at."""

    run_ids: list[int]
    run_keys: list[str]
    # For each program, the ids of its courses' runs (excluded ones included: learners finish those too).
    program_run_ids: list[list[int]]


class _Table:
    """Writes rows (tuples in ``columns`` order) into one model's table: COPY on PostgreSQL, batches elsewhere."""

    BATCH = 5_000

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.fields = [model._meta.get_field(name) for name in columns]
        self.table = model._meta.db_table
        self.column_names: list[str] = [f.column for f in self.fields]  # type: ignore[union-attr,misc]

    def next_id(self) -> int:
        return (self.model._default_manager.aggregate(m=Max("id"))["m"] or 0) + 1

    def write(self, rows: Iterable[tuple[Any, ...]]) -> int:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.column_names)
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(self.table)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                return count
            placeholders = ", ".join(["%s"] * len(self.fields))
            sql = f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
            preps = [self._prep(f) for f in self.fields]
            batch: list[list[Any]] = []
            for row in rows:
                batch.append([prep(value) for prep, value in zip(preps, row, strict=True)])
                if len(batch) >= self.BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count

    @staticmethod
    def _prep(model_field: Any) -> Callable[[Any], Any]:
        if isinstance(model_field, models.JSONField):
            return lambda value: value  # already a JSON string: see _json
        return lambda value: model_field.get_db_prep_save(value, connection)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _weighted(choices: list[tuple[Any, int]]) -> list[Any]:
    return [value for value, weight in choices for _ in range(weight)]


class _Generator:
    def __init__(self, shape: Shape, report: Report) -> None:
        self.shape = shape
        self.report = report
        self.now = datetime.now(tz=UTC)
        self.types = _weighted(CERTIFICATE_TYPES)

    # -- helpers --------------------------------------------------------------------------------------
    def _timed(self, name: str, table: _Table, rows: Iterable[tuple[Any, ...]]) -> None:
        started = time.perf_counter()
        written = table.write(rows)
        self.report.rows[name] = self.report.rows.get(name, 0) + written
        self.report.seconds[name] = self.report.seconds.get(name, 0.0) + time.perf_counter() - started

    def _learner_rng(self, number: int) -> random.Random:
        return random.Random(self.shape.seed * 1_000_003 + number)  # noqa: S311 (synthetic data)

    def _learner_runs(self, number: int, catalog: Catalog) -> list[int]:
        """The runs a learner enrolled in, most relevant first: half from one program, half from anywhere."""
        rng = self._learner_rng(number)
        wanted = round(self.shape.credentials_per_learner * 1.5)
        runs: dict[int, None] = {}
        if catalog.program_run_ids:
            pool = catalog.program_run_ids[rng.randrange(len(catalog.program_run_ids))]
            for run_id in rng.sample(pool, min(len(pool), (wanted + 1) // 2)):
                runs[run_id] = None
        while len(runs) < min(wanted, len(catalog.run_ids)):
            runs[catalog.run_ids[rng.randrange(len(catalog.run_ids))]] = None
        return list(runs)

    # -- catalog --------------------------------------------------------------------------------------
    def catalog(self) -> Catalog:
        shape = self.shape
        rng = random.Random(shape.seed)  # noqa: S311 (synthetic data)
        organizations = _Table(Organization, ["id", "key", "uuid", "name", "created", "modified"])
        first_org = organizations.next_id()
        org_count = max(1, shape.courses // 50)
        org_keys = [f"ScaleX{first_org + i}" for i in range(org_count)]
        self._timed(
            "organizations",
            organizations,
            (
                (first_org + i, key, uuid4(), f"Scale university {i}", self.now, self.now)
                for i, key in enumerate(org_keys)
            ),
        )

        courses = _Table(
            Course, ["id", "key", "uuid", "title", "organization", "uuid_from_discovery", "created", "modified"]
        )
        first_course = courses.next_id()
        course_keys = [f"{org_keys[i % org_count]}+SC{first_course + i}" for i in range(shape.courses)]
        self._timed(
            "courses",
            courses,
            (
                (
                    first_course + i,
                    key,
                    uuid4(),
                    f"Scale course {i}",
                    first_org + i % org_count,
                    True,
                    self.now,
                    self.now,
                )
                for i, key in enumerate(course_keys)
            ),
        )

        runs = _Table(
            CourseRun,
            [
                "id", "key", "uuid", "course", "title", "start", "end", "uuid_from_discovery", "status", "type",
                "restriction_type", "hidden", "created", "modified",
            ],
        )  # fmt: skip
        first_run = runs.next_id()
        run_ids: list[int] = []
        run_keys: list[str] = []
        course_run_ids: list[list[int]] = []
        run_rows = []
        for i, course_key in enumerate(course_keys):
            ids = []
            for n in range(RUNS_PER_COURSE):
                run_id = first_run + i * RUNS_PER_COURSE + n
                # A run a year, the last one starting in the next two months: it still takes enrollments.
                start = self.now - timedelta(days=365 * (RUNS_PER_COURSE - 1 - n) - rng.randrange(60))
                key = f"course-v1:{course_key}+{n + 1}T{start.year}"
                run_rows.append(
                    (
                        run_id, key, uuid4(), first_course + i,
                        f"Scale course {i}", start, start + timedelta(days=90), True, "published",
                        "verified", "", False, self.now, self.now,
                    )
                )  # fmt: skip
                ids.append(run_id)
                run_ids.append(run_id)
                run_keys.append(key)
            course_run_ids.append(ids)
        self._timed("course_runs", runs, run_rows)

        programs = _Table(
            Program,
            [
                "id", "uuid", "title", "type", "type_slug", "status", "source", "applicable_seat_types",
                "data_modified_timestamp", "created", "modified",
            ],
        )  # fmt: skip
        first_program = programs.next_id()
        program_courses: list[list[int]] = [
            rng.sample(range(shape.courses), min(shape.courses, rng.randint(3, 30))) for _ in range(shape.programs)
        ]
        self._timed(
            "programs",
            programs,
            (
                (
                    first_program + p, uuid4(), f"Scale program {p}",
                    "MicroMasters", "micromasters", "active", "discovery", _json(["verified", "professional"]),
                    self.now, self.now, self.now,
                )
                for p in range(shape.programs)
            ),
        )  # fmt: skip
        memberships = _Table(ProgramCourse, ["program", "course", "position"])
        self._timed(
            "program_courses",
            memberships,
            (
                (first_program + p, first_course + c, position)
                for p, chosen in enumerate(program_courses)
                for position, c in enumerate(chosen)
            ),
        )
        # About a third of programs exclude one to three runs of their own courses.
        exclusions = _Table(ProgramExcludedCourseRun, ["program", "courserun"])
        excluded: list[tuple[int, int]] = []
        for p, chosen in enumerate(program_courses):
            if rng.random() < 0.33:
                own_runs = [run_id for c in chosen for run_id in course_run_ids[c]]
                for run_id in rng.sample(own_runs, rng.randint(1, 3)):
                    excluded.append((first_program + p, run_id))
        self._timed("program_exclusions", exclusions, excluded)
        return Catalog(
            run_ids=run_ids,
            run_keys=run_keys,
            program_run_ids=[[r for c in chosen for r in course_run_ids[c]] for chosen in program_courses],
        )

    # -- learners and their records -------------------------------------------------------------------
    def learners(self) -> tuple[int, int]:
        users = _Table(
            User,
            [
                "id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
                "is_active", "date_joined", "lms_user_id", "full_name",
            ],
        )  # fmt: skip
        first_user = users.next_id()
        first_lms_id = (User.objects.aggregate(m=Max("lms_user_id"))["m"] or 0) + 1

        def row(i: int) -> tuple[Any, ...]:
            name = learner_name(first_user + i)
            return (
                first_user + i, "!", False, name.username, name.first.capitalize(), name.last.capitalize(),
                name.email, False, True, BASE_TIME + timedelta(minutes=i), first_lms_id + i, name.full_name,
            )  # fmt: skip

        self._timed("learners", users, (row(i) for i in range(self.shape.learners)))
        return first_user, first_lms_id

    def records(self, first_user: int, catalog: Catalog) -> None:
        shape = self.shape
        n_credentials = shape.credentials_per_learner
        n_grades = round(n_credentials * 1.25)

        def learner_runs() -> Iterator[tuple[int, random.Random, list[int]]]:
            for i in range(shape.learners):
                yield first_user + i, self._learner_rng(-i - 1), self._learner_runs(i, catalog)

        enrollments = _Table(
            Enrollment,
            [
                "learner",
                "course_run",
                "mode",
                "is_active",
                "source",
                "source_time",
                "changed_by",
                "created",
                "modified",
            ],
        )
        self._timed(
            "enrollments",
            enrollments,
            (
                (user, run, "verified" if k < n_credentials else "audit", rng.random() > 0.05, "event",
                 BASE_TIME + timedelta(hours=k), "", self.now, self.now)
                for user, rng, runs in learner_runs()
                for k, run in enumerate(runs)
            ),
        )  # fmt: skip
        grades = _Table(
            Grade,
            [
                "learner", "course_run", "letter_grade", "percent_grade", "verified", "source", "source_time",
                "changed_by", "created", "modified",
            ],
        )  # fmt: skip

        def grade_rows() -> Iterator[tuple[Any, ...]]:
            for user, rng, runs in learner_runs():
                for k, run in enumerate(runs[:n_grades]):
                    passed = k < n_credentials  # the first runs are those that ended in a certificate
                    percent = Decimal(rng.randrange(7_000, 10_001) if passed else rng.randrange(0, 7_000)) / 10_000
                    yield (
                        user, run, "Pass" if passed else "", percent, True, "event", BASE_TIME + timedelta(hours=k),
                        "", self.now, self.now,
                    )  # fmt: skip

        self._timed("grades", grades, grade_rows())
        credentials = _Table(
            CourseRunCredential,
            [
                "learner", "course_run", "status", "type", "awarded_at", "revoked_at", "source", "source_time",
                "changed_by", "created", "modified",
            ],
        )  # fmt: skip

        def credential_rows() -> Iterator[tuple[Any, ...]]:
            for user, rng, runs in learner_runs():
                for run in runs[:n_credentials]:
                    awarded = BASE_TIME + timedelta(days=rng.randrange(2_000))
                    revoked = rng.randrange(100) < REVOKED_PERCENT
                    yield (
                        user, run, CredentialStatus.REVOKED if revoked else CredentialStatus.AWARDED,
                        self.types[rng.randrange(len(self.types))], awarded,
                        awarded + timedelta(days=30) if revoked else None, "event", awarded, "", self.now, self.now,
                    )  # fmt: skip

        self._timed("credentials", credentials, credential_rows())

        pending = _Table(PendingEnrollment, ["email", "course_run", "mode", "created", "modified"])
        every = max(1, round(1 / shape.pending_enrollment_fraction)) if shape.pending_enrollment_fraction else 0
        self._timed(
            "pending_enrollments",
            pending,
            (
                (f"invited{first_user + i}@{EMAIL_DOMAINS[i % len(EMAIL_DOMAINS)]}",
                 catalog.run_ids[(i * 7919) % len(catalog.run_ids)], "verified", self.now, self.now)
                for i in range(0, shape.learners, every) if every
            ),
        )  # fmt: skip
        self._credit(first_user, catalog)

    def _credit(self, first_user: int, catalog: Catalog) -> None:
        """Credit for a slice: a few credit courses with one grade requirement; some learners satisfied it."""
        shape = self.shape
        if not shape.credit_courses or not shape.credit_learner_fraction:
            return
        courses = _Table(CreditCourse, ["id", "course_key", "enabled", "created", "modified"])
        first_course = courses.next_id()
        existing = set(CreditCourse.objects.values_list("course_key", flat=True))
        keys = [
            k for k in catalog.run_keys[:: max(1, len(catalog.run_keys) // shape.credit_courses)] if k not in existing
        ]
        keys = keys[: shape.credit_courses]
        self._timed(
            "credit_courses", courses, ((first_course + i, k, True, self.now, self.now) for i, k in enumerate(keys))
        )
        requirements = _Table(
            CreditRequirement,
            ["id", "course", "namespace", "name", "display_name", "criteria", "order", "active", "created", "modified"],
        )
        first_requirement = requirements.next_id()
        self._timed(
            "credit_requirements",
            requirements,
            (
                (first_requirement + i, first_course + i, "grade", "grade", "Minimum grade", _json({"min_grade": 0.7}),
                 0, True, self.now, self.now)
                for i in range(len(keys))
            ),
        )  # fmt: skip
        every = max(1, round(1 / shape.credit_learner_fraction))
        chosen = [(first_user + i, i % len(keys)) for i in range(0, shape.learners, every)] if keys else []
        statuses = _Table(
            CreditRequirementStatus, ["learner", "requirement", "status", "reason", "created", "modified"]
        )
        self._timed(
            "credit_requirement_statuses",
            statuses,
            (
                (user, first_requirement + c, "satisfied" if user % 3 else "failed",
                 _json({"final_grade": 0.85 if user % 3 else 0.4}), self.now, self.now)
                for user, c in chosen
            ),
        )  # fmt: skip
        eligibilities = _Table(CreditEligibility, ["learner", "course", "deadline", "created", "modified"])
        self._timed(
            "credit_eligibilities",
            eligibilities,
            (
                (user, first_course + c, self.now + timedelta(days=365), self.now, self.now)
                for user, c in chosen
                if user % 3
            ),
        )


GENERATED_MODELS: list[type[models.Model]] = [
    Organization, Course, CourseRun, Program, ProgramCourse, ProgramExcludedCourseRun, User, Enrollment, Grade,
    CourseRunCredential, PendingEnrollment, CreditCourse, CreditRequirement, CreditRequirementStatus,
    CreditEligibility,
]  # fmt: skip


def generate(shape: Shape) -> Report:
    """Write the data set described by ``shape`` and return what was written, table by table."""
    if shape.learners < 0 or shape.credentials_per_learner < 0 or shape.programs < 0 or shape.courses < 1:
        raise ValueError("learners, credentials per learner and programs must be >= 0, courses >= 1")
    if shape.credentials_per_learner * 1.5 > shape.courses * RUNS_PER_COURSE:
        raise ValueError("more credentials per learner than the catalog has runs")
    report = Report()
    generator = _Generator(shape, report)
    with transaction.atomic():
        row_checks_off = _row_foreign_key_checks_off()
        catalog = generator.catalog()
        first_user, _ = generator.learners()
        generator.records(first_user, catalog)
        if row_checks_off:
            started = time.perf_counter()
            _check_foreign_keys()
            report.seconds["foreign key checks"] = time.perf_counter() - started
            report.rows["foreign key checks"] = 0
    _reset_sequences()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in GENERATED_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return report


def _row_foreign_key_checks_off() -> bool:
    """On PostgreSQL, turn off the per-row foreign key triggers for this transaction if allowed."""
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: refused, nothing changes
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def _check_foreign_keys() -> None:
    """Every foreign key of the generated tables points at an existing row (one anti-join per key)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in GENERATED_MODELS:
            for key in model._meta.concrete_fields:
                if not isinstance(key, models.ForeignKey):
                    continue
                target = key.related_model._meta  # type: ignore[union-attr]
                cursor.execute(
                    f"SELECT 1 FROM {quote(model._meta.db_table)} t LEFT JOIN {quote(target.db_table)} r "  # noqa: S608
                    f"ON r.{quote(str(target.pk.column))} = t.{quote(key.column)} "
                    f"WHERE t.{quote(key.column)} IS NOT NULL AND r.{quote(str(target.pk.column))} IS NULL LIMIT 1"
                )
                if cursor.fetchone():
                    raise IntegrityError(
                        f"{model._meta.db_table}.{key.column} points at a missing {target.db_table} row"
                    )


def _reset_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids written here (MariaDB and SQLite follow by themselves)."""
    statements = connection.ops.sequence_reset_sql(no_style(), GENERATED_MODELS)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
