"""The ``local`` backend: this service is the system of record for enrollments.

A whole batch costs a fixed number of queries per chunk of learners and runs (reads in
``enrollments.selectors``, writes as a few bulk statements), never a query per pair. The write
phase holds row locks on the batch's runs, so concurrent bulk enrollments of a run take turns and
each reports ``created`` from what it wrote.
"""

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from core.history import history_record_pks
from core.models import User
from enrollments.backends.base import BackendResult, PreparedPair, first_pair_per_learner
from enrollments.backends.writes import BATCH_SIZE, enrollment_rows_upsert, pending_rows_insert
from enrollments.data import (
    EnrollmentFailure,
    EnrollmentNotification,
    EnrollmentPending,
    EnrollmentSuccess,
    FailureCode,
)
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.selectors import (
    LearnerRow,
    RunRow,
    enrollments_by_pair,
    learners_by_email,
    learners_by_lms_user_id,
    pending_pairs,
)
from programs.api import course_runs_lock

log = logging.getLogger(__name__)


def resolve_learner(
    pair: PreparedPair, by_email: dict[str, list[LearnerRow]], by_id: dict[int, LearnerRow]
) -> LearnerRow | EnrollmentFailure | None:
    """The learner a pair names, a failure, or ``None`` for an unknown email (-> pending)."""
    item = pair.item
    learner: LearnerRow | None = None
    if item.user_id is not None:
        learner = by_id.get(item.user_id)
        if learner is None:
            return EnrollmentFailure.of(
                pair.item, FailureCode.UNKNOWN_USER_ID, f"No learner has LMS user id {item.user_id}."
            )
    if item.email is not None:
        matches = by_email.get(item.email, [])
        if learner is not None:
            if matches and learner.pk not in {match.pk for match in matches}:
                return EnrollmentFailure.of(
                    pair.item,
                    FailureCode.LEARNER_MISMATCH,
                    f"LMS user id {item.user_id} and email {item.email} belong to different learners.",
                )
        elif len(matches) > 1:
            return EnrollmentFailure.of(
                pair.item,
                FailureCode.AMBIGUOUS_EMAIL,
                f"Several learners have the email {item.email}; send the user_id.",
            )
        elif matches:
            learner = matches[0]
    if learner is not None and not learner.is_active:
        return EnrollmentFailure.of(pair.item, FailureCode.INACTIVE_LEARNER, "The learner's account is deactivated.")
    return learner


