from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = "Credit"

    def ready(self) -> None:
        from edx_rest_framework_extensions.errors import register_error_type

        from credentials_status.signals import grades_recorded
        from credit.exceptions import InvalidCreditRequest, LearnerProfileUnavailable
        from credit.receivers import satisfy_grade_requirements

        grades_recorded.connect(satisfy_grade_requirements, dispatch_uid="credit.satisfy_grade_requirements")
        register_error_type(InvalidCreditRequest, "invalid-credit-request", "Invalid Credit Request")
        register_error_type(LearnerProfileUnavailable, "upstream-unavailable", "Upstream Unavailable")
