from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Catalog and programs"

    def ready(self) -> None:
        from edx_rest_framework_extensions import errors as edx_errors

        from programs.exceptions import SyncNotConfigured, SyncQueueUnavailable

        # A 503 that is not a crash: its own error type instead of "internal".
        edx_errors.register_error_type(SyncNotConfigured, "sync-not-configured", "Discovery Sync Not Configured")
        edx_errors.register_error_type(SyncQueueUnavailable, "sync-queue-unavailable", "Sync Could Not Be Queued")
