from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: users and roles"

    def ready(self) -> None:
        # backends connects the login-failure receivers, history the source of history rows; schema
        # registers the JWT security scheme; request_id connects the Celery signals carrying the request id into tasks.
        from django.db.models.signals import post_migrate

        from core import backends, errors, history, request_id, schema  # noqa: F401
        from core.collation import case_insensitive_lookups_register, identifier_collation_after_migrate

        errors.register_error_types()
        # Identifiers compare exactly on MySQL/MariaDB too; searches stay case-insensitive (core.collation).
        case_insensitive_lookups_register()
        post_migrate.connect(identifier_collation_after_migrate, sender=self, dispatch_uid="core.identifier_collation")
