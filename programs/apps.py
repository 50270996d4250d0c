from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Catalog and programs"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed
        from edx_rest_framework_extensions import errors as edx_errors

        from programs.exceptions import SyncNotConfigured, SyncQueueUnavailable
        from programs.models import ProgramExcludedCourseRun
        from programs.receivers import on_exclusions_changed

        m2m_changed.connect(
            on_exclusions_changed, sender=ProgramExcludedCourseRun, dispatch_uid="programs.exclusion_history"
        )

        # A 503 that is not a crash: its own error type instead of "internal".
        edx_errors.register_error_type(SyncNotConfigured, "sync-not-configured", "Discovery Sync Not Configured")
        edx_errors.register_error_type(SyncQueueUnavailable, "sync-queue-unavailable", "Sync Could Not Be Queued")
