from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: users and roles"

    def ready(self) -> None:
        from core import errors, schema  # noqa: F401  (schema registers the JWT security scheme)

        errors.register_error_types()
