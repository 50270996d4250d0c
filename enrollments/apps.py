from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = "Enrollments"

    def ready(self) -> None:
        from core.signals import learner_identified
        from enrollments.receivers import on_learner_identified

        learner_identified.connect(on_learner_identified, dispatch_uid="enrollments.realize_pending")
