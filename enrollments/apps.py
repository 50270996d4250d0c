from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = "Enrollments"

    def ready(self) -> None:
        from django.core import checks
        from edx_rest_framework_extensions import errors as edx_errors

        from core.signals import learner_identified, learners_identified
        from enrollments.checks import enrollment_backend_check
        from enrollments.exceptions import EnrollmentBackendNotConfigured
        from enrollments.receivers import on_learner_identified, on_learners_identified

        learner_identified.connect(on_learner_identified, dispatch_uid="enrollments.realize_pending")
        learners_identified.connect(on_learners_identified, dispatch_uid="enrollments.realize_pending_many")
        checks.register(enrollment_backend_check, "enrollments")
        edx_errors.register_error_type(
            EnrollmentBackendNotConfigured, "enrollment-backend-not-configured", "Enrollment Backend Not Configured"
        )