class LocalEnrollmentBackend:
    name = "local"
    requires_known_runs = True

    def enroll(self, *, pairs: list[PreparedPair]) -> BackendResult:
        result = BackendResult()
        by_email = learners_by_email(emails=[p.item.email for p in pairs if p.item.email])
        by_id = learners_by_lms_user_id(lms_user_ids=[p.item.user_id for p in pairs if p.item.user_id is not None])

        known: list[tuple[PreparedPair, tuple[RunRow, LearnerRow]]] = []
        to_pend: list[tuple[PreparedPair, RunRow, str]] = []
        for pair in pairs:
            if pair.run is None:  # not reached: bulk_enroll refuses unknown runs for this backend
                continue
            resolved = resolve_learner(pair, by_email, by_id)
            if isinstance(resolved, EnrollmentFailure):
                result.outcomes[pair.index] = resolved
            elif resolved is not None:
                known.append((pair, (pair.run, resolved)))
            elif pair.item.email is not None:
                to_pend.append((pair, pair.run, pair.item.email))
        # One learner named another way (email / user_id) for a run is enrolled and reported once.
        to_enroll = [(pair, run, learner) for pair, (run, learner) in first_pair_per_learner(result, known)]

        with transaction.atomic():
            # Read what exists only once the runs are locked: a concurrent request for the same runs
            # has committed (or not started), so ``created`` says what this request really wrote.
            course_runs_lock(run_ids=[run.pk for _, run, _ in to_enroll] + [run.pk for _, run, _ in to_pend])
            enrolled, learner_email = self._enroll_known(result, to_enroll)
            pended = self._pend_unknown(result, to_pend)

        result.notifications = [
            EnrollmentNotification(
                email=learner_email[learner_id],
                course_runs=[(r.key, r.title) for r in runs],
                pending=False,
                learner_id=learner_id,
            )
            for learner_id, runs in enrolled.items()
            if learner_email[learner_id]
        ] + [
            EnrollmentNotification(email=email, course_runs=[(r.key, r.title) for r in runs], pending=True)
            for email, runs in pended.items()
        ]
        return result

    @staticmethod
    def _enroll_known(
        result: BackendResult, to_enroll: list[tuple[PreparedPair, RunRow, LearnerRow]]
    ) -> tuple[dict[int, list[RunRow]], dict[int, str]]:
        """Write the known learners' enrollments; the runs newly enrolled per learner, and their emails."""
        now = timezone.now()
        existing = enrollments_by_pair(
            learner_ids=[learner.pk for _, _, learner in to_enroll], run_ids=[run.pk for _, run, _ in to_enroll]
        )
        upserts: list[Enrollment] = []
        license_updates: list[Enrollment] = []
        enrolled: dict[int, list[RunRow]] = defaultdict(list)
        learner_email: dict[int, str] = {}
        for pair, run, learner in to_enroll:
            row = existing.get((learner.pk, run.pk))
            created = row is None or not row.is_active
            if created:
                upserts.append(
                    Enrollment(
                        learner_id=learner.pk,
                        course_run_id=run.pk,
                        mode=pair.mode,
                        is_active=True,
                        license_uuid=pair.item.license_uuid,
                        enterprise_customer_uuid=pair.item.enterprise_customer_uuid,
                    )
                )
                enrolled[learner.pk].append(run)
                learner_email[learner.pk] = learner.email or pair.item.email or ""
            elif row is not None and (
                (pair.item.license_uuid and row.license_uuid != pair.item.license_uuid)
                or (
                    pair.item.enterprise_customer_uuid
                    and row.enterprise_customer_uuid != pair.item.enterprise_customer_uuid
                )
            ):
                license_updates.append(
                    Enrollment(
                        pk=row.pk,
                        license_uuid=pair.item.license_uuid or row.license_uuid,
                        enterprise_customer_uuid=pair.item.enterprise_customer_uuid or row.enterprise_customer_uuid,
                        modified=now,
                    )
                )
            result.outcomes[pair.index] = EnrollmentSuccess(
                email=pair.item.email or learner.email or None,
                user_id=learner.lms_user_id,
                course_run_key=pair.item.course_run_key,
                created=created,
            )
        # The conflict clause stays for writers that do not take the run locks (pending realisation).
        enrollment_rows_upsert(upserts)
        if license_updates:
            Enrollment.objects.bulk_update(
                license_updates, ["license_uuid", "enterprise_customer_uuid", "modified"], batch_size=BATCH_SIZE
            )
            history_record_pks(Enrollment, [row.pk for row in license_updates], history_type="~")
        log.info("bulk_enrollment_local_written", extra={"enrollments_written": len(upserts)})
        return enrolled, learner_email

    @staticmethod
    def _pend_unknown(
        result: BackendResult, to_pend: list[tuple[PreparedPair, RunRow, str]]
    ) -> dict[str, list[RunRow]]:
        """Write the pending rows of unknown emails; the runs newly pending per email."""
        known_pending = pending_pairs(
            emails=[email for _, _, email in to_pend], run_ids=[run.pk for _, run, _ in to_pend]
        )
        new_pending: dict[tuple[str, int], PendingEnrollment] = {}
        pended: dict[str, list[RunRow]] = defaultdict(list)
        for pair, run, email in to_pend:
            key = (email, run.pk)
            created = key not in known_pending and key not in new_pending
            if created:
                new_pending[key] = PendingEnrollment(
                    email=email,
                    course_run_id=run.pk,
                    mode=pair.mode,
                    license_uuid=pair.item.license_uuid,
                    enterprise_customer_uuid=pair.item.enterprise_customer_uuid,
                )
                pended[email].append(run)
            result.outcomes[pair.index] = EnrollmentPending(
                email=email, course_run_key=pair.item.course_run_key, created=created
            )
        pending_rows_insert(list(new_pending.values()))
        log.info("bulk_enrollment_local_pending_written", extra={"pending_written": len(new_pending)})
        return pended

    def unenroll(self, *, learner: User, course_run_key: str) -> bool:
        active = Enrollment.objects.filter(learner=learner, course_run__key=course_run_key, is_active=True)
        pks = list(active.values_list("pk", flat=True))
        updated = Enrollment.objects.filter(pk__in=pks, is_active=True).update(is_active=False, modified=timezone.now())
        history_record_pks(Enrollment, pks, history_type="~")
        return bool(updated)
