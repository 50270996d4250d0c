from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = "Credit"

    def ready(self) -> None:
        from credentials_status.signals import grade_recorded
        from credit.receivers import satisfy_grade_requirement

        grade_recorded.connect(satisfy_grade_requirement, dispatch_uid="credit.satisfy_grade_requirement")
